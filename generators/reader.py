"""Lazy reader of SEN-Bench HDF5 files, serving transitions and h-step paths to PyTorch.

Images stay uint8 until a batch is on its device: :func:`to_float` converts one
batch at a time, so no float32 copy of a file ever exists.

    with EpisodeFile("data/shapes/train.h5") as ds:
        ds.verify()                                   # recompute the SHA-256 digest
        for batch in TransitionBatches(ds, batch_size=1024, generator=g):
            batch["obs"], batch["action"], batch["next_obs"]
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import h5py
import numpy as np
import torch

from generators.h5format import (FORMAT_NAME, FORMAT_VERSION, REQUIRED_KEYS, DatasetError,
                                 compute_digest)


def to_float(obs: torch.Tensor) -> torch.Tensor:
    """uint8 [B, H, W, C] -> float32 [B, C, H, W] in [0, 1] (on the tensor's device)."""
    if obs.dtype != torch.uint8:
        raise TypeError(f"expected uint8 images, got {obs.dtype}")
    return obs.permute(0, 3, 1, 2).float().div_(255.0)


def stack_frames(frames, ep, t, frame_stack: int):
    """Observations ``t`` of episodes ``ep``: frames[ep, t : t + k] concatenated along channels.

    ``frames`` is [E, F, H, W, C] (numpy or torch), ``ep`` and ``t`` are [B] index arrays;
    returns [B, H, W, C * k].  Only the B * k frames asked for are gathered.
    """
    if frame_stack == 1:
        return frames[ep, t]
    parts = [frames[ep, t + i] for i in range(frame_stack)]
    if isinstance(frames, torch.Tensor):
        return torch.cat(parts, dim=-1)
    return np.concatenate(parts, axis=-1)


class EpisodeFile:
    """A dataset file opened read-only; arrays are read only when asked for."""

    def __init__(self, path: str | Path, expect_env: str | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            raise DatasetError(f"{self.path}: no such dataset file")
        try:
            self._f = h5py.File(self.path, "r")
        except OSError as exc:
            raise DatasetError(f"{self.path}: not a readable HDF5 file "
                               f"(truncated or corrupted?): {str(exc).splitlines()[0]}") from None
        try:
            self._check_layout()
        except DatasetError:
            self._f.close()
            raise
        except (OSError, KeyError, ValueError, RuntimeError) as exc:
            self._f.close()
            raise DatasetError(f"{self.path}: unreadable dataset ({exc})") from None
        if expect_env is not None and self.env != expect_env:
            env = self.env
            self._f.close()
            raise DatasetError(f"{self.path}: holds env {env!r}, expected {expect_env!r}")

    # --- layout ---------------------------------------------------------------------
    def _check_layout(self) -> None:
        a = self._f.attrs
        if a.get("format") != FORMAT_NAME:
            raise DatasetError(f"{self.path}: not a SEN-Bench dataset (format attribute missing)")
        version = int(a.get("format_version", -1))
        if version != FORMAT_VERSION:
            raise DatasetError(f"{self.path}: format version {version}, this reader reads "
                               f"{FORMAT_VERSION}")
        if "sha256" not in a:
            raise DatasetError(f"{self.path}: no digest stored (incomplete file)")
        missing = [k for k in REQUIRED_KEYS if k not in self._f]
        if missing:
            raise DatasetError(f"{self.path}: missing arrays {', '.join(missing)}")
        n, t, k = self.n_episodes, self.steps, self.frame_stack
        expect = {"obs": (n, t + k), "twin/obs": (n, t + k), "action": (n, t),
                  "twin/action": (n, t)}
        for key, lead in expect.items():
            shape = self._f[key].shape
            if shape[:2] != lead:
                raise DatasetError(f"{self.path}: {key} has shape {shape}, expected {lead} + ...")
        if self._f["obs"].dtype != np.uint8 or self._f["obs"].ndim != 5:
            raise DatasetError(f"{self.path}: obs must be uint8 [episodes, frames, H, W, C]")
        if self._f["obs"].shape != self._f["twin/obs"].shape:
            raise DatasetError(f"{self.path}: twin/obs is not aligned with obs")

    # --- provenance -------------------------------------------------------------------
    @property
    def env(self) -> str:
        return str(self._f.attrs["generator"])

    @property
    def config(self) -> dict:
        return json.loads(self._f.attrs["config"])

    @property
    def attrs(self) -> dict:
        return {k: (v.item() if hasattr(v, "item") else v) for k, v in self._f.attrs.items()}

    @property
    def digest(self) -> str:
        return str(self._f.attrs["sha256"])

    @property
    def frame_stack(self) -> int:
        return int(self._f.attrs["frame_stack"])

    @property
    def n_episodes(self) -> int:
        return int(self._f.attrs["episodes"])

    @property
    def steps(self) -> int:
        return int(self._f.attrs["steps"])

    @property
    def obs_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one observation as models see it."""
        _, _, h, w, c = self._f["obs"].shape
        return (c * self.frame_stack, h, w)

    def keys(self) -> list[str]:
        out: list[str] = []
        self._f.visititems(lambda name, obj: out.append(name)
                           if isinstance(obj, h5py.Dataset) else None)
        return sorted(out)

    def __contains__(self, key: str) -> bool:
        return key in self._f

    # --- data ---------------------------------------------------------------------------
    def verify(self) -> str:
        """Recompute the digest; raise DatasetError when it differs from the stored one."""
        try:
            digest = compute_digest(self._f)
        except (OSError, RuntimeError) as exc:
            raise DatasetError(f"{self.path}: unreadable data (corrupted?): "
                               f"{str(exc).splitlines()[0]}") from None
        if digest != self.digest:
            raise DatasetError(f"{self.path}: digest mismatch: stored {self.digest[:16]}..., "
                               f"computed {digest[:16]}...")
        return digest

    def array(self, key: str, index=slice(None)) -> np.ndarray:
        """Read (part of) one array; raises DatasetError for unknown keys or unreadable data."""
        if key not in self._f:
            raise DatasetError(f"{self.path}: no array {key!r}")
        try:
            return self._f[key][index]
        except (OSError, RuntimeError) as exc:
            raise DatasetError(f"{self.path}: cannot read {key!r} (corrupted?): "
                               f"{str(exc).splitlines()[0]}") from None

    def cached_array(self, key: str) -> np.ndarray:
        """A whole array, read once and kept in memory for this open file.

        For readers that take many slices of one array (evaluation and the per-epoch
        validation take one frame of every episode per rollout step): each h5py slice
        decompresses every chunk it touches, so slicing a compressed array step by step
        decompresses it many times over; the bytes are the same either way."""
        cache = self.__dict__.setdefault("_arrays", {})
        if key not in cache:
            cache[key] = self.array(key)
        return cache[key]

    def tensor(self, key: str) -> torch.Tensor:
        """A whole array as a tensor in its stored dtype (images stay uint8)."""
        return torch.from_numpy(np.ascontiguousarray(self.array(key)))

    def close(self) -> None:
        self.__dict__.pop("_arrays", None)
        self._f.close()

    def __enter__(self) -> "EpisodeFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class TransitionDataset(torch.utils.data.Dataset):
    """Map-style dataset of (obs, action, next_obs) uint8 transitions, for DataLoader users.

    ``h`` > 1 gives h-step paths: (obs_t, actions_t..t+h-1, obs_t+h).
    Training inside SEN-Bench uses :class:`TransitionBatches`, which avoids per-sample Python.
    """

    def __init__(self, ds: EpisodeFile, h: int = 1, twin: bool = False):
        if not 1 <= h <= ds.steps:
            raise ValueError(f"h must be in [1, {ds.steps}], got {h}")
        self.ds, self.h, self.prefix = ds, h, "twin/" if twin else ""
        self.per_episode = ds.steps - h + 1

    def __len__(self) -> int:
        return self.ds.n_episodes * self.per_episode

    def __getitem__(self, i: int):
        ep, t = divmod(int(i), self.per_episode)
        k = self.ds.frame_stack
        frames = self.ds.array(self.prefix + "obs", ep)
        obs = np.concatenate(list(frames[t:t + k]), axis=-1)
        nxt = np.concatenate(list(frames[t + self.h:t + self.h + k]), axis=-1)
        actions = self.ds.array(self.prefix + "action", ep)[t:t + self.h]
        action = actions[0] if self.h == 1 else actions
        return torch.from_numpy(obs), torch.from_numpy(np.asarray(action)), torch.from_numpy(nxt)


class TransitionBatches:
    """Shuffled batches of transitions, gathered with tensor indexing (no per-sample Python).

    The uint8 frames and the actions are read once into memory (``device`` may be a GPU);
    each batch is gathered by index and converted to float on the device.
    """

    def __init__(self, ds: EpisodeFile, batch_size: int, generator: torch.Generator | None = None,
                 device: torch.device | str = "cpu", drop_last: bool = True,
                 shuffle: bool = True, twin: bool = False):
        prefix = "twin/" if twin else ""
        self.frames = ds.tensor(prefix + "obs").to(device)
        self.actions = ds.tensor(prefix + "action").to(device)
        self.k = ds.frame_stack
        self.steps = ds.steps
        self.n = ds.n_episodes * ds.steps
        if batch_size < 1:
            raise ValueError(f"batch size must be positive, got {batch_size}")
        self.batch_size = min(batch_size, self.n) if drop_last else batch_size
        self.generator, self.device = generator, torch.device(device)
        self.drop_last, self.shuffle = drop_last, shuffle

    def __len__(self) -> int:
        if self.drop_last:
            return self.n // self.batch_size
        return -(-self.n // self.batch_size)

    def batch(self, index: torch.Tensor) -> dict[str, torch.Tensor]:
        """The transitions with flat indices ``index`` (episode * steps + t)."""
        index = index.to(self.frames.device)
        ep, t = index // self.steps, index % self.steps
        obs = stack_frames(self.frames, ep, t, self.k)
        nxt = stack_frames(self.frames, ep, t + 1, self.k)
        return {"obs": to_float(obs), "action": self.actions[ep, t], "next_obs": to_float(nxt)}

    def shuffled_order(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """A random permutation of the flat transition indices, drawn from ``generator``."""
        return torch.randperm(self.n, generator=generator)

    def from_order(self, order: torch.Tensor, start: int = 0) -> Iterator[dict[str, torch.Tensor]]:
        """The batches of ``order`` (flat indices), from batch number ``start`` on: how
        training resumes an epoch mid-way with the epoch's own order."""
        for b in range(start, len(self)):
            yield self.batch(order[b * self.batch_size:(b + 1) * self.batch_size])

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        order = self.shuffled_order(self.generator) if self.shuffle else torch.arange(self.n)
        yield from self.from_order(order)
