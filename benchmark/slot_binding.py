"""Which object does each slot of a grid-world model track? A diagnostic of trained runs.

The grid-world models (2D Shapes, 3D Blocks) embed a frame as K object masks, and the
transition addresses an action to slot k as to object k (the action's one-hot node), so a
model can only roll out many steps once slot k tracks object k. This measures it: for each
slot k, the centroid of its mask (positive part) over the first frame of ``--frames``
episodes, and the R^2 of a linear fit of object j's grid position (the file's
``state/grid``) from that centroid, averaged over the two coordinates, for every (k, j).
A bound slot has R^2 near 1 on the diagonal and near 0 elsewhere. Run as::

    python -m benchmark.slot_binding runs/blocks-limited-sen/seed0 data/blocks/eval.h5

or with ``{seed}`` in the run path and ``--seeds 0,1,2``. docs/performance.md s. 4 has what
it showed on the 3D Blocks plateau: the seeds that stay on it have not bound their slots.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

GRID_KEY = "state/grid"


def slot_centroids(masks: np.ndarray) -> np.ndarray:
    """``[N, K, m, m]`` masks -> ``[N, K, 2]`` (row, column) centroids of their positive part
    (an all-non-positive mask has the grid's centre)."""
    if masks.ndim != 4 or masks.shape[-1] != masks.shape[-2]:
        raise ValueError(f"masks must be [N, K, m, m], got {masks.shape}")
    m = masks.shape[-1]
    w = np.clip(masks.astype(np.float64), 0.0, None)
    total = w.sum(axis=(2, 3))
    rows, cols = np.mgrid[0:m, 0:m]
    empty = total <= 0
    total = np.where(empty, 1.0, total)
    cy = (w * rows).sum(axis=(2, 3)) / total
    cx = (w * cols).sum(axis=(2, 3)) / total
    centre = (m - 1) / 2
    return np.stack([np.where(empty, centre, cy), np.where(empty, centre, cx)], axis=-1)


def binding_r2(centroids: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``[K, J]``: R^2 of the least-squares affine fit of object j's position (each of its 2
    coordinates, then averaged) from slot k's centroid. ``centroids`` [N, K, 2], ``positions``
    [N, J, 2]; a coordinate that never varies in ``positions`` is an error."""
    if centroids.ndim != 3 or positions.ndim != 3 or centroids.shape[0] != positions.shape[0] \
            or centroids.shape[2] != 2 or positions.shape[2] != 2:
        raise ValueError(f"need centroids [N, K, 2] and positions [N, J, 2], got "
                         f"{centroids.shape} and {positions.shape}")
    n = centroids.shape[0]
    pos = positions.astype(np.float64)
    spread = pos.var(axis=0)
    if (spread <= 0).any():
        raise ValueError("an object's coordinate is constant over the frames: no R^2")
    out = np.zeros((centroids.shape[1], positions.shape[1]))
    for k in range(centroids.shape[1]):
        design = np.column_stack([centroids[:, k], np.ones(n)])
        coef, *_ = np.linalg.lstsq(design, pos.reshape(n, -1), rcond=None)
        residual = pos.reshape(n, -1) - design @ coef
        r2 = 1.0 - residual.var(axis=0) / spread.reshape(-1)
        out[k] = r2.reshape(-1, 2).mean(axis=1)
    return out


def slot_binding(run: str | Path, data: str | Path, frames: int = 300) -> dict:
    """The binding of one run's slots on the first frame of ``frames`` episodes of ``data``:
    ``{"r2": [K][J], "diagonal": [K], "mean_diagonal", "kept_epoch", "frames"}``."""
    import torch

    from benchmark.evaluate import load_run
    from benchmark.run_report import embed_first_frames

    model, config = load_run(run, torch.device("cpu"))
    if not hasattr(model, "num_objects") or not hasattr(model, "embed"):
        raise ValueError(f"{run}: {config['method']} on {config['env']} has no object slots")
    masks, positions = embed_first_frames(model, data, config["env"], GRID_KEY, frames,
                                          " (a grid-world file is needed)")
    n = len(masks)
    if masks.ndim != 4 or masks.shape[1] != model.num_objects:
        raise ValueError(f"{run}: the embedding is {masks.shape}, not [N, K, m, m] masks")
    r2 = binding_r2(slot_centroids(masks), positions)
    diagonal = np.diag(r2)
    return {"run": str(run), "data": str(data), "frames": n, "kept_epoch": config["kept_epoch"],
            "r2": r2.round(4).tolist(), "diagonal": diagonal.round(4).tolist(),
            "mean_diagonal": round(float(diagonal.mean()), 4)}


def _format(result: dict) -> str:
    lines = [f"{result['run']} (kept epoch {result['kept_epoch']}, {result['frames']} frames): "
             f"mean R^2 on the diagonal {result['mean_diagonal']:.2f}",
             "  R^2 of object j's position from slot k's centroid (rows k, columns j)"]
    lines += ["  " + " ".join(f"{v:5.2f}" for v in row) for row in result["r2"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run directory; may contain {seed} with --seeds")
    parser.add_argument("data", help="a grid-world dataset file (eval or validation)")
    parser.add_argument("--seeds", default=None, help="e.g. 0-2 or 0,3,5 (fills {seed} in RUN)")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args(argv)
    from benchmark.run_report import report_runs
    report_runs("slot_binding", args.run, args.seeds,
                lambda run: slot_binding(run, args.data, args.frames), _format, args.json)


if __name__ == "__main__":
    sys.exit(main())
