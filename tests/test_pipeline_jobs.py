"""One stage as a job: environment, logs, failure, and the requeue logic (submitit's local
executor runs the real checkpoint -> requeue -> resume cycle, with a time limit of seconds)."""
from __future__ import annotations

import os
import pickle
import sys
import threading
import time
from pathlib import Path

import pytest
import submitit

from benchmark.pipeline.jobs import StageFailed, StageJob, job_overrides, thread_env

# A stand-in for training: STEPS steps of 50 ms, each appended to steps.txt; on SIGTERM it
# saves the next step to ckpt.txt and exits 1 (as benchmark/train.py saves checkpoint.pt);
# started again, it resumes from ckpt.txt. "attempt" lines count the starts.
WORKER = r'''
import os, signal, sys, time
steps = int(sys.argv[1])
start = int(open("ckpt.txt").read()) if os.path.exists("ckpt.txt") else 0
print(f"attempt from {start}", flush=True)
state = {"next": start}
def stop(signum, frame):
    with open("ckpt.txt.tmp", "w") as f:
        f.write(str(state["next"]))
    os.replace("ckpt.txt.tmp", "ckpt.txt")
    print(f"checkpoint at {state['next']}", flush=True)
    sys.exit(1)
signal.signal(signal.SIGTERM, stop)
for step in range(start, steps):
    time.sleep(0.05)
    with open("steps.txt", "a") as f:
        f.write(f"{step}\n")
    state["next"] = step + 1
print("finished", flush=True)
'''


def worker_job(tmp_path: Path, steps: int, **kwargs) -> StageJob:
    (tmp_path / "worker.py").write_text(WORKER)
    return StageJob("train@run0-0", f"{sys.executable} worker.py {steps}", tmp_path,
                    job_overrides(tmp_path, 1), tmp_path / "logs" / "train@run0-0.log", **kwargs)


def steps_done(tmp_path: Path) -> list[int]:
    path = tmp_path / "steps.txt"
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def test_thread_env_and_overrides(tmp_path):
    env = thread_env(3)
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == env["SENBENCH_THREADS"] == "3"
    over = job_overrides(tmp_path, 2, base={"PYTHONPATH": "/x:/y"})
    assert over["PYTHONPATH"].split(":") == [str(tmp_path.resolve()), "/x", "/y"]
    assert over["OMP_NUM_THREADS"] == "2" and over["PYTHONDONTWRITEBYTECODE"] == "1"
    with pytest.raises(ValueError):
        thread_env(0)


def test_job_runs_cmd_in_cwd_with_threads_and_logs(tmp_path):
    cmd = (f"{sys.executable} -c \"import os, torch; print('threads', torch.get_num_threads(), "
           "os.environ['OMP_NUM_THREADS']); open('out.txt', 'w').write(os.getcwd())\"")
    job = StageJob("evaluate@run0-0", cmd, tmp_path, job_overrides(tmp_path, 1),
                   tmp_path / "logs" / "e.log")
    assert job() == "evaluate@run0-0"
    assert (tmp_path / "out.txt").read_text() == str(tmp_path)
    log = (tmp_path / "logs" / "e.log").read_text()
    assert "threads 1 1" in log and "evaluate@run0-0" in log.splitlines()[0]


def test_failed_command_names_stage_and_log(tmp_path):
    job = StageJob("train@run1-0", "echo boom >&2; exit 3", tmp_path, {}, tmp_path / "t.log")
    with pytest.raises(StageFailed, match=r"stage train@run1-0 failed \(exit status 3\); "
                                          r"see .*t\.log; it ended: boom$"):
        job()
    assert "boom" in (tmp_path / "t.log").read_text()


def test_failure_line_is_the_jobs_own_error_not_submitits_log_paths():
    """submitit wraps a job's exception with its traceback between rules and the log paths
    after it; the one-line reason is the traceback's last line (was: a log path)."""
    from submitit.core.utils import FailedJobError

    from benchmark.pipeline.slurm import failure_line
    trace = ("Traceback (most recent call last):\n  File \"jobs.py\", line 9, in __call__\n"
             "benchmark.pipeline.jobs.StageFailed: stage train@run1 failed (exit status 2)")
    rule = "-" * 22
    exc = FailedJobError(f"Job (task=0) failed during processing with trace:\n{rule}\n{trace}\n"
                         f"{rule}\nYou can check full logs with 'job.stderr(0)' and "
                         f"'job.stdout(0)'or at paths:\n  - /x/26_1_0_log.err\n"
                         f"  - /x/26_1_0_log.out")
    assert failure_line(exc) == ("benchmark.pipeline.jobs.StageFailed: stage train@run1 "
                                 "failed (exit status 2)")
    assert failure_line(RuntimeError("first\nlast ")) == "last"


def test_checkpoint_stops_the_command_and_requeues_the_same_job(tmp_path):
    job = worker_job(tmp_path, steps=400)
    errors = []
    thread = threading.Thread(target=lambda: _call(job, errors))
    thread.start()
    while len(steps_done(tmp_path)) < 5:
        time.sleep(0.05)
    delayed = job.checkpoint()
    thread.join(timeout=30)
    assert isinstance(delayed, submitit.helpers.DelayedSubmission)
    assert delayed.function is job and job._proc is None
    saved = int((tmp_path / "ckpt.txt").read_text())
    assert steps_done(tmp_path) == list(range(saved))  # checkpoint = exactly what was done
    assert errors and isinstance(errors[0], StageFailed)  # the stopped attempt fails...
    clone = pickle.loads(pickle.dumps(delayed.function))  # ...and is requeued as pickled
    assert clone.cmd == job.cmd and clone._proc is None
    (tmp_path / "worker.py").write_text(WORKER.replace("0.05", "0.001"))
    assert clone() == "train@run0-0"  # the same command resumes and finishes
    assert steps_done(tmp_path) == list(range(400))
    assert "attempt from 0" in (tmp_path / "logs" / "train@run0-0.log").read_text()
    assert f"attempt from {saved}" in (tmp_path / "logs" / "train@run0-0.log").read_text()


def _call(job, errors):
    try:
        job()
    except Exception as exc:  # noqa: BLE001 - recorded for the test
        errors.append(exc)


def test_ignore_usr2_keeps_the_command_alive(tmp_path):
    # SLURM's --signal=USR2 reaches every process of the step; only submitit may act on it
    cmd = "kill -USR2 $$; echo survived"
    assert StageJob("s", cmd, tmp_path, {}, tmp_path / "a.log", ignore_usr2=True)() == "s"
    assert "survived" in (tmp_path / "a.log").read_text()
    with pytest.raises(StageFailed):
        StageJob("s", cmd, tmp_path, {}, tmp_path / "b.log")()


def test_timeout_requeue_resume_under_submitit(tmp_path):
    """submitit's local executor: an 8 s time limit signals the job 4 s before it (USR2),
    StageJob.checkpoint() stops the command (it saves), submitit requeues, the command
    resumes; every step runs exactly once although the work takes several attempts."""
    job = worker_job(tmp_path, steps=120)
    executor = submitit.LocalExecutor(folder=tmp_path / "submitit", max_num_timeout=10)
    executor.update_parameters(timeout_min=8 / 60, signal_delay_s=4)
    handle = executor.submit(job)
    assert handle.result() == "train@run0-0"
    log = (tmp_path / "logs" / "train@run0-0.log").read_text()
    attempts = log.count("attempt from")
    assert attempts >= 2, log
    assert "checkpoint at" in log and "finished" in log
    assert steps_done(tmp_path) == list(range(120))


@pytest.mark.slurm
@pytest.mark.skipif(not os.environ.get("SENBENCH_SLURM_REQUEUE"),
                    reason="about 3 min (SLURM holds a requeued job ~2 min); "
                           "run with SENBENCH_SLURM_REQUEUE=1 on a cluster")
def test_preempt_requeue_resume_on_real_slurm(tmp_path):
    """The same cycle on SLURM: `scancel --signal=USR2` (what --signal sends before the time
    limit) -> checkpoint -> `scontrol requeue` by submitit -> the job resumes."""
    import subprocess
    from benchmark.pipeline import PipelineError
    from benchmark.pipeline.slurm import check_reachable
    try:
        check_reachable()
    except PipelineError as exc:
        pytest.skip(str(exc))
    job = worker_job(tmp_path, steps=300, ignore_usr2=True)
    executor = submitit.SlurmExecutor(folder=tmp_path / "slurm" / "%j", max_num_timeout=3)
    executor.update_parameters(time=10, mem="500M", cpus_per_task=1, signal_delay_s=30,
                               setup=[f"export PYTHONPATH={Path(__file__).parents[1]}"],
                               additional_parameters={"requeue": True})
    handle = executor.submit(job)
    while len(steps_done(tmp_path)) < 40:
        time.sleep(0.5)
    subprocess.run(["scancel", "--signal=USR2", handle.job_id], check=True)
    assert handle.result() == "train@run0-0"
    log = (tmp_path / "logs" / "train@run0-0.log").read_text()
    assert log.count("attempt from") == 2 and "checkpoint at" in log
    assert steps_done(tmp_path) == list(range(300))
    states = subprocess.run(["sacct", "-j", handle.job_id, "-D", "-X", "-n", "-P", "-o", "State"],
                            capture_output=True, text=True).stdout.split()
    assert states == ["REQUEUED", "COMPLETED"], states
