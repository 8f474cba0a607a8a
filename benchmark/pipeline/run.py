"""One ``senbench pipeline run``: overrides, plan, checks, waves, commits, report.

Order of work (each step's errors are one line, exit status 2):

1. apply ``-S`` overrides to params.yaml (they stay there, as with ``dvc exp run``);
2. read the pipeline and its stale stages from DVC, group them in waves;
3. check the executor (SLURM reachable) and the clean-code rule (:mod:`.workspace`);
4. remove the stale stages' outputs (as ``dvc repro`` does) and run the waves:
   *local*: wave by wave, ``dvc commit -f`` of each wave's completed stages after it;
   *slurm*: every wave submitted at once (``afterok``), ``dvc commit -f`` of the completed
   stages when the jobs have ended, then the ``cluster.local`` stages on this machine;
5. write ``<log_dir>/run.json`` (executor, threads per job, waves, job ids, wall time).

Only completed stages are committed, so dvc.lock never loses what it recorded before:
a failed or never-started stage keeps its old entry (its old outputs stay in the cache).
"""
from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmark.pipeline import PipelineError, local, slurm, workspace
from benchmark.pipeline.jobs import StageJob, job_overrides
from benchmark.pipeline.stages import Pipeline, load_pipeline, remove_outputs
from benchmark.pipeline.waves import compute_waves, split_local

EXECUTORS = ("local", "slurm")


@dataclass
class RunOptions:
    executor: str = "local"
    jobs: int = 2
    threads_per_job: int = 1
    sets: list[str] = field(default_factory=list)
    sets_applied: bool = False  # the CLI applies -S itself (before reading cluster:)
    allow_dirty: bool = False
    dry_run: bool = False
    log_dir: str = ".senbench/logs"
    local_stages: list[str] = field(default_factory=lambda: ["analyse", "plots"])
    gpu_stages: list[str] = field(default_factory=lambda: ["train@*"])
    slurm: dict = field(default_factory=dict)
    progress: bool = True


def plan(pipeline: Pipeline) -> list[list[str]]:
    """The stale stages of ``pipeline`` in dependency waves."""
    return compute_waves(pipeline.stale, {n: s.upstream for n, s in pipeline.stages.items()})


class Runner:
    """Runs the planned waves of one repository and commits what completed."""

    def __init__(self, root: Path, pipeline: Pipeline, opts: RunOptions):
        self.root, self.pipeline, self.opts = root, pipeline, opts
        self.log_dir = (root / opts.log_dir).resolve()
        self.env = job_overrides(root, opts.threads_per_job)
        self.committed: list[str] = []
        self.code = workspace.code_dependencies(pipeline, pipeline.stale)
        self.fingerprint = workspace.fingerprint(root, self.code)

    def job(self, name: str, wave: int, *, slurm_job: bool = False) -> StageJob:
        stage = self.pipeline.stages[name]
        log = self.log_dir / f"wave{wave}" / f"{name.replace('/', '_')}.log"
        return StageJob(name, stage.cmd, (self.root / stage.wdir).resolve(), self.env, log,
                        ignore_usr2=slurm_job)

    def commit(self, names: list[str]) -> None:
        if names:
            workspace.check_unchanged(self.root, self.fingerprint, self.code)
            workspace.dvc_commit(self.root, names)
            self.committed += names

    def run_local(self, waves: list[list[str]], first_wave: int = 0) -> None:
        """Waves on this machine, ``jobs`` at once; commit after each wave."""
        total = sum(map(len, waves))
        bar = local.progress_bar(total, "local") if self.opts.progress and total else None
        try:
            for k, wave in enumerate(waves, start=first_wave):
                if bar is not None:
                    bar.set_description(f"wave {k}")
                done, failure = local.run_wave([self.job(n, k) for n in wave], self.opts.jobs, bar)
                self.commit(done)
                if failure is not None:
                    raise PipelineError(f"{failure}; fix it and rerun `senbench pipeline run` "
                                        f"({len(self.committed)} completed stage(s) committed)")
        finally:
            if bar is not None:
                bar.close()

    def run_slurm(self, waves: list[list[str]], on_driver: list[str]) -> dict[str, str]:
        """Cluster waves as afterok-chained arrays, commit, then the local stages."""
        setup = [f"export PYTHONPATH={self.env['PYTHONPATH']}"]
        submitted = slurm.submit_waves(
            waves, lambda n, k: self.job(n, k, slurm_job=True), self.log_dir,
            self.opts.slurm, self.opts.threads_per_job, self.opts.gpu_stages, setup)
        total = sum(map(len, waves))
        bar = local.progress_bar(total, "slurm") if self.opts.progress else None
        try:
            outcome = slurm.wait_all(submitted, len(waves), float(self.opts.slurm["poll_s"]), bar)
        except KeyboardInterrupt:
            slurm.cancel(submitted)
            raise
        finally:
            if bar is not None:
                bar.close()
        self.commit([n for wave in outcome.completed for n in wave])
        if outcome.failure is not None:
            name, reason = outcome.failure
            log = self.job(name, next(s.wave for s in submitted if name in s.stages)).log
            where = "" if str(log) in reason else f"; see {log}"
            raise PipelineError(f"stage {name} failed on SLURM ({reason}){where}; fix it and "
                                f"rerun ({len(self.committed)} completed stage(s) committed)")
        if on_driver:
            self.run_local(_regroup(on_driver, self.pipeline), first_wave=len(waves))
        return outcome.job_ids


def _regroup(names: list[str], pipeline: Pipeline) -> list[list[str]]:
    return compute_waves(names, {n: s.upstream for n, s in pipeline.stages.items()})


def preflight(executor: str) -> None:
    """The checks that come before anything is changed: a known, reachable executor."""
    if executor not in EXECUTORS:
        raise PipelineError(f"unknown executor {executor!r}; choose {' or '.join(EXECUTORS)}")
    if executor == "slurm":
        slurm.check_reachable()


def run_pipeline(root: str | Path, opts: RunOptions) -> dict:
    """The whole run; returns the record also written to ``<log_dir>/run.json``."""
    root = Path(root).resolve()
    preflight(opts.executor)
    if opts.jobs < 1:
        raise PipelineError(f"--jobs must be >= 1, got {opts.jobs}")
    if opts.threads_per_job < 1:
        raise PipelineError(f"--threads-per-job must be >= 1, got {opts.threads_per_job}")
    if not opts.sets_applied:
        workspace.apply_set_params(root, opts.sets)
    pipeline = load_pipeline(root)
    waves = plan(pipeline)
    upstream = {n: s.upstream for n, s in pipeline.stages.items()}
    if opts.executor == "slurm":
        cluster_waves, on_driver = split_local(waves, opts.local_stages, upstream)
    else:
        cluster_waves, on_driver = waves, []
    record = {"executor": opts.executor, "jobs": opts.jobs,
              "threads_per_job": opts.threads_per_job, "overrides": opts.sets,
              "waves": cluster_waves, "local_stages": on_driver,
              "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if not pipeline.stale:
        _say(opts, "nothing to run: every stage is up to date")
        return record
    if not opts.allow_dirty:
        workspace.check_clean(pipeline, pipeline.stale)
    if opts.dry_run:
        _say(opts, _describe(cluster_waves, on_driver))
        return record
    _say(opts, _describe(cluster_waves, on_driver))
    runner = Runner(root, pipeline, opts)
    remove_outputs(root, pipeline.stale)
    t0 = time.perf_counter()
    try:
        if opts.executor == "local":
            runner.run_local(cluster_waves)
        else:
            record["job_ids"] = runner.run_slurm(cluster_waves, on_driver)
    finally:
        record.update(committed=runner.committed, wall_s=round(time.perf_counter() - t0, 1))
        _write_json(runner.log_dir / "run.json", record)
    _say(opts, f"done in {record['wall_s']:.0f} s: {len(runner.committed)} stage(s) committed "
               f"({opts.threads_per_job} thread(s) per job); logs in {runner.log_dir}")
    return record


def _describe(waves: list[list[str]], on_driver: list[str]) -> str:
    lines = [f"wave {k}: {len(w)} stage(s): {', '.join(w[:4])}{' ...' if len(w) > 4 else ''}"
             for k, w in enumerate(waves)]
    if on_driver:
        lines.append(f"then locally: {', '.join(on_driver)}")
    return "\n".join(lines)


def _say(opts: RunOptions, text: str) -> None:
    """Plan and summary lines (stdout for --dry-run, else stderr; --quiet drops the bars)."""
    print(text, file=sys.stdout if opts.dry_run else sys.stderr)


def _write_json(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=2) + "\n")
    os.replace(tmp, path)
