"""One stage's command as a job: environment, thread budget, log file, requeue.

Both executors run a stage the same way: ``cmd`` exactly as DVC holds it, through the
shell, in the stage's working directory, with

* ``PYTHONPATH`` starting with the repository root, so ``senbench``/``python -m`` run the
  code of the repository being executed (the code dvc.lock records), whichever copy of
  the package is installed;
* the thread budget (``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ... and
  ``SENBENCH_THREADS``): float results depend on torch's thread count, so it is explicit
  and the same for every job;
* ``OMP_WAIT_POLICY=PASSIVE`` and ``PYTHONDONTWRITEBYTECODE=1`` (see :func:`job_overrides`);
* stdout and stderr appended to one log file per stage.

:class:`StageJob` is what the SLURM executor submits: a ``submitit`` checkpointable
callable. When SLURM signals a time-out or preemption, ``checkpoint()`` sends SIGTERM to the
command (training saves its checkpoint on SIGTERM), waits for it, and hands submitit the
same job to requeue; the requeued job runs the same command, which resumes from the run
directory's checkpoint.
"""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path
from typing import Mapping

import submitit

from benchmark.seed_jobs import wait_polling   # polls: a checkpoint's signal handler may wait too

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "SENBENCH_THREADS")
STOP_GRACE_S = 60.0  # how long a SIGTERM'd command may take to write its checkpoint


class StageFailed(RuntimeError):
    """A stage's command exited non-zero (the message names the stage and its log)."""

    def __init__(self, stage: str, returncode: int, log: str | Path):
        tail = last_line(log)
        super().__init__(f"stage {stage} failed (exit status {returncode}); see {log}"
                         + (f"; it ended: {tail}" if tail else ""))
        self.stage, self.returncode, self.log = stage, returncode, str(log)


def last_line(log: str | Path, limit: int = 300) -> str:
    """The log's last line of output (progress-bar redraws split off; "" if none), cut to
    ``limit`` characters: in a failure's one-line message it is usually the cause."""
    try:
        with open(log, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 8192))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line.strip() for line in text.replace("\r", "\n").splitlines()
             if line.strip() and not line.startswith("== ")]
    tail = lines[-1] if lines else ""
    return tail if len(tail) <= limit else tail[:limit - 3] + "..."


def thread_env(threads: int) -> dict[str, str]:
    """The variables that fix the thread count of torch, OpenMP, MKL and BLAS."""
    if int(threads) < 1:
        raise ValueError(f"threads per job must be >= 1, got {threads}")
    return {var: str(int(threads)) for var in THREAD_VARS}


def job_overrides(root: str | Path, threads: int, base: Mapping[str, str] | None = None
                  ) -> dict[str, str]:
    """The variables a job sets on top of its environment (``base``: os.environ): the
    repository first on PYTHONPATH, the thread budget, no bytecode files."""
    base = os.environ if base is None else base
    path = [str(Path(root).resolve())] + [p for p in base.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {"PYTHONPATH": os.pathsep.join(dict.fromkeys(path)), **thread_env(threads),
            # jobs may share cores (--jobs 2 on 2 cores with 2-thread runs): idle OpenMP
            # threads sleep instead of spinning; the work split, hence every result, depends
            # on the thread count only
            "OMP_WAIT_POLICY": "PASSIVE",
            # a __pycache__ inside a directory dependency (benchmark/models) would change
            # its DVC hash and leave `dvc status` dirty
            "PYTHONDONTWRITEBYTECODE": "1"}


def _ignore_usr2() -> None:
    # SLURM's --signal reaches every process of the job step; the command must not die of
    # submitit's USR2 (default action: terminate) before checkpoint() asks it to stop.
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


class StageJob(submitit.helpers.Checkpointable):
    """Run one stage's ``cmd`` in ``cwd`` with ``env_overrides``, logging to ``log``."""

    def __init__(self, stage: str, cmd: str, cwd: str | Path, env_overrides: Mapping[str, str],
                 log: str | Path, ignore_usr2: bool = False):
        self.stage, self.cmd, self.ignore_usr2 = stage, cmd, ignore_usr2
        self.cwd, self.log = str(cwd), str(log)
        self.env_overrides = dict(env_overrides)
        self._proc: subprocess.Popen | None = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_proc"] = None  # a running process does not travel with a requeued job
        return state

    def start(self) -> subprocess.Popen:
        """Start the command (log header first) in its own process group."""
        Path(self.log).parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env_overrides}
        with open(self.log, "a") as log:
            log.write(f"== {time.strftime('%Y-%m-%d %H:%M:%S')} {self.stage} on {os.uname().nodename}"
                      f" (threads {env.get('SENBENCH_THREADS', '?')}): {self.cmd}\n")
            log.flush()
            # preexec_fn only under SLURM, where the job runs single-threaded
            self._proc = subprocess.Popen(
                ["bash", "-c", self.cmd], cwd=self.cwd, env=env, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                preexec_fn=_ignore_usr2 if self.ignore_usr2 else None)
        return self._proc

    def __call__(self) -> str:
        returncode = wait_polling(self.start())
        self._proc = None
        if returncode != 0:
            raise StageFailed(self.stage, returncode, self.log)
        return self.stage

    def stop(self, grace_s: float = STOP_GRACE_S) -> int | None:
        """SIGTERM the command's process group and wait for all of it (training saves its
        checkpoint on SIGTERM); SIGKILL after ``grace_s``. Returns the exit status."""
        proc = self._proc
        if proc is None:
            return None
        _signal_group(proc.pid, signal.SIGTERM)
        end = time.monotonic() + grace_s
        # poll() first: it reaps the leader, whose zombie would keep the group "alive"
        while (proc.poll() is None or _group_alive(proc.pid)) and time.monotonic() < end:
            time.sleep(0.2)
        if proc.poll() is None or _group_alive(proc.pid):
            _signal_group(proc.pid, signal.SIGKILL)
            wait_polling(proc)
        with open(self.log, "a") as log:
            log.write(f"== {time.strftime('%Y-%m-%d %H:%M:%S')} {self.stage} stopped "
                      f"(exit status {proc.returncode})\n")
        self._proc = None
        return proc.returncode

    def checkpoint(self, *args, **kwargs) -> submitit.helpers.DelayedSubmission:
        """Time-out or preemption: stop the command, then requeue this same job."""
        self.stop()
        return submitit.helpers.DelayedSubmission(self, *args, **kwargs)

    def __repr__(self) -> str:
        return f"StageJob({self.stage}: {shlex.quote(self.cmd)})"
