"""``senbench pipeline run``: the command line of :func:`benchmark.pipeline.run.run_pipeline`.

    senbench pipeline run --executor local --jobs 2
    senbench pipeline run --executor slurm --partition gpu --time 240 --mem 32G \\
        --gpus-per-task 1 -S profile=paper -S 'seeds=[0,1,2]'

Defaults come from the ``cluster:`` section of params.yaml (read after the ``-S``
overrides are applied), then from :data:`benchmark.pipeline.settings.DEFAULTS`.
Registered in ``benchmark/cli.py`` by :func:`add_parser`.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
from pathlib import Path


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``pipeline`` (with its ``run`` sub-command) to the ``senbench`` sub-parsers."""
    p = subparsers.add_parser("pipeline", help="run the stale DVC stages in parallel "
                              "(local processes or SLURM job arrays)")
    sub = p.add_subparsers(dest="pipeline_command", required=True)
    r = sub.add_parser("run", help="run the stale stages wave by wave, then dvc commit",
                       description="Run the stale stages of dvc.yaml in dependency waves "
                       "(local processes or SLURM job arrays), then record them with dvc commit.")
    r.add_argument("-S", "--set-param", dest="sets", action="append", default=[],
                   metavar="[FILE:]KEY=VALUE",
                   help="override a param like `dvc exp run -S` (stays in the file)")
    r.add_argument("--executor", default="local", help="local or slurm (default: local)")
    r.add_argument("--jobs", "-j", type=int, default=None,
                   help="local executor: stages at once (default: cluster.jobs, 2)")
    r.add_argument("--threads-per-job", type=int, default=None,
                   help="CPUs of every job (SLURM cpus-per-task; OpenMP/MKL threads of its "
                        "env; default: cluster.threads_per_job, 2); train and evaluate use "
                        "their runs' recorded `threads` setting")
    r.add_argument("--repo", default=".", help="repository root (default: .)")
    r.add_argument("--log-dir", default=None, help="default: cluster.log_dir, .senbench/logs")
    r.add_argument("--allow-dirty", action="store_true",
                   help="run although code the stale stages depend on differs from git HEAD")
    r.add_argument("--dry-run", action="store_true", help="print the waves and stop")
    r.add_argument("--quiet", action="store_true", help="no progress bars")
    s = r.add_argument_group("SLURM (default: cluster.slurm.* in params.yaml)")
    s.add_argument("--partition", default=None)
    s.add_argument("--time", type=int, default=None, help="minutes per job")
    s.add_argument("--mem", default=None, help="memory per job, e.g. 16G")
    s.add_argument("--gpus-per-task", type=int, default=None,
                   help="GPUs per job of cluster.gpu_stages (training); 0 = CPU only")
    s.add_argument("--array-parallelism", type=int, default=None,
                   help="jobs of one array running at once")
    s.add_argument("--max-requeues", type=int, default=None,
                   help="requeues after time-out/preemption per job")
    r.set_defaults(func=_cmd_run)
    return p


def _cmd_run(args: argparse.Namespace) -> None:
    from benchmark.pipeline import workspace
    from benchmark.pipeline.run import RunOptions, preflight, run_pipeline
    from benchmark.pipeline.settings import load_settings

    root = Path(args.repo).resolve()
    preflight(args.executor)  # before -S edits anything
    with contextlib.chdir(root):
        # -S first: the cluster section may itself be overridden
        workspace.apply_set_params(root, args.sets)
        cfg = load_settings(root / "params.yaml")
        slurm = copy.deepcopy(cfg["slurm"])
        for key in ("partition", "time", "mem", "gpus_per_task", "array_parallelism",
                    "max_requeues"):
            if getattr(args, key) is not None:
                slurm[key] = getattr(args, key)
        opts = RunOptions(
            executor=args.executor, jobs=_pick(args.jobs, cfg["jobs"]),
            threads_per_job=_pick(args.threads_per_job, cfg["threads_per_job"]),
            sets=list(args.sets), sets_applied=True, allow_dirty=args.allow_dirty, dry_run=args.dry_run,
            log_dir=_pick(args.log_dir, cfg["log_dir"]), local_stages=list(cfg["local"]),
            gpu_stages=list(cfg["gpu_stages"]), slurm=slurm, progress=not args.quiet)
        run_pipeline(root, opts)


def _pick(value, default):
    return default if value is None else value
