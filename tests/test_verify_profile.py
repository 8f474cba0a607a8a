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


def test_committed_digests_cover_every_split_of_both_profiles():
    """digests/<env>.json and digests/paper/<env>.json: one SHA-256 per split that the
    profile generates (params.yaml), and the paper's files are other files."""
    import re
    from pathlib import Path

    from benchmark.params import load_params
    from generators.digests import committed_digests
    root = Path(__file__).resolve().parents[1]
    for profile in ("default", "paper"):
        params = load_params(root / "params.yaml", profile)
        for env, splits in params["generate"].items():
            got = committed_digests(env, profile, root / "digests")
            assert sorted(got) == sorted(splits), (profile, env)
            assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in got.values())
    for env in load_params(root / "params.yaml", "paper")["generate"]:
        default = committed_digests(env, "default", root / "digests")
        paper = committed_digests(env, "paper", root / "digests")
        assert not set(default.values()) & set(paper.values()), env
