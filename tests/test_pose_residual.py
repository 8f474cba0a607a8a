"""benchmark.pose_residual: the residual rotations of a Teapot embedding, on hand-made
embeddings with known answers and on a real trained run."""
from __future__ import annotations

import json

import numpy as np
import pytest

from benchmark.pose_residual import (main, pose_residual, project_to_so3, residual_rotations,
                                     summarise_residuals)
from generators.so3 import axis_rotation, haar_rotations, is_rotation


def _states(n=400, seed=0):
    return haar_rotations(np.random.default_rng(seed), n)


def test_an_equivariant_embedding_has_identity_residuals():
    """S(x_R) = R C for one fixed C: the chordal mean is C, every residual the identity."""
    states = _states()
    c = axis_rotation([1.0, 2.0, -0.5], 1.1)
    mean, residuals = residual_rotations(states @ c, states)
    assert np.allclose(mean, c, atol=1e-12)
    summary = summarise_residuals(residuals)
    assert summary["median_deg"] < 1e-5 and summary["share_below"] == 1.0
    assert summary["axis"] is None   # nothing left to resolve


def test_an_azimuth_blind_embedding_leaves_residuals_about_the_up_axis():
    """S(x_R) = R Z(phi_i) C with phi_i uniform (the teapot's up axis found, its spout not):
    residuals about body z, mean angle 90 degrees."""
    rng = np.random.default_rng(1)
    states = _states(4000, seed=2)
    phi = rng.uniform(-np.pi, np.pi, len(states))
    c = axis_rotation("x", 0.3)
    _, residuals = residual_rotations(states @ axis_rotation("z", phi) @ c, states)
    s = summarise_residuals(residuals)
    assert abs(s["mean_deg"] - 90.0) < 3.0          # |phi| uniform on [0, 180]
    assert abs(s["share_below"] - 20 / 180) < 0.02
    assert np.allclose(s["axis"], [0.0, 0.0, 1.0], atol=1e-6)
    assert s["axis_share"] > 0.999 and s["up_cos"] > 0.999


def test_a_tilt_blind_embedding_leaves_residuals_about_that_axis():
    """Turns of 29 to 115 degrees either way about body x: their chordal mean is the identity,
    so every residual is one of those turns, about x."""
    states = _states(2000, seed=3)
    rng = np.random.default_rng(4)
    phi = rng.uniform(0.5, 2.0, len(states)) * rng.choice([-1.0, 1.0], len(states))
    mean, residuals = residual_rotations(states @ axis_rotation("x", phi), states)
    assert np.allclose(mean, np.eye(3), atol=0.05)
    s = summarise_residuals(residuals)
    assert s["share_below"] == 0.0 and s["median_deg"] > 28.0
    assert abs(abs(s["axis"][0]) - 1.0) < 1e-6 and s["up_cos"] < 1e-6


def test_a_random_embedding_has_haar_residuals():
    """Embeddings unrelated to the states: residuals Haar-distributed, whose mean angle is
    pi/2 + 2/pi (126.5 degrees), with no preferred axis."""
    states = _states(20000, seed=5)
    _, residuals = residual_rotations(_states(20000, seed=6), states)
    s = summarise_residuals(residuals)
    assert abs(s["mean_deg"] - np.degrees(np.pi / 2 + 2 / np.pi)) < 1.5
    assert s["axis_share"] < 0.36   # an isotropic spread gives 1/3 per axis


def test_projection_and_shapes():
    m = axis_rotation("y", 0.7) * 0.8 + 0.01
    assert is_rotation(project_to_so3(m))
    with pytest.raises(ValueError, match=r"\[N, 3, 3\]"):
        residual_rotations(np.zeros((3, 3, 3)), np.zeros((4, 3, 3)))


def test_a_trained_run_end_to_end(tmp_path, tiny_files, tiny_grid_files, capsys):
    """A real Teapot run (1 epoch on the tiny file) read back from disk: angles in range and
    the CLI's output and JSON; a grid-world run or a file without states fails in one line."""
    from benchmark.train import train
    data = tiny_files["teapot"]
    run = tmp_path / "run"
    train("teapot", "sen", data, 0, run, settings={"epochs": 1, "batch_size": 8,
                                                   "val_episodes": 0},
          hparams={"conv_channels": [4, 4, 8, 8], "fc_hidden": [16, 16]}, progress=False)
    result = pose_residual(run, data)
    assert result["method"] == "sen" and result["kept_epoch"] == 1
    assert 0.0 <= result["median_deg"] <= 180.0 and result["frames"] == 24
    out = tmp_path / "r.json"
    main([str(run), str(data), "--json", str(out)])
    assert json.loads(out.read_text())[0]["median_deg"] == result["median_deg"]
    assert "residual angle median" in capsys.readouterr().out
    grid = tmp_path / "grid"
    train("shapes", "cnn", tiny_grid_files["shapes"], 0, grid,
          settings={"epochs": 1, "batch_size": 8, "val_episodes": 0},
          hparams={"embedding_hidden": 4, "encoder_hidden": 8, "transition_hidden": 8},
          progress=False)
    with pytest.raises(SystemExit, match="pose_residual: .*a shapes run"):
        main([str(grid), str(data)])
    none = tmp_path / "none"
    train("teapot", "none", data, 0, none, settings={"epochs": 1, "batch_size": 8,
                                                     "val_episodes": 0},
          hparams={"conv_channels": [4, 4, 8, 8], "fc_hidden": [16, 16],
                   "transition_hidden": [16, 16]}, progress=False)
    with pytest.raises(SystemExit, match="pose_residual: .*none's embedding is not a rotation"):
        main([str(none), str(data)])
    with pytest.raises(SystemExit, match="pose_residual: .*--seeds needs"):
        main([str(run), str(data), "--seeds", "0"])
    with pytest.raises(SystemExit, match="pose_residual: "):
        main([str(run), str(tiny_grid_files["shapes"])])
