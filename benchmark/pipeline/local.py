"""The local executor: up to N stage commands at once on this machine.

Each wave runs to its end before the next starts (every stage of wave k+1 reads outputs of
wave k). When a job fails, no further job is started; the jobs already running are let
finish (their results are valid and get committed), then the failure is reported.
"""
from __future__ import annotations

import sys
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from tqdm import tqdm

from benchmark.pipeline.jobs import StageFailed, StageJob


def run_wave(jobs: list[StageJob], workers: int, bar: tqdm | None = None
             ) -> tuple[list[str], StageFailed | None]:
    """Run ``jobs`` with at most ``workers`` at once; (completed stages, first failure)."""
    completed: list[str] = []
    failure: StageFailed | None = None
    queue = list(jobs)
    running: dict[Future, StageJob] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        try:
            while queue or running:
                while queue and failure is None and len(running) < workers:
                    job = queue.pop(0)
                    running[pool.submit(job)] = job
                    _show(bar, running)
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    exc = future.exception()
                    if exc is None:
                        completed.append(job.stage)
                    elif failure is None:
                        failure = exc if isinstance(exc, StageFailed) else \
                            StageFailed(job.stage, -1, job.log)
                    if bar is not None:
                        bar.update(1)
                _show(bar, running)
        except KeyboardInterrupt:
            for job in running.values():
                job.stop(grace_s=30)
            raise
    # keep the order of the wave (the order of `dvc stage list`)
    order = {job.stage: i for i, job in enumerate(jobs)}
    return sorted(completed, key=order.__getitem__), failure


def _show(bar: tqdm | None, running: dict[Future, StageJob]) -> None:
    if bar is not None:
        names = [j.stage for j in running.values()]
        bar.set_postfix_str(", ".join(names[:3]) + (" ..." if len(names) > 3 else ""),
                            refresh=True)


def progress_bar(total: int, desc: str) -> tqdm:
    return tqdm(total=total, desc=desc, unit="stage", file=sys.stderr, dynamic_ncols=True,
                mininterval=0.5)
