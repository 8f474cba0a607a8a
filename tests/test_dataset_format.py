"""HDF5 format: determinism, worker independence, digests, reader, bad input."""
from __future__ import annotations

import json
import shutil

import h5py
import numpy as np
import pytest
import torch

from generators.generate import generate
from generators.h5format import FORMAT_VERSION, DatasetError, compute_digest
from generators.reader import EpisodeFile, TransitionBatches, TransitionDataset


def _gen(path, env="shapes", seed=5, workers=1, **kw):
    return generate(env, "train", 6, 4, seed, path, workers=workers, progress=False, **kw)


def test_same_seed_same_digest_and_bytes(tmp_path):
    d1 = _gen(tmp_path / "a.h5")
    d2 = _gen(tmp_path / "b.h5")
    assert d1 == d2
    assert (tmp_path / "a.h5").read_bytes() == (tmp_path / "b.h5").read_bytes()
    assert _gen(tmp_path / "c.h5", seed=6) != d1


@pytest.mark.parametrize("env", ["shapes", "blocks"])
def test_workers_do_not_change_bytes(tmp_path, env):
    d1 = generate(env, "eval", 9, 3, 2, tmp_path / "w1.h5", workers=1, progress=False)
    d2 = generate(env, "eval", 9, 3, 2, tmp_path / "w2.h5", workers=2, progress=False)
    assert d1 == d2
    assert (tmp_path / "w1.h5").read_bytes() == (tmp_path / "w2.h5").read_bytes()


def test_layout_and_provenance(tiny_grid_files):
    with EpisodeFile(tiny_grid_files["shapes"]) as ds:
        assert ds.env == "shapes" and ds.n_episodes == 6 and ds.steps == 4
        assert ds.array("obs").shape == (6, 5, 50, 50, 3) and ds.array("obs").dtype == np.uint8
        assert ds.array("twin/obs").shape == (6, 5, 50, 50, 3)
        assert ds.array("action").shape == (6, 4)
        assert ds.array("state/grid").shape == (6, 5, 5, 2)
        attrs = ds.attrs
        assert attrs["format_version"] == FORMAT_VERSION
        assert attrs["root_seed"] == 5 and attrs["generator_version"] == "1"
        assert json.loads(attrs["versions"])["h5py"]
        assert ds.config["directions"] == ["up", "left", "down", "right"]
        assert ds.verify() == ds.digest
        assert ds.obs_shape == (3, 50, 50)
    with h5py.File(tiny_grid_files["shapes"], "r") as f:
        assert f["obs"].compression == "gzip" and f["obs"].chunks is not None
        assert not any(f[k].dtype == np.float32 and "obs" in k for k in ("obs", "twin/obs"))


def test_reader_serves_transitions_and_paths(tiny_grid_files):
    with EpisodeFile(tiny_grid_files["shapes"]) as ds:
        obs = ds.array("obs")
        actions = ds.array("action")
        data = TransitionDataset(ds)
        assert len(data) == 6 * 4
        o, a, n = data[4 + 2]  # episode 1, step 2
        assert np.array_equal(o.numpy(), obs[1, 2]) and np.array_equal(n.numpy(), obs[1, 3])
        assert int(a) == actions[1, 2]
        paths = TransitionDataset(ds, h=3)
        o, a, n = paths[1]  # episode 0, start 1
        assert np.array_equal(n.numpy(), obs[0, 4]) and a.tolist() == actions[0, 1:4].tolist()
        g = torch.Generator().manual_seed(0)
        batches = TransitionBatches(ds, batch_size=8, generator=g)
        seen = 0
        for batch in batches:
            assert batch["obs"].dtype == torch.float32 and batch["obs"].shape == (8, 3, 50, 50)
            assert 0.0 <= float(batch["obs"].min()) and float(batch["obs"].max()) <= 1.0
            seen += 8
        assert seen == len(batches) * 8 == 24
        # a batch gathers exactly the indexed transitions
        b = batches.batch(torch.tensor([5]))
        assert torch.equal(b["obs"][0], torch.from_numpy(obs[1, 1]).permute(2, 0, 1) / 255.0)
        assert torch.equal(b["next_obs"][0], torch.from_numpy(obs[1, 2]).permute(2, 0, 1) / 255.0)
        assert int(b["action"][0]) == actions[1, 1]


def test_same_generator_seed_same_batches(tiny_grid_files):
    with EpisodeFile(tiny_grid_files["blocks"]) as ds:
        a = next(iter(TransitionBatches(ds, 4, torch.Generator().manual_seed(1))))
        b = next(iter(TransitionBatches(ds, 4, torch.Generator().manual_seed(1))))
        assert torch.equal(a["obs"], b["obs"])


def test_existing_output_needs_force(tmp_path):
    out = tmp_path / "x.h5"
    _gen(out)
    before = out.read_bytes()
    with pytest.raises(FileExistsError):
        _gen(out, seed=9)
    assert out.read_bytes() == before
    _gen(out, seed=9, force=True)
    assert out.read_bytes() != before
    assert not list(tmp_path.glob("*.tmp-*"))


def test_failure_midway_leaves_no_file(tmp_path):
    out = tmp_path / "x.h5"
    with pytest.raises(ValueError):
        generate("shapes", "train", 2, 2, 1, out, options={"bogus": 1}, progress=False)
    with pytest.raises(ValueError):
        generate("shapes", "train", 0, 2, 1, out, progress=False)
    with pytest.raises(ValueError):
        generate("shapes", "train", 2, -1, 1, out, progress=False)
    with pytest.raises(KeyError, match="unknown env"):
        generate("pong", "train", 2, 2, 1, out, progress=False)
    assert not out.exists() and not list(tmp_path.glob("*"))


def test_truncated_and_corrupted_files(tmp_path, tiny_grid_files):
    src = tiny_grid_files["shapes"]
    data = src.read_bytes()
    truncated = tmp_path / "trunc.h5"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError):
        EpisodeFile(truncated).verify()
    # flip bytes inside the compressed image data: digest mismatch or read error
    corrupted = tmp_path / "corrupt.h5"
    shutil.copy(src, corrupted)
    with h5py.File(src, "r") as f:
        offset = f["obs"].id.get_chunk_info(0).byte_offset
    raw = bytearray(data)
    for i in range(offset + 100, offset + 140):
        raw[i] ^= 0xFF
    corrupted.write_bytes(bytes(raw))
    with pytest.raises(DatasetError):
        EpisodeFile(corrupted).verify()
    with pytest.raises(DatasetError, match="no such"):
        EpisodeFile(tmp_path / "missing.h5")
    not_ours = tmp_path / "other.h5"
    with h5py.File(not_ours, "w") as f:
        f["obs"] = np.zeros((1, 2, 4, 4, 3), np.uint8)
    with pytest.raises(DatasetError, match="not a SEN-Bench"):
        EpisodeFile(not_ours)
    with pytest.raises(DatasetError, match="expected"):
        EpisodeFile(src, expect_env="teapot")
    assert src.read_bytes() == data  # the source is untouched


def test_digest_covers_every_array(tmp_path, tiny_grid_files):
    copy = tmp_path / "copy.h5"
    shutil.copy(tiny_grid_files["shapes"], copy)
    with h5py.File(copy, "r+") as f:
        before = compute_digest(f)
        f["twin/action"][0, 0] = (f["twin/action"][0, 0] + 1) % 20
        assert compute_digest(f) != before
