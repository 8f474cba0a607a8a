"""Shared fixtures: tiny generated datasets (real generators, real HDF5)."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("MUJOCO_GL", "egl")


@pytest.fixture(scope="session")
def tiny_grid_files(tmp_path_factory):
    """2D Shapes and 3D Blocks files of 6 episodes x 4 steps (seed 5)."""
    from generators.generate import generate
    root = tmp_path_factory.mktemp("grid")
    files = {}
    for env in ("shapes", "blocks"):
        path = root / f"{env}.h5"
        generate(env, "train", 6, 4, 5, path, progress=False)
        files[env] = path
    return files


@pytest.fixture(scope="session")
def tiny_files(tmp_path_factory, tiny_grid_files):
    """One tiny training file per env: grid worlds (above), Reacher 4x3, Teapot 24x1."""
    from generators.generate import generate
    root = tmp_path_factory.mktemp("all")
    files = dict(tiny_grid_files)
    generate("reacher", "train", 4, 3, 5, root / "reacher.h5", progress=False,
             options={"warmup_steps": 5})
    generate("teapot", "train", 24, 1, 5, root / "teapot.h5", progress=False)
    files["reacher"], files["teapot"] = root / "reacher.h5", root / "teapot.h5"
    return files


@pytest.fixture(scope="module")
def one_thread():
    """Tiny tensors: one intra-op thread avoids OpenMP barrier stalls on a busy 2-core box."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
