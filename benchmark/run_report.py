"""What the trained-run diagnostics share (:mod:`benchmark.slot_binding`,
:mod:`benchmark.pose_residual`): the embeddings of the first frame of a file's episodes
with that frame's true state; one run, or a ``{seed}`` path over ``--seeds``, measured one
by one, printed a line each and written to JSON whole; bad input is one line."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from benchmark.seed_jobs import SEED_FIELD, parse_seeds, seed_path


def embed_first_frames(model: Any, data: str | Path, env: str, key: str, frames: int,
                       hint: str = "") -> tuple[np.ndarray, np.ndarray]:
    """``(S(x), key's values)`` at the first frame of the first ``frames`` episodes (at least
    3) of the ``env`` file ``data``: ``model.embed`` of the frames, without gradients, and
    the array ``key`` (a true state) there. A file without ``key`` fails with
    ``<data>: no '<key>' array<hint>``."""
    import torch

    from generators.reader import EpisodeFile, stack_frames, to_float

    with EpisodeFile(data, expect_env=env) as ds:
        if key not in ds:
            raise ValueError(f"{data}: no {key!r} array{hint}")
        n = min(int(frames), ds.n_episodes)
        if n < 3:
            raise ValueError(f"need at least 3 frames, got {n}")
        obs = stack_frames(ds.array("obs", slice(0, n)), np.arange(n),
                           np.zeros(n, dtype=np.int64), ds.frame_stack)
        states = ds.array(key, slice(0, n))[:, 0]
    with torch.no_grad():
        embedded = model.embed(to_float(torch.from_numpy(np.ascontiguousarray(obs))))
    return embedded.numpy(), states


def run_paths(run: str, seeds: str | None) -> list[str]:
    """``[run]``, or with ``seeds`` (e.g. ``0-2``) the run path with each seed in ``{seed}``."""
    if seeds is None:
        return [run]
    if SEED_FIELD not in run:
        raise ValueError(f"--seeds needs {SEED_FIELD} in the run path")
    return [seed_path(run, s) for s in parse_seeds(seeds)]


def report_runs(tool: str, run: str, seeds: str | None, measure: Callable[[str], dict],
                describe: Callable[[dict], str], json_path: str | None = None) -> list[dict]:
    """``measure`` every run of :func:`run_paths`, print ``describe`` of each result, write
    them all to ``json_path`` (a temporary name, renamed when written). A ``ValueError`` or
    ``OSError`` exits with ``<tool>: <reason>`` before anything is printed or written."""
    try:
        results = [measure(path) for path in run_paths(run, seeds)]
    except (ValueError, OSError) as exc:
        raise SystemExit(f"{tool}: {exc}")
    for result in results:
        print(describe(result))
    if json_path:
        tmp = Path(json_path + ".tmp")
        tmp.write_text(json.dumps(results, indent=2) + "\n")
        tmp.replace(json_path)
    return results
