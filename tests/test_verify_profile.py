"""`senbench verify --profile`: a dataset against the committed digests of a profile."""
from __future__ import annotations

import json
import shutil

from benchmark.cli import main


def _digests(root, env, profile_dir, mapping):
    folder = root / profile_dir if profile_dir else root
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{env}.json").write_text(json.dumps(mapping))


def test_verify_against_committed_digests(tiny_grid_files, tmp_path, capsys):
    from generators.reader import EpisodeFile
    path = tiny_grid_files["shapes"]
    with EpisodeFile(path) as ds:
        digest = ds.digest
    root = tmp_path / "digests"
    _digests(root, "shapes", "paper", {"train": digest})
    assert main(["verify", "--profile", "paper", "--digests", str(root), str(path)]) == 0
    assert f"{digest}  {path}  (= {root}/paper/shapes.json[train])" in capsys.readouterr().out

    # another digest for that split: one line naming the file, the reference and the fix
    _digests(root, "shapes", "paper", {"train": "0" * 64})
    assert main(["verify", "--profile", "paper", "--digests", str(root), str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "paper/shapes.json[train]" in err[0]

    # no digests for that profile / no such split: clear errors, exit 2
    assert main(["verify", "--profile", "default", "--digests", str(root), str(path)]) == 2
    assert "no committed digests of 'shapes' for the default profile" in capsys.readouterr().err
    _digests(root, "shapes", "", {"eval": digest})
    assert main(["verify", "--profile", "default", "--digests", str(root), str(path)]) == 2
    assert "has no split 'train'" in capsys.readouterr().err


def test_verify_detects_a_modified_file(tiny_grid_files, tmp_path, capsys):
    import h5py
    copy = tmp_path / "shapes.h5"
    shutil.copy(tiny_grid_files["shapes"], copy)
    with h5py.File(copy, "r+") as f:
        f["obs"][0, 0, 0, 0, 0] ^= 1
    assert main(["verify", str(copy)]) == 2
    assert "digest mismatch" in capsys.readouterr().err
