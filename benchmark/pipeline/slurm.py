"""The SLURM executor, through submitit: one job array per wave, chained with ``afterok``.

All waves are submitted at once. The array of wave k+1 carries
``--dependency=afterok:<arrays of wave k>`` and ``--kill-on-invalid-dep=yes``, so SLURM
starts it only when every job of wave k succeeded and drops it otherwise. Stages that
need a GPU (``cluster.gpu_stages``, the training runs) go into their own array of the wave
with ``--gpus-per-task``; every job gets ``--cpus-per-task`` = the thread budget.

Each job is a :class:`~benchmark.pipeline.jobs.StageJob`: on a time-out (submitit's USR2,
``signal_delay_s`` before the limit) or a preemption it stops its command, which saves its
checkpoint, and is requeued (at most ``max_requeues`` times); the requeued job resumes.
The driver waits for the jobs (``sacct``, via submitit), then the caller commits.
"""
from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from benchmark.pipeline import PipelineError
from benchmark.pipeline.jobs import StageJob
from benchmark.pipeline.waves import matches


def check_reachable() -> None:
    """Raise a one-line error unless ``sbatch`` exists and ``scontrol ping`` answers UP."""
    hint = "start it (test cluster: bash scripts/slurm-local.sh) or use --executor local"
    if shutil.which("sbatch") is None or shutil.which("scontrol") is None:
        raise PipelineError(f"SLURM is not reachable: no sbatch/scontrol on PATH; install the "
                            f"SLURM client, {hint}")
    try:
        ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        raise PipelineError(f"SLURM is not reachable: `scontrol ping` timed out; {hint}") from None
    if ping.returncode != 0 or " is UP" not in ping.stdout:
        said = (ping.stdout.strip() or ping.stderr.strip() or "no answer").splitlines()[0]
        raise PipelineError(f"SLURM is not reachable: slurmctld is down ({said}); {hint}")


@dataclass
class Submitted:
    """The jobs of one array: stage names, submitit jobs, the array's SLURM id."""

    wave: int
    stages: list[str]
    jobs: list[Any]
    array_id: str
    gpu: bool


@dataclass
class Outcome:
    """Completed stages per wave, and the first failure (stage, message) if any."""

    completed: list[list[str]] = field(default_factory=list)
    failure: tuple[str, str] | None = None
    job_ids: dict[str, str] = field(default_factory=dict)


def submit_waves(waves: list[list[str]], make_job, log_dir: Path, opts: dict, threads: int,
                 gpu_stages: list[str], setup: list[str] | None = None) -> list[Submitted]:
    """Submit every wave as job arrays; ``make_job(name, wave)`` builds each StageJob."""
    import submitit

    folder = Path(log_dir) / "slurm"
    submitted: list[Submitted] = []
    previous: list[str] = []
    for k, wave in enumerate(waves):
        gpus = int(opts.get("gpus_per_task") or 0)
        groups = [(False, [n for n in wave if not (gpus and matches(n, gpu_stages))]),
                  (True, [n for n in wave if gpus and matches(n, gpu_stages)])]
        current: list[str] = []
        for gpu, names in groups:
            if not names:
                continue
            executor = submitit.SlurmExecutor(folder=folder / "%j",
                                              max_num_timeout=int(opts["max_requeues"]))
            params: dict[str, Any] = dict(
                job_name=f"senbench-w{k}{'-gpu' if gpu else ''}", time=int(opts["time"]),
                mem=str(opts["mem"]), cpus_per_task=int(threads), ntasks_per_node=1, nodes=1,
                array_parallelism=int(opts["array_parallelism"]),
                signal_delay_s=int(opts["signal_delay_s"]), setup=list(setup or []),
                additional_parameters={"requeue": True})
            if opts.get("partition"):
                params["partition"] = str(opts["partition"])
            if gpu:
                params["gpus_per_task"] = gpus
            if previous:
                params["dependency"] = "afterok:" + ":".join(previous)
                params["additional_parameters"]["kill-on-invalid-dep"] = "yes"
            executor.update_parameters(**params)
            try:
                with executor.batch():
                    jobs = [executor.submit(make_job(name, k)) for name in names]
            except Exception as exc:  # submitit raises on sbatch errors
                cancel(submitted)
                raise PipelineError(f"sbatch refused wave {k}: "
                                    f"{str(exc).strip().splitlines()[-1]}") from None
            array_id = str(jobs[0].job_id).split("_")[0]
            current.append(array_id)
            submitted.append(Submitted(k, names, jobs, array_id, gpu))
        previous = current
    return submitted


def cancel(submitted: list[Submitted]) -> None:
    """scancel every array (jobs already finished are unaffected)."""
    ids = [s.array_id for s in submitted]
    if ids:
        subprocess.run(["scancel", *ids], capture_output=True)


TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
            "BOOT_FAIL", "DEADLINE"}
RESULT_POLL_S = 2.0
NO_RESULT_GRACE_S = 60.0  # COMPLETED in sacct but no result pickle yet (slow filesystem)


TRACE_RULE = "-" * 22  # submitit's FailedJobError frames the job's traceback with it


def failure_line(exc: BaseException) -> str:
    """The line that says why a job failed: the last line of the job's own traceback (e.g.
    ``StageFailed: stage train@run1 failed (exit status 2); see <log>``), not the log paths
    submitit appends after it."""
    text = str(exc)
    parts = text.split(TRACE_RULE)
    trace = parts[1] if len(parts) >= 3 else text
    lines = [line.strip() for line in trace.strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _state(job: Any) -> str:
    """The job's SLURM state as of the watcher's last ``sacct`` call (see :func:`wait_all`)."""
    state = job.watcher.get_state(job.job_id, mode="cache")
    return (state or "UNKNOWN").upper().split()[0]  # "CANCELLED by 0" -> CANCELLED


def _finished(job: Any, seen: dict[str, float]) -> str | None:
    """None while the job may still produce a result; else "ok" or a failure reason.

    The result pickle decides when it exists: sacct can lag behind it (RUNNING) and, for
    array tasks, report transient states; a job is declared failed without a pickle
    only in a terminal state (COMPLETED only after a grace period)."""
    if job.paths.result_pickle.exists():
        try:
            job.result()
            return "ok"
        except Exception as exc:  # the job's own exception (StageFailed, traceback)
            return failure_line(exc)
    state = _state(job)
    if state not in TERMINAL:
        return None
    if state == "COMPLETED":
        first = seen.setdefault(job.job_id, time.monotonic())
        if time.monotonic() - first < NO_RESULT_GRACE_S:
            return None
    return f"state {state} without a result"


def wait_all(submitted: list[Submitted], n_waves: int, poll_s: float, bar: tqdm | None = None
             ) -> Outcome:
    """Wait for every job; on the first failure cancel the later waves (already doomed by
    ``afterok``) and let the running jobs of that wave finish. Result files are checked
    every 2 s, SLURM's states (sacct, one call for all jobs) every ``poll_s``."""
    outcome = Outcome(completed=[[] for _ in range(n_waves)])
    pending = {(s.wave, name): (job, s) for s in submitted for name, job in zip(s.stages, s.jobs)}
    for s in submitted:
        for name, job in zip(s.stages, s.jobs):
            outcome.job_ids[name] = str(job.job_id)
    seen: dict[str, float] = {}
    last_sacct = -float("inf")
    while pending:
        if time.monotonic() - last_sacct >= poll_s:  # one sacct call for all jobs
            next(iter(pending.values()))[0].watcher.update()
            last_sacct = time.monotonic()
        for (wave, name), (job, sub) in list(pending.items()):
            reason = _finished(job, seen)
            if reason is None:
                continue
            del pending[(wave, name)]
            if bar is not None:
                bar.update(1)
            if reason == "ok":
                outcome.completed[wave].append(name)
            elif outcome.failure is None or wave < _wave_of(outcome.failure[0], submitted):
                if outcome.failure is None:
                    cancel([s for s in submitted if s.wave > wave])
                outcome.failure = (name, f"job {job.job_id}: {reason}")
        if bar is not None:
            bar.set_postfix_str(f"{len(pending)} job(s) pending or running", refresh=True)
        if pending:
            time.sleep(min(RESULT_POLL_S, poll_s))  # result pickles: a cheap stat
    order = {name: i for s in submitted for i, name in enumerate(s.stages)}
    for names in outcome.completed:
        names.sort(key=order.__getitem__)
    return outcome


def _wave_of(name: str, submitted: list[Submitted]) -> int:
    return next(s.wave for s in submitted if name in s.stages)
