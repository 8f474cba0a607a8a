"""DVC stage ``plots``: figures of trained latents (matplotlib, PNG) under results/plots/.

    python -m benchmark.plots --runs runs --data data --out results/plots

* ``shapes_latent_grid.png``: 2D Shapes, models trained on {up}: the latent of one object
  placed on every cell of the grid (the others fixed), projected on its two principal
  axes and connected along grid rows and columns. An equivariant model draws the 5x5 grid;
  C-SWM trained on `up` moves only collapses the unseen horizontal direction.
* ``reacher_latent.png``: Reacher, latents of eval observations projected on their two
  principal axes, coloured by the first joint's angle (SEN's D4 latent vs None's).
* ``teapot_traversal.png``: a yaw traversal of the Teapot in pixels, and in latent space:
  the distance from each rolled-forward latent to every encoded frame of the traversal.

Loss curves are DVC plots of the dvclive logs (``dvc plots show``), declared in dvc.yaml.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmark.errors import run_reporting_errors  # noqa: E402
from benchmark.evaluate import load_run  # noqa: E402
from generators.reader import EpisodeFile, to_float  # noqa: E402

DEVICE = torch.device("cpu")


@dataclass(frozen=True)
class PlotSpec:
    """A figure of one env's trained runs: ``fn(runs, data, out) -> Path | None`` gets
    ``runs`` (label -> run directory of ``<env>-<split>-<method>/seed<seed>``), the env's
    eval file and the output folder."""

    name: str
    env: str
    split: str
    methods: dict[str, str]   # label -> method
    fn: Callable[[dict[str, Path], Path, Path], "Path | None"]


_PLOTS: dict[str, PlotSpec] = {}


def register_plot(name: str, env: str, split: str, methods: dict[str, str]) -> Callable:
    """Decorator: register a figure drawn by ``make_plots`` (the ``plots`` stage)."""
    def deco(fn: Callable) -> Callable:
        if name in _PLOTS:
            raise ValueError(f"plot {name!r} is already registered")
        _PLOTS[name] = PlotSpec(name, env, split, dict(methods), fn)
        return fn
    return deco


def _pca2(x: np.ndarray) -> np.ndarray:
    x = x - x.mean(0, keepdims=True)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    return x @ vt[:2].T


@torch.no_grad()
def _encode(model, images: np.ndarray) -> np.ndarray:
    out = []
    for start in range(0, len(images), 256):
        obs = to_float(torch.from_numpy(np.ascontiguousarray(images[start:start + 256])))
        out.append(model.encode(obs).flatten(1).numpy())
    return np.concatenate(out)


@register_plot("shapes_latent_grid", env="shapes", split="limited",
               methods={"SEN": "sen", "CNN": "cnn"})
@torch.no_grad()
def shapes_latent_grid(runs: dict[str, Path], data: Path, out: Path) -> Path | None:
    """Latent of object 0 on every grid cell (others in a fixed corner layout)."""
    from generators.gridworld import GridWorldEnv
    runs = {k: v for k, v in runs.items() if (v / "model.pt").is_file()}
    if not runs:
        return None
    env = GridWorldEnv("shapes")
    others = np.array([[0, 0], [0, 4], [4, 0], [4, 4]])
    cells = [(r, c) for r in range(5) for c in range(5)]
    images, valid = [], []
    for r, c in cells:
        if any((r, c) == tuple(o) for o in others):
            continue
        images.append(env.render_state(np.vstack([[r, c], others])))
        valid.append((r, c))
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 4), squeeze=False)
    for ax, (label, run) in zip(axes[0], runs.items()):
        model, config = load_run(run, DEVICE)
        z = model.encode(to_float(torch.from_numpy(np.stack(images))))
        z0 = z.reshape(z.shape[0], config_objects(z), -1)[:, 0].numpy()
        p = _pca2(z0)
        pos = {rc: p[i] for i, rc in enumerate(valid)}
        for r in range(5):
            row = [pos[(r, c)] for c in range(5) if (r, c) in pos]
            ax.plot(*np.array(row).T, color="tab:blue", lw=1)
        for c in range(5):
            col = [pos[(r, c)] for r in range(5) if (r, c) in pos]
            ax.plot(*np.array(col).T, color="tab:orange", lw=1)
        ax.scatter(p[:, 0], p[:, 1], c=[r * 5 + c for r, c in valid], cmap="viridis", zorder=3)
        ax.set_title(f"{label}: object 0 latent (PCA)\nblue: rows, orange: columns")
        ax.set_xticks([]), ax.set_yticks([])
    fig.tight_layout()
    path = out / "shapes_latent_grid.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def config_objects(z: torch.Tensor) -> int:
    """Number of object slots of a grid latent ([B, K, ...] -> K; flat [B, D] latents -> 1)."""
    return z.shape[1] if z.dim() >= 3 else 1


@register_plot("reacher_latent", env="reacher", split="train",
               methods={"sen": "sen", "none": "none"})
def reacher_latent(runs: dict[str, Path], data: Path, out: Path) -> Path | None:
    runs = {k: v for k, v in runs.items() if (v / "model.pt").is_file()}
    if not runs or not data.is_file():
        return None
    with EpisodeFile(data, expect_env="reacher") as ds:
        n = min(ds.n_episodes, 200)
        frames = ds.array("obs", slice(0, n))                  # [n, T+2, H, W, 3]
        qpos = ds.array("state/qpos", slice(0, n))              # [n, T+1, 4]
    t = np.arange(frames.shape[1] - 1)
    obs = np.concatenate([frames[:, t], frames[:, t + 1]], axis=-1).reshape(
        (-1,) + frames.shape[2:4] + (6,))
    angle = np.mod(qpos[..., 0].reshape(-1), 2 * np.pi)
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 4), squeeze=False)
    for ax, (label, run) in zip(axes[0], runs.items()):
        model, _ = load_run(run, DEVICE)
        p = _pca2(_encode(model, obs))
        sc = ax.scatter(p[:, 0], p[:, 1], c=angle, cmap="twilight", s=6)
        ax.set_title(f"{label}: latent (PCA), colour = joint 1 angle")
        ax.set_xticks([]), ax.set_yticks([])
    fig.colorbar(sc, ax=axes[0].tolist(), shrink=0.8)
    path = out / "reacher_latent.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


@register_plot("teapot_traversal", env="teapot", split="train",
               methods={"sen": "sen", "none": "none", "hvae": "hvae"})
@torch.no_grad()
def teapot_traversal(runs: dict[str, Path], data: Path, out: Path) -> Path | None:
    runs = {k: v for k, v in runs.items() if (v / "model.pt").is_file()}
    if not runs or not data.is_file():
        return None
    with EpisodeFile(data, expect_env="teapot") as ds:
        if "extras/traversal/yaw/obs" not in ds:
            return None
        frames = ds.array("extras/traversal/yaw/obs", 0)        # [S+1, 64, 64, 1]
        step = torch.from_numpy(ds.array("extras/traversal/yaw/action"))
    shown = list(range(0, frames.shape[0], 5))
    fig = plt.figure(figsize=(max(0.9 * len(shown), 3.4 * len(runs)), 4.6), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 2.6])
    for ax, t in zip(np.atleast_1d(top.subplots(1, len(shown))), shown):
        ax.imshow(frames[t, ..., 0], cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"t={t}", fontsize=8)
        ax.axis("off")
    for ax, (label, run) in zip(np.atleast_1d(bottom.subplots(1, len(runs))), runs.items()):
        model, _ = load_run(run, DEVICE)
        z_frames = model.encode(to_float(torch.from_numpy(np.ascontiguousarray(frames))))
        z = z_frames[:1]
        rollout = [z]
        for s in range(step.shape[0]):
            z = model.transition(z, step[s:s + 1])
            rollout.append(z)
        r = torch.cat(rollout).flatten(1)
        dist = torch.cdist(r, z_frames.flatten(1)).numpy()
        image = ax.imshow(dist, cmap="magma_r")
        fig.colorbar(image, ax=ax, shrink=0.8, label="latent distance")
        ax.set_title(f"{label}: |rollout(t) - enc(frame t')|", fontsize=8)
        ax.set_xlabel("encoded frame t'")
        ax.set_ylabel("rollout step t")
    path = out / "teapot_traversal.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def make_plots(runs_dir: str | Path, data_dir: str | Path, out_dir: str | Path,
               seed: int = 0) -> list[Path]:
    """Every registered figure whose runs exist, for the runs of ``seed``."""
    runs_dir, data_dir, out = Path(runs_dir), Path(data_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for plot in _PLOTS.values():
        runs = {label: runs_dir / f"{plot.env}-{plot.split}-{method}" / f"seed{seed}"
                for label, method in plot.methods.items()}
        paths.append(plot.fn(runs, data_dir / plot.env / "eval.h5", out))
    return [p for p in paths if p is not None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="runs")
    parser.add_argument("--data", default="data")
    parser.add_argument("--out", default="results/plots")
    args = parser.parse_args(argv)

    def run() -> None:
        for path in make_plots(args.runs, args.data, args.out):
            print(path)
    return run_reporting_errors("plots", run)


if __name__ == "__main__":
    sys.exit(main())
