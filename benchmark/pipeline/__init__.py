"""``senbench pipeline run``: the stale stages of ``dvc.yaml`` in parallel, locally or on SLURM.

DVC runs the stages of one pipeline one after another, and two ``dvc repro`` in one
workspace fail on its lock. This package reads the pipeline from DVC itself and fans its
stale stages out, wave by wave along DVC's DAG, then records the outputs with
``dvc commit`` so that the end state is that of a plain ``dvc repro``:

* :mod:`.stages`: the stages, their commands and the DAG, from ``dvc.repo.Repo``;
* :mod:`.waves`: dependency waves, and which stages run on the driver (``cluster.local``);
* :mod:`.jobs`: one stage's command as a job (thread budget, log file, requeue);
* :mod:`.local` and :mod:`.slurm`: the two executors (processes here; submitit arrays);
* :mod:`.workspace`: ``-S`` overrides, the clean-workspace rule, ``dvc commit``;
* :mod:`.settings`: the ``cluster:`` section of params.yaml;
* :mod:`.cli`: the sub-command; :func:`.run.run_pipeline`: the whole run.
"""
from __future__ import annotations


class PipelineError(RuntimeError):
    """Something the user can fix (bad option, SLURM down, dirty workspace, failed job)."""
