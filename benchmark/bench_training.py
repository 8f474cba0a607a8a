"""Benchmark of training: transitions/s and peak memory per (env, method).

    python -m benchmark.bench_training [--pairs blocks:sen,blocks:none] [--steps 3] [--device cpu]

Each pair runs in a fresh subprocess (so peak RSS is its own): the model at the paper's
widths (constructor defaults) and the paper's batch size, random uint8 observations
converted to float as in training, then ``--steps`` timed optimiser steps (Adam, the
method's own loss) after one warm-up step. CPU runs use 2 threads. Reference figures of
the original code on the same 2-core machine are printed beside ours.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch

# the original code, torch 2.13 CPU, 2 threads, one contrastive step with Adam:
# (transitions/s, peak RSS GB)
ORIGINAL = {("blocks", "sen"): (41, 6.2), ("blocks", "none"): (53, 5.4),
            ("blocks", "full"): (22, 10.3), ("reacher", "none"): (11, 4.7)}
DEFAULT_PAIRS = ("blocks:sen,blocks:none,blocks:full,shapes:cnn,reacher:sen,reacher:none,"
                 "reacher:full,teapot:sen,teapot:none,teapot:hvae")


def random_actions(env: str, n: int, gen: torch.Generator) -> torch.Tensor:
    if env in ("shapes", "blocks"):
        return torch.randint(0, 20, (n,), generator=gen)
    if env == "reacher":
        return torch.rand(n, 2, generator=gen) * 2 - 1
    q = torch.randn(n, 4, generator=gen)
    q = q / q.norm(dim=1, keepdim=True)
    from scipy.spatial.transform import Rotation
    return torch.from_numpy(Rotation.from_quat(q.numpy()).as_matrix()).float()


def measure(env: str, method: str, steps: int, device: str, batch: int | None) -> dict:
    """One pair in this process: transitions/s and peak memory."""
    import numpy as np

    from benchmark.registry import build_model, count_parameters
    from generators.registry import get_env
    torch.set_num_threads(2)
    dev = torch.device(device)
    gen = torch.Generator().manual_seed(0)
    spec = get_env(env)
    model = build_model(method, env).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    n = batch or spec.paper_batch_size
    obs = torch.randint(0, 256, (n,) + spec.obs_shape, dtype=torch.uint8, generator=gen).to(dev)
    nxt = torch.randint(0, 256, (n,) + spec.obs_shape, dtype=torch.uint8, generator=gen).to(dev)
    act = torch.from_numpy(spec.action.sample(np.random.default_rng(0), n)).to(dev)

    def step() -> None:
        loss, _ = model.loss(obs.float() / 255, act, nxt.float() / 255, generator=gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()  # warm-up
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    peak_rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    out = {"env": env, "method": method, "batch": n, "parameters": count_parameters(model),
           "transitions_per_s": n * steps / seconds, "peak_rss_gb": peak_rss_gb,
           "device": device}
    if dev.type == "cuda":
        out["peak_gpu_gb"] = torch.cuda.max_memory_allocated() / 2 ** 30
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", default=None, help="env:method,... (default: every "
                        "registered pair)")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=None, help="override the paper batch")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args(argv)
    if args.one:
        env, method = args.one.split(":")
        print(json.dumps(measure(env, method, args.steps, args.device, args.batch)))
        return
    print(f"{'env':8s} {'method':7s} {'batch':>5s} {'params':>9s} {'trans/s':>9s} "
          f"{'peak RSS GB':>11s} {'original trans/s, GB':>21s} {'speed-up':>8s} {'memory':>7s}")
    for pair in (args.pairs or default_pairs()).split(","):
        cmd = [sys.executable, "-m", "benchmark.bench_training", "--one", pair,
               "--steps", str(args.steps), "--device", args.device]
        if args.batch:
            cmd += ["--batch", str(args.batch)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{pair}: failed: {proc.stderr.strip().splitlines()[-1]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        ref = ORIGINAL.get((r["env"], r["method"]))
        ref_s = f"{ref[0]:>10} {ref[1]:>10.1f}" if ref else f"{'-':>21s}"
        speed = f"{r['transitions_per_s'] / ref[0]:7.1f}x" if ref else f"{'-':>8s}"
        mem = f"{r['peak_rss_gb'] / ref[1]:6.2f}x" if ref else f"{'-':>7s}"
        extra = f"  GPU peak {r['peak_gpu_gb']:.2f} GB" if "peak_gpu_gb" in r else ""
        print(f"{r['env']:8s} {r['method']:7s} {r['batch']:5d} {r['parameters']:9d} "
              f"{r['transitions_per_s']:9.1f} {r['peak_rss_gb']:11.2f} {ref_s} {speed} {mem}"
              f"{extra}")


if __name__ == "__main__":
    main()
