"""End to end: `senbench pipeline run` on a tiny Shapes pipeline (real git, DVC, generators,
training; SLURM daemons for the `slurm` test) against a serial `dvc repro` of the same
pipeline in another copy: every metrics JSON, table, digest, plot and dataset byte-identical,
`dvc status` clean. Both sides run with one thread per job (the pipeline's default)."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tinyrepo import dvc, git, make_tiny_repo, result_files, senbench

THREADS = 1


def assert_same_results(repo: Path, reference: dict[str, bytes]) -> None:
    got = result_files(repo)
    assert sorted(got) == sorted(reference)
    assert len([p for p in got if p.startswith("metrics/")]) == 4  # 2 methods x 2 seeds
    differ = [p for p in reference if got[p] != reference[p]]
    assert not differ, f"not byte-identical to the serial dvc repro: {differ}"


def assert_status_clean(repo: Path) -> None:
    status = dvc(repo, "status", "--json")
    assert json.loads(status.stdout or "{}") == {}, status.stdout


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> dict[str, bytes]:
    """The reference: a plain serial `dvc repro` of the tiny pipeline."""
    repo = make_tiny_repo(tmp_path_factory.mktemp("serial") / "repo")
    t0 = time.perf_counter()
    dvc(repo, "repro", threads=THREADS)
    print(f"\nserial dvc repro: {time.perf_counter() - t0:.0f} s")
    assert_status_clean(repo)
    return result_files(repo)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> Path:
    repo = make_tiny_repo(tmp_path_factory.mktemp("local") / "repo")
    t0 = time.perf_counter()
    proc = senbench(repo, "pipeline", "run", "--executor", "local", "--jobs", "2", "--quiet")
    print(f"\npipeline run --executor local --jobs 2: {time.perf_counter() - t0:.0f} s")
    assert proc.returncode == 0, proc.stderr
    return repo


def test_local_jobs2_equals_serial_dvc_repro(local_run, serial):
    assert_status_clean(local_run)
    assert_same_results(local_run, serial)
    record = json.loads((local_run / ".senbench" / "logs" / "run.json").read_text())
    assert record["threads_per_job"] == THREADS and record["jobs"] == 2
    assert [len(w) for w in record["waves"]] == [4, 2, 3, 1]
    metrics = json.loads((local_run / "metrics/shapes-limited-sen/seed0.json").read_text())
    assert metrics["hardware"].endswith(f"{THREADS} threads")
    assert (local_run / ".senbench/logs/wave1/train@run0.log").is_file()
    # up to date now: a second run has nothing to do and changes nothing
    lock = (local_run / "dvc.lock").read_bytes()
    again = senbench(local_run, "pipeline", "run", "--quiet")
    assert again.returncode == 0 and "nothing to run" in again.stderr + again.stdout
    assert (local_run / "dvc.lock").read_bytes() == lock


def test_dvc_remote_push_pull_to_a_node_without_shared_filesystem(local_run, tmp_path):
    """docs/cluster.md's data route: push to a DVC remote (a local directory here), clone
    on another 'node', pull: the same bytes and a clean `dvc status` there."""
    remote = tmp_path / "remote"
    dvc(local_run, "remote", "add", "-d", "store", str(remote))
    git(local_run, "add", "-A")
    git(local_run, "commit", "-q", "-m", "results + remote")
    dvc(local_run, "push", "-q")
    assert any(remote.rglob("*")), "nothing pushed"
    node = tmp_path / "node"
    git(tmp_path, "clone", "-q", str(local_run), str(node))
    assert not (node / "data").exists()
    dvc(node, "pull", "-q")
    assert_status_clean(node)
    assert result_files(node) == result_files(local_run)
    for run in ("shapes-limited-sen/seed0", "shapes-limited-cnn/seed1"):
        assert (node / "runs" / run / "model.pt").read_bytes() == \
            (local_run / "runs" / run / "model.pt").read_bytes()
    # a pulled dataset checks against the digests committed beside it (README, "Reproducing
    # a dataset": the publishing route of the paper profile's files)
    files = sorted(str(p) for p in (node / "data" / "shapes").glob("*.h5"))
    proc = senbench(node, "verify", "--profile", "default", *files)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("(= digests/shapes.json[") == 3


def test_failed_job_commits_completed_stages_only(local_run):
    """A job fails (a bad width for one method): no further job starts, the error is one
    line naming the stage and its log, exit 2; the stages that completed are committed and
    every other entry of dvc.lock is kept, its outputs restorable from the cache."""
    before = yaml.safe_load((local_run / "dvc.lock").read_text())["stages"]
    proc = senbench(local_run, "pipeline", "run", "--jobs", "2", "--quiet",
                    "-S", "+train.shapes.models.cnn.no_such_width=3")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()  # the plan (wave lines), then the error
    errors = [line for line in lines if "error" in line]
    assert errors == lines[-1:], proc.stderr
    assert lines[-1].startswith("senbench: error: stage train@run1 ")
    log = Path(lines[-1].split("see ")[1].split(";")[0])
    assert log.is_file() and "no_such_width" in log.read_text()
    after = yaml.safe_load((local_run / "dvc.lock").read_text())["stages"]
    # the sen row (running beside it) completed and was committed with the new params
    after_sen = after["train@run0"]
    assert after_sen != before["train@run0"]
    assert "no_such_width" in json.dumps(after_sen["params"])
    # the cnn row failed: its entry, and everything downstream, kept
    for name in ("train@run1", "evaluate@run1", "evaluate@run0", "analyse", "plots"):
        assert after[name] == before[name], name
    git(local_run, "checkout", "params.yaml")  # back to the recorded params
    dvc(local_run, "checkout", "-q", "train@run1")
    status = json.loads(dvc(local_run, "status", "--json", "train@run1").stdout or "{}")
    assert status == {}, status


@pytest.mark.slurm
def test_slurm_executor_equals_serial_dvc_repro(serial, tmp_path):
    from benchmark.pipeline import PipelineError
    from benchmark.pipeline.slurm import check_reachable
    try:
        check_reachable()
    except PipelineError as exc:
        if os.environ.get("SENBENCH_REQUIRE_SLURM"):  # .ci/run started a cluster
            pytest.fail(str(exc))
        pytest.skip(f"{exc} (start one with: bash scripts/slurm-local.sh)")
    repo = make_tiny_repo(tmp_path / "repo")
    t0 = time.perf_counter()
    proc = senbench(repo, "pipeline", "run", "--executor", "slurm", "--gpus-per-task", "0",
                    "--mem", "1G", "--time", "10", "--quiet", "-S", "cluster.slurm.poll_s=2")
    print(f"\npipeline run --executor slurm: {time.perf_counter() - t0:.0f} s")
    assert proc.returncode == 0, proc.stderr
    assert_status_clean(repo)
    assert_same_results(repo, serial)
    record = json.loads((repo / ".senbench" / "logs" / "run.json").read_text())
    assert record["local_stages"] == ["plots", "analyse"]
    assert len(record["job_ids"]) == 8  # 4 generate + 2 train + 2 evaluate (2 seeds each)
    arrays = sorted({j.split("_")[0] for j in record["job_ids"].values()}, key=int)
    assert len(arrays) == 3  # one job array per wave
    sacct = subprocess.run(["sacct", "-X", "-P", "-n", "-o", "JobID,JobName,State,ExitCode",
                            "-j", ",".join(arrays)], capture_output=True, text=True, check=True)
    rows = [line.split("|") for line in sacct.stdout.splitlines()]
    assert len(rows) == 8 and all(r[2] == "COMPLETED" and r[3] == "0:0" for r in rows), \
        sacct.stdout
    (repo / ".senbench" / "logs" / "sacct.txt").write_text(sacct.stdout)
    print(sacct.stdout)

