"""senbench leaderboard: the worked submission is accepted and ranked; invalid ones are
rejected with one line naming the file and the reason, and nothing is written."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmark.leaderboard import SubmissionError, build_leaderboard, load_submission

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "submission"
SEED0 = "shapes-limited-linear/seed0.json"


def test_worked_submission_gets_ranked_rows(tmp_path):
    sub = load_submission(EXAMPLE, ROOT)
    assert sub.manifest["method"] == "linear" and len(sub.runs) == 2
    path = build_leaderboard(ROOT / "metrics", [EXAMPLE], tmp_path, root=ROOT)
    text = path.read_text()
    section = text.split("## 2D Shapes {up} (hits@1_10step)")[1].split("##")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]   # no header
    linear = [r for r in rows if "| linear |" in r]
    assert len(linear) == 1 and "| submission (examples/linear_world_model.py" in linear[0]
    ranks = [int(r.split("|")[1]) for r in rows]
    assert ranks == list(range(1, len(rows) + 1))
    scores = [float(r.split("|")[3].split("±")[0]) for r in rows]
    assert scores == sorted(scores, reverse=True)


def _copy(tmp_path) -> Path:
    dest = tmp_path / "sub"
    shutil.copytree(EXAMPLE, dest)
    return dest


def _edit(path: Path, **changes) -> None:
    blob = json.loads(path.read_text())
    for key, value in changes.items():
        if key == "metrics":
            blob["metrics"].update(value)
        else:
            blob[key] = value
    path.write_text(json.dumps(blob))


@pytest.mark.parametrize("change, reason", [
    (dict(eval_data_digest="0" * 64), "eval data digest"),
    (dict(train_data_digest="1" * 64), "train data digest"),
    (dict(train_split="train"), "train data digest"),
    (dict(metrics={"hits@5_1step": 3.0}), "not a registered metric key"),
    (dict(method="sen"), "differs from the manifest"),
    (dict(profile="paper"), "differs from the manifest"),
])
def test_invalid_results_are_rejected_in_one_line(tmp_path, change, reason):
    sub = _copy(tmp_path)
    _edit(sub / SEED0, **change)
    out = tmp_path / "out"
    with pytest.raises(SubmissionError) as info:
        build_leaderboard(ROOT / "metrics", [sub], out, root=ROOT)
    message = str(info.value)
    assert reason in message and SEED0 in message and "\n" not in message
    assert not out.exists()   # nothing written


def test_bad_manifests_and_files(tmp_path):
    sub = _copy(tmp_path)
    (sub / SEED0).write_text("{not json")
    with pytest.raises(SubmissionError, match="not readable JSON"):
        load_submission(sub, ROOT)
    sub = _copy(tmp_path / "b")
    (sub / "manifest.json").unlink()
    with pytest.raises(SubmissionError, match="no manifest.json"):
        load_submission(sub, ROOT)
    sub = _copy(tmp_path / "c")
    (sub / "manifest.json").write_text(json.dumps({"method": "linear", "code": "x",
                                                   "profile": "laptop"}))
    with pytest.raises(SubmissionError, match="unknown profile"):
        load_submission(sub, ROOT)
    sub = _copy(tmp_path / "d")
    (sub / "manifest.json").write_text(json.dumps({"method": "linear", "code": "x",
                                                   "profile": "paper"}))
    for path in sub.rglob("seed*.json"):
        _edit(path, profile="paper")
    bare = tmp_path / "bare"   # a checkout whose digests/ has no paper-profile files
    (bare / "digests").mkdir(parents=True)
    for path in (ROOT / "digests").glob("*.json"):
        shutil.copy(path, bare / "digests")
    with pytest.raises(SubmissionError, match="no committed digests"):
        load_submission(sub, bare)


def test_cli_error_is_one_line(tmp_path):
    import subprocess
    import sys
    sub = _copy(tmp_path)
    _edit(sub / SEED0, eval_data_digest="0" * 64)
    proc = subprocess.run([sys.executable, "-m", "benchmark.cli", "leaderboard",
                           "--submissions", str(sub), "--out", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = [l for l in proc.stderr.splitlines() if l.strip() and "pybullet" not in l]
    assert proc.returncode == 2 and len(lines) == 1 and "eval data digest" in lines[0]
