"""Bad input of `senbench pipeline run`: one line naming what to do, exit status 2, nothing
changed. Also the plan that DVC's own DAG gives for the tiny pipeline (--dry-run)."""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from tinyrepo import make_tiny_repo, senbench


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return make_tiny_repo(tmp_path_factory.mktemp("cli") / "repo")


def one_error_line(proc) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("senbench: error: ")
    return lines[0]


def test_dry_run_plans_waves_from_the_dvc_dag(tiny):
    proc = senbench(tiny, "pipeline", "run", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("wave 0: 4 stage(s): generate@shapes")
    # one train and one evaluate stage per row of `runs` (each does every seed)
    assert lines[1] == "wave 1: 2 stage(s): train@run0, train@run1"
    assert lines[2] == "wave 2: 3 stage(s): evaluate@run0, evaluate@run1, plots"
    assert lines[3] == "wave 3: 1 stage(s): analyse"


def test_unknown_executor_changes_nothing(tiny):
    params = (tiny / "params.yaml").read_bytes()
    line = one_error_line(senbench(tiny, "pipeline", "run", "--executor", "kubernetes",
                                   "-S", "seeds=[0]"))
    assert "unknown executor 'kubernetes'; choose local or slurm" in line
    assert (tiny / "params.yaml").read_bytes() == params  # -S not applied


def test_slurm_without_sbatch(tiny):
    path = os.path.dirname(sys.executable)  # python, but no SLURM client
    line = one_error_line(senbench(tiny, "pipeline", "run", "--executor", "slurm",
                                   env={"PATH": path}))
    assert "SLURM is not reachable: no sbatch/scontrol on PATH" in line
    assert "--executor local" in line


def test_slurm_controller_down(tiny, tmp_path):
    # a SLURM client whose controller does not answer (scontrol's own words when down)
    for name, body in (("sbatch", "exit 1"),
                       ("scontrol", "echo 'Slurmctld(primary) at node0 is DOWN'; exit 1")):
        tool = tmp_path / name
        tool.write_text(f"#!/bin/sh\n{body}\n")
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    line = one_error_line(senbench(tiny, "pipeline", "run", "--executor", "slurm",
                                   env={"PATH": f"{tmp_path}:{os.environ['PATH']}"}))
    assert "slurmctld is down (Slurmctld(primary) at node0 is DOWN)" in line


def test_dirty_code_dependency_is_refused(tiny):
    train = tiny / "benchmark" / "train.py"
    original = train.read_text()
    train.write_text(original + "\n# an uncommitted edit\n")
    try:
        line = one_error_line(senbench(tiny, "pipeline", "run", "--dry-run"))
        assert ("dirty workspace: benchmark/train.py differs from git HEAD and stage "
                "train@run0 depends on it; commit or stash it, or pass --allow-dirty") in line
        assert senbench(tiny, "pipeline", "run", "--dry-run", "--allow-dirty").returncode == 0
    finally:
        train.write_text(original)


def test_untracked_file_in_a_dependency_directory_is_dirty(tiny):
    extra = tiny / "benchmark" / "models" / "extra.py"
    extra.write_text("X = 1\n")
    try:
        line = one_error_line(senbench(tiny, "pipeline", "run", "--dry-run"))
        assert "benchmark/models/extra.py differs from git HEAD" in line
    finally:
        extra.unlink()


def test_edited_params_are_not_dirty_and_S_stays_in_the_file(tiny):
    params = (tiny / "params.yaml").read_text()
    try:
        proc = senbench(tiny, "pipeline", "run", "--dry-run", "-S", "seeds=[0]")
        assert proc.returncode == 0, proc.stderr
        assert "seeds:\n- 0\n" in (tiny / "params.yaml").read_text()  # kept, as dvc exp run
        assert proc.stdout.splitlines()[1].startswith("wave 1: 2 stage(s)")  # 2 methods x 1 seed
    finally:
        (tiny / "params.yaml").write_text(params)


def test_bad_override_is_one_line(tiny):
    line = one_error_line(senbench(tiny, "pipeline", "run", "--dry-run",
                                   "-S", "train.shapes.no_such_key=1"))
    assert "-S train.shapes.no_such_key=1" in line


@pytest.mark.parametrize("args, match", [
    (["--jobs", "0"], "--jobs must be >= 1"),
    (["--threads-per-job", "0"], "--threads-per-job must be >= 1"),
])
def test_bad_numbers(tiny, args, match):
    assert match in one_error_line(senbench(tiny, "pipeline", "run", "--dry-run", *args))


def test_not_a_dvc_repository(tmp_path):
    line = one_error_line(senbench(Path(__file__).resolve().parents[1], "pipeline", "run",
                                   "--dry-run", "--repo", str(tmp_path)))
    assert "not a DVC repository" in line
