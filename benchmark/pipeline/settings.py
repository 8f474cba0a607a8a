"""The ``cluster:`` section of params.yaml: defaults of ``senbench pipeline run``.

No stage lists ``cluster`` among its params, so changing it never makes a stage stale.
Options of the command override these values; missing keys take :data:`DEFAULTS`.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from benchmark.pipeline import PipelineError

DEFAULTS: dict[str, Any] = {
    # CPUs of every job (SLURM's cpus-per-task; OMP/MKL threads in its env); train and
    # evaluate use their runs' own recorded `threads` setting, so results do not depend on it
    "threads_per_job": 2,
    "jobs": 2,                    # local executor: stages at once
    # a train/evaluate stage (one row of `runs`): how many of its seeds run at once, each in
    # its own process (null: all); results do not depend on it (benchmark/seed_jobs.py)
    "seeds_at_once": None,
    "local": ["analyse", "plots"],  # run on the driver after the cluster waves
    "gpu_stages": ["train@*"],    # stages that get --gpus-per-task on SLURM
    "log_dir": ".senbench/logs",
    "slurm": {
        "partition": None,        # the cluster's default partition
        "time": 240,              # minutes per job (a timed-out job is requeued)
        "mem": "16G",
        "gpus_per_task": 1,
        "array_parallelism": 64,
        "max_requeues": 3,
        "signal_delay_s": 120,    # USR2 this long before the time limit: checkpoint
        "poll_s": 30.0,            # seconds between sacct calls while waiting
    },
}


def load_settings(params_file: str | Path) -> dict[str, Any]:
    """DEFAULTS overridden by the ``cluster:`` section of ``params_file`` (if any)."""
    path = Path(params_file)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        return copy.deepcopy(DEFAULTS)
    except yaml.YAMLError as exc:
        raise PipelineError(f"{path}: malformed YAML ({str(exc).splitlines()[0]})") from None
    section = raw.get("cluster") or {}
    if not isinstance(section, dict):
        raise PipelineError(f"{path}: cluster must be a mapping")
    out = copy.deepcopy(DEFAULTS)
    for key, value in section.items():
        if key not in DEFAULTS:
            raise PipelineError(f"{path}: cluster.{key}: unknown key; "
                                f"known: {', '.join(sorted(DEFAULTS))}")
        if key == "slurm":
            if not isinstance(value, dict):
                raise PipelineError(f"{path}: cluster.slurm must be a mapping")
            unknown = set(value) - set(DEFAULTS["slurm"])
            if unknown:
                raise PipelineError(f"{path}: cluster.slurm: unknown key(s) "
                                    f"{', '.join(sorted(unknown))}")
            out["slurm"].update(value)
        else:
            out[key] = value
    return out
