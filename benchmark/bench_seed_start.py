"""Benchmark: the start-up of a multi-seed train or evaluate command, forked seeds against
fresh processes (:mod:`benchmark.seed_jobs`).

Run as ``python -m benchmark.bench_seed_start [--rounds 3 --seeds 3]``.

A tiny 2D Shapes set (16 transitions, 8 eval episodes) and a tiny C-SWM model make the
runs' own work negligible, so what is timed is what every stage of the pipeline pays
before and after its seeds' work: Python, torch, escnn and the models imported, the data
checked, the results written. Each round runs ``senbench train --seeds-from-params`` and
``senbench evaluate --seeds-from-params`` once with forked seeds and once with
``SENBENCH_FRESH_PROCESSES=1``, alternating which goes first, so that a busy machine hits
both alike; the table gives the median wall seconds per command and their ratio, and the
script checks that both ways wrote the same `model.pt` bytes.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmark.seed_jobs import FRESH_ENV

TINY_PARAMS = ("profile: default\nseeds: {seeds}\n"
               "train:\n  shapes: {{epochs: 1, batch_size: 8, lr: 0.001, threads: 1,\n"
               "    val_episodes: 4, models: {{cnn: {{embedding_hidden: 4, encoder_hidden: 8,"
               " transition_hidden: 8}}}}}}\n")


def senbench(args: list[str], fresh: bool) -> float:
    """Wall seconds of ``python -m benchmark.cli ARGS`` (fails loudly on a non-zero exit)."""
    env = dict(os.environ)
    env[FRESH_ENV] = "1" if fresh else "0"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "benchmark.cli", *args], env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"bench_seed_start: `senbench {' '.join(args)}` failed: "
                         f"{proc.stderr.strip().splitlines()[-1:]}")
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=3, help="seeds per command, all at once")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.seeds < 1:
        raise SystemExit("bench_seed_start: --rounds and --seeds must be >= 1")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        params = root / "params.yaml"
        params.write_text(TINY_PARAMS.format(seeds=list(range(args.seeds))))
        data = {"limited": root / "limited.h5", "eval": root / "eval.h5"}
        senbench(["generate", "--env", "shapes", "--split", "limited", "--episodes", "16",
                  "--steps", "1", "--seed", "3", "--actions", "up", "--out",
                  str(data["limited"]), "--quiet"], fresh=True)
        senbench(["generate", "--env", "shapes", "--split", "eval", "--episodes", "8",
                  "--steps", "10", "--seed", "4", "--out", str(data["eval"]), "--quiet"],
                 fresh=True)
        times: dict[tuple[str, bool], list[float]] = {}
        for r in range(args.rounds):
            for fresh in ((False, True) if r % 2 == 0 else (True, False)):
                out = root / ("fresh" if fresh else "fork") / f"round{r}"
                train = ["train", "--env", "shapes", "--method", "cnn", "--data",
                         str(data["limited"]), "--eval-data", str(data["eval"]),
                         "--seeds-from-params", "--params", str(params), "--quiet",
                         "--out", str(out / "runs" / "seed{seed}")]
                evaluate = ["evaluate", "--run", str(out / "runs" / "seed{seed}"), "--data",
                            str(data["eval"]), "--seeds-from-params", "--params", str(params),
                            "--quiet", "--out", str(out / "metrics" / "seed{seed}.json")]
                times.setdefault(("train", fresh), []).append(senbench(train, fresh))
                times.setdefault(("evaluate", fresh), []).append(senbench(evaluate, fresh))
        for s in range(args.seeds):
            a = (root / "fork" / "round0" / "runs" / f"seed{s}" / "model.pt").read_bytes()
            b = (root / "fresh" / "round0" / "runs" / f"seed{s}" / "model.pt").read_bytes()
            if a != b:
                raise SystemExit(f"bench_seed_start: seed {s}: the forked run's model.pt "
                                 "differs from the fresh process's")
    print(f"{args.seeds} seed(s) at once, {args.rounds} round(s), tiny runs "
          f"({os.cpu_count()} CPUs); median wall seconds per command")
    print(f"{'command':<10} {'fresh':>7} {'forked':>7} {'saved':>7} {'ratio':>7}")
    for command in ("train", "evaluate"):
        fresh = statistics.median(times[(command, True)])
        fork = statistics.median(times[(command, False)])
        print(f"{command:<10} {fresh:7.2f} {fork:7.2f} {fresh - fork:7.2f} "
              f"{fresh / fork:6.2f}x")
    print("model.pt of every seed: the same bytes both ways")


if __name__ == "__main__":
    main()
