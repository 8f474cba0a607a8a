"""Generate one dataset split: episodes in parallel, written in order, atomically.

Episode ``i`` of a file with root seed ``S`` is generated from
``SeedSequence(S, spawn_key=(i,))`` (what ``SeedSequence(S).spawn(n)[i]`` gives),
and the per-file extras from ``SeedSequence(S, spawn_key=(EXTRAS_KEY,))``. No global
random state is touched, so the bytes do not depend on the number of workers.
"""
from __future__ import annotations

import multiprocessing as mp
import sys
from pathlib import Path
from typing import Iterator

import numpy as np
from tqdm import tqdm

from benchmark.plugins import load_modules, loaded_plugins
from generators import h5format
from generators.registry import get_env

EXTRAS_KEY = 2 ** 31
WRITE_BLOCK = 64  # episodes handed to the writer at once


def episode_seed(root_seed: int, index: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(root_seed, spawn_key=(index,))


def _episode_task(args: tuple) -> dict[str, np.ndarray]:
    env, root_seed, index, steps, config = args
    return get_env(env).episode(episode_seed(root_seed, index), steps, config)


def _episodes(env: str, root_seed: int, n: int, steps: int, config: dict,
              workers: int) -> Iterator[dict[str, np.ndarray]]:
    tasks = ((env, root_seed, i, steps, config) for i in range(n))
    if workers == 1:
        yield from map(_episode_task, tasks)
        return
    # spawn, not fork: renderers (pybullet clients, EGL contexts) are never shared; each
    # worker loads the plugin modules of this process, so plugin envs are registered there
    with mp.get_context("spawn").Pool(workers, initializer=load_modules,
                                      initargs=(loaded_plugins(),)) as pool:
        yield from pool.imap(_episode_task, tasks, chunksize=max(1, min(16, n // (8 * workers))))


def parse_options(pairs: list[str] | None) -> dict:
    """``["key=value", ...]`` -> dict, values read as YAML scalars (ints, floats, strings)."""
    import yaml
    options = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"option {pair!r} is not of the form key=value")
        options[key.strip()] = yaml.safe_load(value)
    return options


def generate(env: str, split: str, episodes: int, steps: int, seed: int, out: str | Path,
             actions: str | None = None, options: dict | None = None, workers: int = 1,
             force: bool = False, progress: bool = True) -> str:
    """Write ``episodes`` episodes of ``steps`` steps of ``env`` to ``out``; returns the digest."""
    spec = get_env(env)
    for name, value, low in (("episodes", episodes, 1), ("steps", steps, 1),
                             ("workers", workers, 1), ("seed", seed, 0)):
        if not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    config = spec.resolve_config(actions, dict(options or {}), seed)
    out = Path(out)
    h5format.check_writable(out, force)
    with h5format.atomic_h5(out, force=force) as f:
        writer = h5format.EpisodeWriter(f, episodes)
        bar = tqdm(total=episodes, desc=f"{env}/{split}", unit="ep", file=sys.stderr,
                   disable=not progress, mininterval=1.0)
        block: list[dict[str, np.ndarray]] = []
        for ep in _episodes(env, seed, episodes, steps, config, workers):
            block.append(ep)
            if len(block) == WRITE_BLOCK:
                writer.write_many(block)
                bar.update(len(block))
                block = []
        writer.write_many(block)
        bar.update(len(block))
        bar.close()
        if spec.extras is not None:
            extras = spec.extras(np.random.SeedSequence(seed, spawn_key=(EXTRAS_KEY,)), config)
            h5format.write_group(f, "extras", extras)
        h5format.set_provenance(f, generator=spec.name, env_id=spec.env_id,
                                generator_version=spec.version, split=split, config=config,
                                root_seed=seed, n_episodes=episodes, steps=steps,
                                frame_stack=spec.frame_stack)
        return h5format.finalise(f)
