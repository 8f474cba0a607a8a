"""How far a Teapot embedding is from equivariant, and about which of the teapot's own axes.

    python -m benchmark.pose_residual runs/teapot-train-sen/seed0 data/teapot/eval.h5
    python -m benchmark.pose_residual 'runs/teapot-train-sen/seed{seed}' data/teapot/eval.h5 \\
        --seeds 0-2 [--json out.json]

SEN's Teapot embedding ``S`` maps an image of the teapot at orientation ``R`` to a rotation
``S(x)``, and ``rho_V(g) S(x) = g S(x)``; so ``S`` is equivariant exactly when
``S(x_R) = R C`` for one fixed ``C``, i.e. when ``C_i = R_i^T S(x_i)`` is the same for every
frame. This reads ``R_i`` from the file's ``state/rotation`` (the first frame of each
episode), takes ``C`` as the chordal mean of the ``C_i`` (their mean projected onto SO(3)),
and reports the **residual rotations** ``B_i = C_i C^T``: rotations in the teapot's own
(body) frame, the identity for an equivariant ``S``. Their angles say how far ``S`` is from
equivariant; the principal axis of the residuals larger than ``--large`` degrees says which
ambiguity is left. A model that has found the teapot's up axis but not which way its spout
points leaves residuals about the body z axis (the mesh's up, SPEC section 2) at any angle:
mean angle 90 degrees, loss term ``2 * E[4 - 4 cos(phi)] = 8`` (sigma 0.5), the plateau of
the Teapot's training loss (docs/performance.md s. 4). A diagnostic, not a stage or a metric
of the tables.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from benchmark.run_report import embed_first_frames, report_runs
from benchmark.seed_jobs import SEED_FIELD
from generators.so3 import is_rotation, log_map

#: the state array of the Teapot files (one rotation per frame)
STATE_KEY = "state/rotation"
#: residuals above this angle (degrees) count as not resolved, and define the residual axis
LARGE_DEG = 20.0
BODY_UP = np.array([0.0, 0.0, 1.0])   # the mesh's z axis, up (SPEC section 2)
#: how far from orthogonal (entries of R^T R - I, float32 Gram-Schmidt) a latent may be
ROTATION_ATOL = 1e-4


def project_to_so3(m: np.ndarray) -> np.ndarray:
    """The rotation nearest ``m`` in the Frobenius norm (SVD, determinant +1)."""
    u, _, vt = np.linalg.svd(m)
    d = np.sign(np.linalg.det(u @ vt)) or 1.0
    return u @ np.diag([1.0, 1.0, d]) @ vt


def residual_rotations(embedded: np.ndarray, states: np.ndarray,
                       ) -> tuple[np.ndarray, np.ndarray]:
    """``(C, B)``: the chordal mean ``C`` of ``C_i = R_i^T S_i`` and the residuals
    ``B_i = C_i C^T`` (``[N, 3, 3]``), for embeddings ``S_i`` and states ``R_i``."""
    embedded, states = np.asarray(embedded, np.float64), np.asarray(states, np.float64)
    if embedded.shape != states.shape or embedded.shape[1:] != (3, 3) or len(embedded) < 1:
        raise ValueError(f"need [N, 3, 3] embeddings and states of one shape, got "
                         f"{embedded.shape} and {states.shape}")
    c_i = np.swapaxes(states, 1, 2) @ embedded
    c = project_to_so3(c_i.mean(0))
    return c, c_i @ c.T


def summarise_residuals(residuals: np.ndarray, large_deg: float = LARGE_DEG) -> dict:
    """Angles of the residual rotations (degrees): median, mean, the share below
    ``large_deg``; and for the larger ones their principal axis (sign-free: the top
    eigenvector of the mean ``u u^T`` of their unit axes), the share of ``|u|^2`` it carries,
    and the mean ``|cos|`` of their axes with the body's up (z) axis."""
    rotvec = log_map(residuals)
    angle = np.linalg.norm(rotvec, axis=1)
    deg = np.degrees(angle)
    out = {"frames": int(len(deg)), "median_deg": float(np.median(deg)),
           "mean_deg": float(deg.mean()), "share_below": float((deg <= large_deg).mean()),
           "large_deg": float(large_deg), "axis": None, "axis_share": None, "up_cos": None}
    large = deg > large_deg
    if large.any():
        axes = rotvec[large] / angle[large, None]
        values, vectors = np.linalg.eigh(axes.T @ axes / len(axes))
        axis = vectors[:, -1] * (1.0 if vectors[2, -1] >= 0 else -1.0)   # z component >= 0
        out.update(axis=axis.tolist(), axis_share=float(values[-1]),
                   up_cos=float(np.abs(axes @ BODY_UP).mean()))
    return out


def pose_residual(run: str | Path, data: str | Path, frames: int = 1000,
                  large_deg: float = LARGE_DEG) -> dict:
    """The residuals of one trained run's embedding on the first frame of ``frames``
    episodes of a Teapot file (:func:`summarise_residuals`, with the run and its kept
    epoch)."""
    import torch

    from benchmark.evaluate import load_run

    model, config = load_run(run, torch.device("cpu"))
    if config["env"] != "teapot":
        raise ValueError(f"{run}: a {config['env']} run; the pose residual is the Teapot's")
    embedded, states = embed_first_frames(model, data, "teapot", STATE_KEY, frames)
    if tuple(embedded.shape[1:]) != (3, 3):
        raise ValueError(f"{run}: {config['method']}'s embedding is {tuple(embedded.shape)}, "
                         "not [N, 3, 3] rotations")
    embedded = embedded.astype(np.float64)
    if not is_rotation(embedded, atol=ROTATION_ATOL):
        raise ValueError(f"{run}: {config['method']}'s embedding is not a rotation (the "
                         "residual is defined for rotation latents: sen, hvae)")
    _, residuals = residual_rotations(embedded, states)
    return {"run": str(run), "data": str(data), "method": config["method"],
            "kept_epoch": config.get("kept_epoch"),
            **summarise_residuals(residuals, large_deg)}


def _format(r: dict) -> str:
    line = (f"{r['run']} ({r['method']}, kept epoch {r['kept_epoch']}, {r['frames']} frames): "
            f"residual angle median {r['median_deg']:.1f} deg, mean {r['mean_deg']:.1f}; "
            f"{100 * r['share_below']:.0f}% within {r['large_deg']:g} deg")
    if r["axis"] is not None:
        x, y, z = r["axis"]
        line += (f"; the larger ones about ({x:+.2f}, {y:+.2f}, {z:+.2f}) in the body frame "
                 f"({100 * r['axis_share']:.0f}% of their axes' spread; mean |cos| with the "
                 f"up axis {r['up_cos']:.2f})")
    return line


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help=f"a trained Teapot run (with --seeds: a path with "
                                    f"{SEED_FIELD})")
    parser.add_argument("data", help="a Teapot file with state/rotation (e.g. the eval split)")
    parser.add_argument("--seeds", default=None, help="e.g. 0-2 or 0,1,2")
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--large", type=float, default=LARGE_DEG,
                        help="degrees above which a residual counts as unresolved")
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args(argv)
    report_runs("pose_residual", args.run, args.seeds,
                lambda run: pose_residual(run, args.data, args.frames, args.large), _format,
                args.json)


if __name__ == "__main__":
    sys.exit(main())
