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
