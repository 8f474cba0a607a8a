"""The SEN-Bench HDF5 dataset format (see generators/FORMAT.md).

Writing goes to ``<out>.tmp-<pid>`` and is renamed onto ``<out>`` only when the
file is complete and its digest is stored, so an interrupted or failed run never
leaves a half-written file under the final name, and never damages an existing one.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Iterator

import h5py
import numpy as np

FORMAT_NAME = "senbench-episodes"
FORMAT_VERSION = 1
# datasets every file holds (beside state/*, twin/state/* and optional extras)
REQUIRED_KEYS = ("obs", "action", "twin/obs", "twin/action", "twin/g")
# target size of one HDF5 chunk; several short episodes share a chunk so that
# gzip sees enough data and 100000 one-step episodes do not mean 100000 chunks
CHUNK_BYTES = 1 << 18
COMPRESSION = dict(compression="gzip", compression_opts=6, shuffle=False)


class DatasetError(ValueError):
    """A dataset file is missing, truncated, corrupted or of the wrong layout."""


def package_versions() -> dict[str, str]:
    names = ("numpy", "h5py", "pybullet", "mujoco", "gymnasium", "torch")
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    try:
        versions["senbench"] = metadata.version("senbench")
    except metadata.PackageNotFoundError:
        pass
    return versions


def iter_datasets(group: h5py.Group, prefix: str = "") -> Iterator[tuple[str, h5py.Dataset]]:
    """All datasets below ``group`` as (path, dataset), sorted by path."""
    items = []

    def visit(name: str, obj) -> None:
        if isinstance(obj, h5py.Dataset):
            items.append((prefix + name, obj))

    group.visititems(visit)
    return iter(sorted(items, key=lambda kv: kv[0]))


def compute_digest(f: h5py.File) -> str:
    """SHA-256 over every dataset's path, dtype, shape and C-order bytes, in path order.

    Attributes (provenance) are not hashed: the digest certifies the array
    contents, so files made on machines with other package versions compare equal
    when their data do.
    """
    h = hashlib.sha256()
    for name, ds in iter_datasets(f):
        h.update(f"{name}|{ds.dtype.str}|{ds.shape}\n".encode())
        if ds.ndim == 0:
            h.update(np.ascontiguousarray(ds[()]).tobytes())
            continue
        row_bytes = max(1, int(np.prod(ds.shape[1:])) * ds.dtype.itemsize)
        step = max(1, (64 << 20) // row_bytes)
        for start in range(0, ds.shape[0], step):
            h.update(np.ascontiguousarray(ds[start:start + step]).tobytes())
    return h.hexdigest()


def _chunks(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    per_episode = max(1, int(np.prod(shape[1:])) * itemsize)
    n = int(max(1, min(shape[0], CHUNK_BYTES // per_episode)))
    return (n,) + tuple(shape[1:])


def check_writable(out: Path, force: bool) -> None:
    """Fail early, before any work, when ``out`` cannot or must not be written."""
    if out.exists() and not force:
        raise FileExistsError(f"{out} exists; pass --force to replace it")
    if out.exists() and out.is_dir():
        raise IsADirectoryError(f"{out} is a directory")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"output directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise PermissionError(f"output directory {parent} is not writable")


class EpisodeWriter:
    """Streams episodes (dicts of arrays, see generators.registry) into one HDF5 file."""

    def __init__(self, f: h5py.File, n_episodes: int):
        self.f = f
        self.n = n_episodes
        self.i = 0
        self.keys: list[str] | None = None

    def _create(self, episode: dict[str, np.ndarray]) -> None:
        missing = [k for k in REQUIRED_KEYS if k not in episode]
        if missing:
            raise ValueError(f"episode lacks required arrays: {', '.join(missing)}")
        self.keys = sorted(episode)
        for key in self.keys:
            arr = np.asarray(episode[key])
            shape = (self.n,) + arr.shape
            self.f.create_dataset(key, shape=shape, dtype=arr.dtype,
                                  chunks=_chunks(shape, arr.dtype.itemsize),
                                  track_times=False, **COMPRESSION)

    def write_many(self, episodes: list[dict[str, np.ndarray]]) -> None:
        if not episodes:
            return
        if self.keys is None:
            self._create(episodes[0])
        assert self.keys is not None
        if self.i + len(episodes) > self.n:
            raise ValueError("more episodes than announced")
        for key in self.keys:
            rows = [np.asarray(ep[key]) for ep in episodes]
            ds = self.f[key]
            for r in rows:
                if r.shape != ds.shape[1:] or r.dtype != ds.dtype:
                    raise ValueError(f"episode array {key!r} has shape {r.shape} {r.dtype}, "
                                     f"expected {ds.shape[1:]} {ds.dtype}")
            ds[self.i:self.i + len(rows)] = np.stack(rows)
        self.i += len(episodes)


def write_group(f: h5py.File, prefix: str, arrays: dict[str, np.ndarray]) -> None:
    """Write un-stacked arrays (e.g. extras) under ``prefix``."""
    for key in sorted(arrays):
        arr = np.asarray(arrays[key])
        kwargs = {}
        if arr.ndim > 0 and arr.size > 0:
            kwargs = dict(chunks=_chunks(arr.shape, arr.dtype.itemsize), **COMPRESSION)
        f.create_dataset(f"{prefix}/{key}", data=arr, track_times=False, **kwargs)


@contextmanager
def atomic_h5(out: Path, force: bool = False) -> Iterator[h5py.File]:
    """Open a temporary HDF5 file next to ``out``; rename it onto ``out`` on success."""
    out = Path(out)
    check_writable(out, force)
    tmp = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    try:
        with h5py.File(tmp, "w", track_order=True, libver=("earliest", "v110")) as f:
            yield f
        if out.exists() and not force:  # appeared while we worked
            raise FileExistsError(f"{out} exists; pass --force to replace it")
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write a small text file (JSON, a table) via ``<path>.tmp-<pid>`` and a rename, so a
    reader never sees half a file and an interrupted write leaves the old one intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def set_provenance(f: h5py.File, *, generator: str, env_id: str, generator_version: str,
                   split: str, config: dict, root_seed: int, n_episodes: int, steps: int,
                   frame_stack: int) -> None:
    f.attrs["format"] = FORMAT_NAME
    f.attrs["format_version"] = FORMAT_VERSION
    f.attrs["generator"] = generator
    f.attrs["env_id"] = env_id
    f.attrs["generator_version"] = generator_version
    f.attrs["split"] = split
    f.attrs["config"] = json.dumps(config, sort_keys=True)
    f.attrs["root_seed"] = int(root_seed)
    f.attrs["episodes"] = int(n_episodes)
    f.attrs["steps"] = int(steps)
    f.attrs["frame_stack"] = int(frame_stack)
    f.attrs["versions"] = json.dumps(package_versions(), sort_keys=True)


def finalise(f: h5py.File) -> str:
    """Compute the digest of everything written and store it; returns it."""
    f.flush()
    digest = compute_digest(f)
    f.attrs["sha256"] = digest
    return digest
