"""benchmark.slot_binding: centroids and R^2 on hand-made masks with known answers; a real
trained grid-world run end to end; one-line errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

from benchmark.slot_binding import binding_r2, main, slot_binding, slot_centroids


def one_hot_masks(cells: np.ndarray, m: int) -> np.ndarray:
    """[N, K, 2] integer cells -> [N, K, m, m] masks with a single 1 at each cell."""
    n, k, _ = cells.shape
    masks = np.zeros((n, k, m, m))
    nn, kk = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")
    masks[nn, kk, cells[..., 0], cells[..., 1]] = 1.0
    return masks


def test_centroids_are_the_weighted_mean_of_the_positive_part():
    masks = np.zeros((1, 3, 4, 4))
    masks[0, 0, 1, 2] = 2.0
    masks[0, 1, 0, 0], masks[0, 1, 3, 2] = 1.0, 3.0     # (0*1 + 3*3) / 4, (0 + 2*3) / 4
    masks[0, 1, 2, 2] = -5.0                             # negative: ignored
    masks[0, 2] = -1.0                                   # nothing positive: the centre
    got = slot_centroids(masks)[0]
    assert np.allclose(got, [[1.0, 2.0], [2.25, 1.5], [1.5, 1.5]], atol=1e-12)


def test_bound_slots_give_r2_one_on_their_object_and_near_zero_elsewhere():
    rng = np.random.default_rng(0)
    n, k, grid = 400, 5, 5
    objects = rng.integers(0, grid, size=(n, k, 2))
    perm = np.array([2, 0, 4, 1, 3])   # slot s tracks object perm[s], at twice the scale + 1
    cells = 2 * objects[:, perm] + 1
    r2 = binding_r2(slot_centroids(one_hot_masks(cells, 2 * grid + 1)), objects)
    assert np.allclose(r2[np.arange(k), perm], 1.0, atol=1e-12)
    off = r2.copy()
    off[np.arange(k), perm] = np.nan
    assert np.nanmax(off) < 0.05   # independent positions: only chance correlation


def test_bad_shapes_and_constant_positions_are_errors():
    with pytest.raises(ValueError, match=r"\[N, K, m, m\]"):
        slot_centroids(np.zeros((2, 3, 4, 5)))
    with pytest.raises(ValueError, match="constant"):
        binding_r2(np.random.default_rng(1).random((10, 2, 2)), np.ones((10, 2, 2)))
    with pytest.raises(ValueError, match=r"\[N, K, 2\]"):
        binding_r2(np.zeros((10, 2, 2)), np.zeros((9, 2, 2)))


def test_a_trained_run_end_to_end(tmp_path, tiny_grid_files, capsys):
    from benchmark.train import train
    data = tiny_grid_files["blocks"]
    for seed in (0, 1):
        train("blocks", "sen", data, seed, tmp_path / f"seed{seed}", dict(epochs=1, batch_size=8),
              dict(embedding_hidden=8, encoder_hidden=16, transition_hidden=16),
              device="cpu", progress=False)
    one = slot_binding(tmp_path / "seed0", data, frames=6)
    r2 = np.array(one["r2"])
    assert r2.shape == (5, 5) and (r2 <= 1.0 + 1e-9).all()
    assert one["diagonal"] == pytest.approx(np.diag(r2).tolist())
    assert one["frames"] == 6 and one["kept_epoch"] == 1
    out = tmp_path / "binding.json"
    main([str(tmp_path / "seed{seed}"), str(data), "--seeds", "0,1", "--frames", "6",
          "--json", str(out)])
    written = json.loads(out.read_text())
    assert [w["run"] for w in written] == [str(tmp_path / "seed0"), str(tmp_path / "seed1")]
    assert written[0]["r2"] == one["r2"]
    assert "mean R^2 on the diagonal" in capsys.readouterr().out


def test_cli_errors_are_one_line(tmp_path, tiny_files):
    from benchmark.train import train
    train("reacher", "none", tiny_files["reacher"], 0, tmp_path / "reacher",
          dict(epochs=1, batch_size=4),
          dict(embedding_hidden=(4,) * 6, encoder_hidden=(16,) * 5, transition_hidden=(16, 16)),
          device="cpu", progress=False)
    with pytest.raises(SystemExit, match="has no object slots"):
        main([str(tmp_path / "reacher"), str(tiny_files["reacher"])])
    with pytest.raises(SystemExit, match="needs \\{seed\\}"):
        main([str(tmp_path / "reacher"), str(tiny_files["reacher"]), "--seeds", "0,1"])
    with pytest.raises(SystemExit, match="--seeds: expected e.g. 0-11"):
        main([str(tmp_path / "seed{seed}"), str(tiny_files["blocks"]), "--seeds", "0,x"])
    with pytest.raises(SystemExit, match="no trained model"):
        main([str(tmp_path / "missing"), str(tiny_files["blocks"])])
