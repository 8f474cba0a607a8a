"""Benchmark of training: transitions/s, peak memory and achieved GFLOP/s per (env, method).

    python -m benchmark.bench_training [--pairs blocks:sen,reacher:full] [--profile default]
                                       [--threads 2] [--steps 8] [--baseline 7fad85a]

Each (env, method, profile) runs in a fresh subprocess (so peak RSS is its own): the model
at the profile's widths and batch size (``default``: params.yaml's ``train.<env>``;
``paper``: the constructors' defaults and ``paper.train.<env>``), random uint8 observations
stored as the dataset files store them (``[B, H, W, C]``) and converted to float by the
reader's own function at every step, as in training (so the models see the same memory
layout as in training: channels_last), one warm-up step, then ``--steps`` timed optimiser steps
(Adam, the method's own loss) with ``--threads`` torch threads (default: the ``threads``
training setting) and the allocator setting of ``senbench train``
(:func:`benchmark.allocator.keep_freed_memory`).  The floating-point work of one step
(forward and backward) is counted by ``torch.utils.flop_counter`` and reported as achieved
GFLOP/s beside this machine's measured single-precision matmul peak at the same thread count
(a microbenchmark in this script), so the distance to the physical limit is a number.

``--side-by-side N`` measures N runs of each pair at once (N processes of ``--threads``
threads each, their timed steps started together): the machine's throughput is the sum of
their transitions/s, the way ``senbench train`` runs the seeds of a row side by side.

``--baseline REV`` measures the same pairs with the models of git revision ``REV`` as well
(its tree exported to a temporary folder; this script's measuring code), alternating the two
per pair so that a noisy machine affects both alike, and prints the speed-up and memory
ratios; ``--baseline-threads`` and ``--baseline-side-by-side`` set its layout (default: the
same), so that ``--baseline HEAD --threads 1 --side-by-side 2 --baseline-threads 2
--baseline-side-by-side 1`` compares 2 runs x 1 thread with 1 run x 2 threads of the same
code.  ``--repeats R`` measures each pair R times (with a baseline: R rounds, the order of
the two sides swapped every round, ABBA, so that a machine speeding up or slowing down over
a round favours neither) and prints the median of each figure and the median, lowest and
highest of the R per-round speed-ups: on a shared machine one pair's ratio moves by about
15% between runs of 6 steps, so a goal such as 2x is met by a median and a range, not one
draw.  ``--json FILE`` writes every figure, every round's included.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ("default", "paper")
#: sgemm side of the matmul-peak microbenchmark (large enough to reach the peak)
MATMUL_SIDE = 2048


def default_pairs() -> str:
    """Every (env, method) of the registries."""
    from benchmark.registry import methods_for_env
    from generators.registry import env_names
    return ",".join(f"{env}:{method}" for env in env_names() for method in methods_for_env(env))


def random_inputs(spec, n: int, gen: torch.Generator):
    """A batch of random uint8 frames ``[n, H, W, C]``, as the dataset files store them and
    training gathers them (:func:`generators.reader.to_float` turns them into the models'
    ``[n, C, H, W]`` float input, channels_last in memory), and random actions."""
    import numpy as np
    c, h, w = spec.obs_shape
    obs = torch.randint(0, 256, (n, h, w, c), dtype=torch.uint8, generator=gen)
    nxt = torch.randint(0, 256, (n, h, w, c), dtype=torch.uint8, generator=gen)
    act = torch.from_numpy(spec.action.sample(np.random.default_rng(0), n))
    return obs, act, nxt


def profile_config(env: str, method: str, profile: str, params_file: Path) -> tuple[dict, int]:
    """(constructor hyper-parameters, batch size) of a pair at a profile."""
    from benchmark.params import load_params
    from benchmark.train import train_settings
    settings, hparams = train_settings(load_params(params_file, profile), env, method)
    return hparams, int(settings["batch_size"])


def matmul_peak_gflops(threads: int, side: int = MATMUL_SIDE, repeats: int = 5) -> float:
    """Best-of-``repeats`` single-precision GEMM throughput (GFLOP/s) at ``threads``."""
    torch.set_num_threads(threads)
    a, b = torch.randn(side, side), torch.randn(side, side)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * side ** 3 / best / 1e9


#: seconds a side-by-side run waits for the others to be ready
BARRIER_TIMEOUT_S = 600.0


def wait_for_others(barrier_dir: str, n: int) -> None:
    """Side-by-side runs: say this one is ready, then wait until all ``n`` are."""
    folder = Path(barrier_dir)
    (folder / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + BARRIER_TIMEOUT_S
    while len(list(folder.glob("ready-*"))) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"side-by-side runs not ready after {BARRIER_TIMEOUT_S:.0f} s")
        time.sleep(0.01)


def measure(env: str, method: str, profile: str, steps: int, threads: int, device: str,
            params_file: Path, barrier_dir: str = "", side_by_side: int = 1) -> dict:
    """One pair in this process: transitions/s, peak memory, FLOPs per step (with
    ``side_by_side`` > 1, its timed steps start when all of the runs are warm)."""
    from torch.utils.flop_counter import FlopCounterMode

    from benchmark.registry import build_model, count_parameters
    from generators.reader import to_float
    from generators.registry import get_env
    try:  # the allocator setting of `senbench train` (absent in older revisions)
        from benchmark.allocator import keep_freed_memory
        keep_freed_memory()
    except ImportError:
        pass
    torch.set_num_threads(threads)
    dev = torch.device(device)
    hparams, batch = profile_config(env, method, profile, params_file)
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    model = build_model(method, env, **hparams).to(dev)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    obs, act, nxt = (t.to(dev) for t in random_inputs(get_env(env), batch, gen))

    def step() -> None:
        loss, _ = model.loss(to_float(obs), act, to_float(nxt), generator=gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    with FlopCounterMode(display=False) as counter:   # also the warm-up step
        step()
    flops = counter.get_total_flops()
    if side_by_side > 1:
        wait_for_others(barrier_dir, side_by_side)
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    started_unix = time.time()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    out = {"env": env, "method": method, "profile": profile, "batch": batch,
           "threads": threads, "parameters": count_parameters(model),
           "transitions_per_s": batch * steps / seconds,
           "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20,
           "gflop_per_step": flops / 1e9, "gflops": flops * steps / seconds / 1e9,
           "device": device, "started_unix": started_unix}
    if dev.type == "cuda":
        out["peak_gpu_gb"] = torch.cuda.max_memory_allocated() / 2 ** 30
    return out


def run_child(tree: Path, pair: str, profile: str, steps: int, threads: int, device: str,
              params_file: Path, side_by_side: int = 1) -> dict:
    """:func:`measure` in ``side_by_side`` fresh processes at once whose ``benchmark``
    package is ``tree``'s: the first run's figures, with the machine's ``transitions_per_s``
    (the sum over the runs), each run's in ``runs_transitions_per_s``."""
    env, method = pair.split(":")
    code = ("import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
            "import importlib.util as u; "
            "spec = u.spec_from_file_location('bench_training_child', sys.argv[2]); "
            "m = u.module_from_spec(spec); spec.loader.exec_module(m); "
            "print(json.dumps(m.measure(sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), "
            "int(sys.argv[7]), sys.argv[8], Path(sys.argv[9]), sys.argv[10], "
            "int(sys.argv[11]))))")
    env_vars = {**os.environ, "PYTHONPATH": str(tree), "OMP_WAIT_POLICY": "PASSIVE"}
    with tempfile.TemporaryDirectory() as barrier:
        procs = [subprocess.Popen([sys.executable, "-c", code, str(tree),
                                   str(Path(__file__).resolve()), env, method, profile,
                                   str(steps), str(threads), device, str(params_file), barrier,
                                   str(side_by_side)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  cwd=tree, env=env_vars)
                 for _ in range(side_by_side)]
        outputs = [p.communicate() for p in procs]
    results = []
    for proc, (stdout, stderr) in zip(procs, outputs):
        if proc.returncode != 0:   # (every run has ended: communicate() waited)
            last = (stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"{pair} ({profile}) failed: {last}")
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    first = dict(results[0])
    first["side_by_side"] = side_by_side
    first["runs_transitions_per_s"] = [r["transitions_per_s"] for r in results]
    first["transitions_per_s"] = sum(first["runs_transitions_per_s"])
    first["gflops"] = sum(r["gflops"] for r in results)
    first["peak_rss_gb"] = max(r["peak_rss_gb"] for r in results)
    first["total_rss_gb"] = sum(r["peak_rss_gb"] for r in results)
    return first


def speedup_summary(current: list[float], baseline: list[float]) -> dict:
    """Per-round speed-ups ``current[i] / baseline[i]`` (the two sides of round i were
    measured back to back) with their median, lowest and highest."""
    if not current or len(current) != len(baseline):
        raise ValueError(f"need one baseline figure per round, got {len(current)} "
                         f"and {len(baseline)}")
    ratios = [c / b for c, b in zip(current, baseline)]
    return {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios),
            "rounds": ratios}


def median_run(runs: list[dict]) -> dict:
    """One pair's figures over repeated runs: the first run's, with the median of its
    transitions/s, GFLOP/s and peak RSS, and every run's under ``repeats``."""
    out = dict(runs[0])
    for key in ("transitions_per_s", "gflops", "peak_rss_gb"):
        out[key] = statistics.median(r[key] for r in runs)
    out["repeats"] = runs
    return out


def measure_rounds(pair: str, profile: str, args, base_tree: Path | None,
                   base_threads: int, base_side: int) -> tuple[dict, dict | None]:
    """``args.repeats`` rounds of a pair (and of the baseline: the first side alternates,
    ABBA): the median figures of each side, the per-round speed-up on the current side."""
    current, baseline = [], []
    for round_ in range(args.repeats):
        sides = [("current", ROOT, args.threads, args.side_by_side)]
        if base_tree is not None:
            sides.append(("baseline", base_tree, base_threads, base_side))
        if round_ % 2:
            sides.reverse()
        for name, tree, threads, side in sides:
            r = run_child(tree, pair, profile, args.steps, threads, args.device, args.params,
                          side)
            (current if name == "current" else baseline).append(r)
    r = median_run(current)
    b = median_run(baseline) if baseline else None
    if b is not None:
        r["speedup"] = speedup_summary([x["transitions_per_s"] for x in current],
                                       [x["transitions_per_s"] for x in baseline])
        r["memory_ratio"] = statistics.median(
            x["peak_rss_gb"] / y["peak_rss_gb"] for x, y in zip(current, baseline))
    return r, b


def export_tree(rev: str, into: Path) -> Path:
    """The files of git revision ``rev`` of this repository, under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True)
    if archive.returncode != 0:
        raise SystemExit(f"bench_training: git archive {rev} failed: "
                         f"{archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def main(argv: list[str] | None = None) -> None:
    from benchmark.train import DEFAULTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", default=None, help="env:method,... (default: every "
                        "registered pair)")
    parser.add_argument("--profile", choices=PROFILES + ("both",), default="both")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--threads", type=int, default=DEFAULTS["threads"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--params", type=Path, default=ROOT / "params.yaml")
    parser.add_argument("--side-by-side", type=int, default=1, metavar="N",
                        help="N runs of each pair at once (their summed transitions/s)")
    parser.add_argument("--baseline", default=None, metavar="REV",
                        help="also measure git revision REV's models (alternating, ratios)")
    parser.add_argument("--baseline-threads", type=int, default=None,
                        help="threads of each baseline run (default: --threads)")
    parser.add_argument("--baseline-side-by-side", type=int, default=None, metavar="N",
                        help="baseline runs at once (default: --side-by-side)")
    parser.add_argument("--repeats", type=int, default=1, metavar="R",
                        help="measure each pair R times (with --baseline: R rounds, ABBA); "
                             "medians, and the range of the per-round speed-ups")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    args = parser.parse_args(argv)
    for name in ("threads", "side_by_side", "baseline_threads", "baseline_side_by_side",
                 "repeats", "steps"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    base_threads = args.baseline_threads or args.threads
    base_side = args.baseline_side_by_side or args.side_by_side
    profiles = PROFILES if args.profile == "both" else (args.profile,)
    # the peak of the machine's cores in use: one process with all of their threads
    cores = args.threads * args.side_by_side
    peak = matmul_peak_gflops(cores) if args.device == "cpu" else None
    if peak is not None:
        print(f"matmul peak ({MATMUL_SIDE}^3 sgemm, {cores} threads): {peak:.0f} GFLOP/s")
    print(f"layout: {args.side_by_side} run(s) x {args.threads} thread(s)"
          + (f"; baseline {args.baseline}: {base_side} run(s) x {base_threads} thread(s)"
             if args.baseline else ""))
    with tempfile.TemporaryDirectory() as tmp:
        base_tree = export_tree(args.baseline, Path(tmp)) if args.baseline else None
        head = f"{'profile':8s} {'env':8s} {'method':7s} {'batch':>5s} {'trans/s':>8s} " \
               f"{'RSS GB':>7s} {'GFLOP/s':>8s} {'% peak':>6s}"
        if base_tree:
            head += f" | {'base t/s':>8s} {'base GB':>7s} {'speed-up':>8s} {'memory':>6s}"
            if args.repeats > 1:
                head += f" {'speed-up range':>15s}"
        print(head)
        rows = []
        for profile in profiles:
            for pair in (args.pairs or default_pairs()).split(","):
                try:
                    r, b = measure_rounds(pair, profile, args, base_tree, base_threads,
                                          base_side)
                except RuntimeError as exc:
                    print(exc)
                    continue
                r["matmul_peak_gflops"] = peak
                line = (f"{profile:8s} {r['env']:8s} {r['method']:7s} {r['batch']:5d} "
                        f"{r['transitions_per_s']:8.0f} {r['peak_rss_gb']:7.2f} "
                        f"{r['gflops']:8.1f} "
                        f"{100 * r['gflops'] / peak if peak else float('nan'):6.1f}")
                if b is not None:
                    r["baseline"] = b
                    up = r["speedup"]
                    line += (f" | {b['transitions_per_s']:8.0f} {b['peak_rss_gb']:7.2f} "
                             f"{up['median']:7.2f}x {r['memory_ratio']:5.2f}x")
                    if args.repeats > 1:
                        line += f"   {up['min']:5.2f}-{up['max']:.2f}x"
                if "peak_gpu_gb" in r:
                    line += f"  GPU peak {r['peak_gpu_gb']:.2f} GB"
                print(line, flush=True)
                rows.append(r)
    if args.json:   # whole or not at all: a temporary name, renamed when written
        tmp = args.json.with_name(args.json.name + ".tmp")
        tmp.write_text(json.dumps({"threads": args.threads, "side_by_side": args.side_by_side,
                                   "baseline_threads": base_threads,
                                   "baseline_side_by_side": base_side,
                                   "matmul_peak_gflops": peak, "baseline": args.baseline,
                                   "repeats": args.repeats, "steps": args.steps,
                                   "rows": rows}, indent=2) + "\n")
        tmp.replace(args.json)


if __name__ == "__main__":
    main()
