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


# (episodes, steps, options) of the tiny training file of an env; 6 x 4 when not listed
TINY_DATA = {"reacher": (4, 3, {"warmup_steps": 5}), "teapot": (24, 1, {})}


@pytest.fixture(scope="session")
def tiny_files(tmp_path_factory, tiny_grid_files):
    """One tiny training file of every registered env (grid worlds above; seed 5)."""
    from generators.generate import generate
    from generators.registry import env_names
    root = tmp_path_factory.mktemp("all")
    files = dict(tiny_grid_files)
    for env in env_names():
        if env not in files:
            episodes, steps, options = TINY_DATA.get(env, (6, 4, {}))
            files[env] = root / f"{env}.h5"
            generate(env, "train", episodes, steps, 5, files[env], progress=False,
                     options=options)
    return files


@pytest.fixture(scope="module")
def one_thread():
    """Tiny tensors: one intra-op thread avoids OpenMP barrier stalls on a busy 2-core box."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def adam_steps():
    """``adam_steps(model, batch, seed, steps, lr)``: Adam on one fixed batch with the same
    negatives each step (generator seeded with ``seed``); returns the loss of every step and
    the loss after the last one."""
    import torch

    def run(model, batch, seed, steps, lr=1e-3):
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            loss, _ = model.loss(*batch, generator=torch.Generator().manual_seed(seed))
            loss.backward()
            opt.step()
            losses.append(float(loss))
        final, _ = model.loss(*batch, generator=torch.Generator().manual_seed(seed))
        return losses, float(final)
    return run


@pytest.fixture(scope="session")
def check_gradients():
    """``check_gradients(model, loss)``: ``loss`` is a finite scalar, and its backward pass
    gives every parameter of ``model`` a finite, non-zero gradient."""
    import torch

    def check(model, loss):
        assert loss.dim() == 0 and torch.isfinite(loss)
        loss.backward()
        for name, p in model.named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all(), name
            assert float(p.grad.abs().sum()) > 0, name
    return check
