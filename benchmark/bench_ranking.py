"""Benchmark: chunked ranking of :mod:`benchmark.metrics.ranking` vs the paper code's ranking.

Run as ``python -m benchmark.bench_ranking [--n 10000 --dim 40 --chunk 1024 --repeat 3]``.

Both methods rank the same seeded random latents (predictions = targets + noise, with some
exact copies among the predictions so that ties occur). Each method runs in a fresh
subprocess, so that its peak memory (``resource.getrusage`` max RSS) is measured above the
RSS the process had just before the ranking (latents generated, torch loaded, one small
warm-up ranking done). Time is the best of ``--repeat`` runs with 2 torch threads (wall
clock, and CPU time of all threads, which is less sensitive to a busy machine). The
parent checks that both methods give identical ranks and prints a side-by-side table.

The paper method (SEN / C-SWM evaluation code) builds the full N x N matrix of squared
distances (``cdist`` without the matmul trick), puts the diagonal in front of every row,
sorts every row (stable) and takes the position of column 0; ours counts, chunk by chunk
of targets, the predictions strictly closer than the right one.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

#: the paper code's figures for N = 10000, D = 40 on the 2-core reference machine
PAPER_REFERENCE = {"time_s": 5.6, "extra_mb": 2300.0}
TARGET_FRACTION = 0.25
THREADS = 2


def make_latents(n: int, dim: int, seed: int = 0, noise: float = 1.0,
                 copy_every: int = 50) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded ``(pred, target)`` float32 ``[n, dim]``; every ``copy_every``-th pair of
    predictions are exact copies, which creates exact ties in the ranking."""
    gen = torch.Generator().manual_seed(seed)
    target = torch.randn(n, dim, generator=gen)
    pred = target + noise * torch.randn(n, dim, generator=gen)
    if copy_every > 0 and n > 1:
        pred[1::copy_every] = pred[0:n - 1:copy_every][: pred[1::copy_every].shape[0]]
    return pred, target


def paper_ranks(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The ranking of the paper code (jypark0/sen ``hits_and_rr``), kept as the reference."""
    n = target.shape[0]
    dist = torch.cdist(target, pred, p=2, compute_mode="donot_use_mm_for_euclid_dist").pow_(2)
    diag = torch.diagonal(dist, dim1=-2, dim2=-1).unsqueeze(-1)
    augmented = torch.cat([diag, dist], dim=-1)
    _, indices = torch.sort(augmented, dim=-1, stable=True)
    labels = torch.zeros((n, 1), device=augmented.device, dtype=torch.int64)
    match = indices == labels
    return torch.argmax(match.int(), dim=-1) + 1


def our_ranks(pred: torch.Tensor, target: torch.Tensor, chunk: int = 1024) -> torch.Tensor:
    """Ours: :func:`benchmark.metrics.ranking.ranks`."""
    from benchmark.metrics.ranking import ranks
    return ranks(pred, target, chunk=chunk)


def _rss_mb() -> float:
    """Current resident set size in MB (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # KiB on Linux


def _worker(method: str, n: int, dim: int, chunk: int, repeat: int, out: str) -> None:
    """Run one method in this (fresh) process; write timing, memory and ranks to ``out``."""
    torch.set_num_threads(THREADS)
    fn = paper_ranks if method == "paper" else (lambda p, t: our_ranks(p, t, chunk))
    small_p, small_t = make_latents(64, dim, seed=1)
    fn(small_p, small_t)  # warm-up: load kernels outside the measurement
    pred, target = make_latents(n, dim)
    base_rss, base_max = _rss_mb(), _maxrss_mb()
    times, cpu_times, first_peak, result = [], [], 0.0, None
    for i in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn(pred, target)
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
        if i == 0:  # later runs reuse freed memory; the first one sets the peak
            first_peak = _maxrss_mb()
    np.save(out + ".npy", result.numpy())
    with open(out, "w") as fh:
        json.dump({"time_s": min(times), "times": times, "cpu_s": min(cpu_times),
                   "base_rss_mb": base_rss,
                   "base_maxrss_mb": base_max, "peak_mb": first_peak,
                   "extra_mb": max(0.0, first_peak - base_rss)}, fh)


def _run_method(method: str, args: argparse.Namespace, tmp: str) -> tuple[dict, np.ndarray]:
    out = os.path.join(tmp, method + ".json")
    cmd = [sys.executable, "-m", "benchmark.bench_ranking", "--worker", method, "--n",
           str(args.n), "--dim", str(args.dim), "--chunk", str(args.chunk), "--repeat",
           str(args.repeat), "--out", out]
    subprocess.run(cmd, check=True)
    with open(out) as fh:
        stats = json.load(fh)
    return stats, np.load(out + ".npy")


def _table(paper: dict, ours: dict, args: argparse.Namespace, same: bool, r: np.ndarray) -> str:
    lines = [f"ranking benchmark: N = {args.n}, D = {args.dim}, chunk = {args.chunk}, "
             f"{THREADS} threads, best of {args.repeat}",
             f"{'':26s}{'paper code':>14s}{'ours':>14s}{'paper / ours':>14s}",
             f"{'time (s)':26s}{paper['time_s']:14.3f}{ours['time_s']:14.3f}"
             f"{paper['time_s'] / ours['time_s']:14.1f}",
             f"{'CPU time, all threads (s)':26s}{paper['cpu_s']:14.3f}{ours['cpu_s']:14.3f}"
             f"{paper['cpu_s'] / ours['cpu_s']:14.1f}",
             f"{'extra peak RSS (MB)':26s}{paper['extra_mb']:14.1f}{ours['extra_mb']:14.1f}"
             f"{paper['extra_mb'] / max(ours['extra_mb'], 1e-3):14.1f}",
             f"identical ranks: {same}  (Hits@1 = {100 * np.mean(r == 1):.2f}, "
             f"MRR = {100 * np.mean(1.0 / r):.2f}, ties exercised)"]
    if args.n == 10000 and args.dim == 40:
        t_lim = TARGET_FRACTION * PAPER_REFERENCE["time_s"]
        m_lim = TARGET_FRACTION * PAPER_REFERENCE["extra_mb"]
        lines.append(f"target (1/4 of the paper code's {PAPER_REFERENCE['time_s']} s and "
                     f"{PAPER_REFERENCE['extra_mb']:.0f} MB): time {ours['time_s']:.3f} <= "
                     f"{t_lim:.2f} s {'OK' if ours['time_s'] <= t_lim else 'MISSED'}, memory "
                     f"{ours['extra_mb']:.1f} <= {m_lim:.0f} MB "
                     f"{'OK' if ours['extra_mb'] <= m_lim else 'MISSED'}")
        ratio_ok = (ours["time_s"] <= TARGET_FRACTION * paper["time_s"]
                    and ours["extra_mb"] <= TARGET_FRACTION * paper["extra_mb"])
        lines.append(f"against the paper code measured here (robust to a busy machine): ours "
                     f"within 1/4 of its time and memory: {'OK' if ratio_ok else 'MISSED'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="number of latents")
    parser.add_argument("--dim", type=int, default=40, help="latent dimension")
    parser.add_argument("--chunk", type=int, default=1024, help="targets per chunk (ours)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs, best is reported")
    parser.add_argument("--worker", choices=("paper", "ours"), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.n < 2 or args.dim < 1 or args.chunk < 1 or args.repeat < 1:
        parser.error("--n >= 2, --dim >= 1, --chunk >= 1 and --repeat >= 1 are required")
    if args.worker:
        _worker(args.worker, args.n, args.dim, args.chunk, args.repeat, args.out)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        paper, r_paper = _run_method("paper", args, tmp)
        ours, r_ours = _run_method("ours", args, tmp)
    same = bool(np.array_equal(r_paper, r_ours))
    print(_table(paper, ours, args, same, r_ours))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
