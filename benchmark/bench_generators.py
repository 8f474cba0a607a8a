"""Benchmark of the generators: frames/s per core and stored bytes per transition.

    python -m benchmark.bench_generators [--envs shapes,blocks,reacher,teapot] [--episodes N]

Frames/s per core: one process, episodes generated end to end (dynamics, rendering of the
frames and of the rotated twin, the policy), frames counted as every image produced.
Bytes per transition: size on disk of a generated file (compression and rotated twin
included) divided by its number of transitions, next to the float32 obs + next_obs layout
of the original code (2 x C x H x W x 4 bytes a transition, no twin).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from generators.generate import episode_seed, generate
from generators.registry import env_names, get_env



def size_runs(env: str) -> list[tuple[str | None, int]]:
    """(actions, steps) of an env's file-size runs: those of its default splits."""
    splits = get_env(env).default_splits.values()
    return sorted({(cfg.get("actions"), min(int(cfg["steps"]), 10)) for cfg in splits},
                  key=lambda r: (str(r[0]), r[1]))
TARGET_FPS = {"blocks": 1000, "reacher": 150, "teapot": 500}


def frames_per_second(env: str, episodes: int, steps: int) -> float:
    spec = get_env(env)
    config = spec.resolve_config(None, {}, 0)
    spec.episode(episode_seed(0, 10 ** 6), steps, config)  # warm-up: renderer start-up
    frames = 0
    start = time.perf_counter()
    for i in range(episodes):
        ep = spec.episode(episode_seed(0, i), steps, config)
        # every image produced: frames, twin frames, extras such as hard negatives
        frames += sum(v.shape[0] for k, v in ep.items() if k.endswith("obs"))
    return frames / (time.perf_counter() - start)


def bytes_per_transition(env: str, actions: str | None, steps: int, episodes: int,
                         tmp: Path) -> tuple[float, float]:
    out = tmp / f"{env}-{steps}.h5"
    generate(env, "bench", episodes, steps, 0, out, actions=actions, progress=False, force=True)
    from generators.reader import EpisodeFile
    with EpisodeFile(out) as ds:
        c, h, w = ds.obs_shape
    ours = out.stat().st_size / (episodes * steps)
    return ours, 2 * c * h * w * 4


def main(argv: list[str] | None = None) -> None:
    import torch
    torch.set_num_threads(1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", default=None, help="comma-separated (default: every "
                        "registered env)")
    parser.add_argument("--episodes", type=int, default=100, help="episodes per timing")
    args = parser.parse_args(argv)
    envs = [e for e in (args.envs or ",".join(env_names())).split(",") if e]
    print(f"{'env':8s} {'frames/s/core':>14s} {'target':>7s}")
    for env in envs:
        steps = max(min(int(c["steps"]), 10) for c in get_env(env).default_splits.values())
        n = args.episodes if env != "reacher" else max(5, args.episodes // 5)
        fps = frames_per_second(env, n, steps)
        target = TARGET_FPS.get(env)
        print(f"{env:8s} {fps:14.0f} {target if target else '-':>7}")
    print()
    print(f"{'env':8s} {'file':18s} {'bytes/transition':>17s} {'float32 layout':>15s} {'ratio':>8s}")
    with tempfile.TemporaryDirectory() as tmp:
        for env in envs:
            for actions, steps in size_runs(env):
                episodes = 200 if steps > 1 else 2000
                if env == "reacher":
                    episodes = 20
                ours, f32 = bytes_per_transition(env, actions, steps, episodes, Path(tmp))
                label = f"{actions or 'all'} x{steps}"
                print(f"{env:8s} {label:18s} {ours:17.0f} {f32:15.0f} {f32 / ours:7.1f}x")


if __name__ == "__main__":
    main()
