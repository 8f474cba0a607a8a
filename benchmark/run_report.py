"""What the trained-run diagnostics share (:mod:`benchmark.slot_binding`,
:mod:`benchmark.pose_residual`): one run, or a ``{seed}`` path over ``--seeds``, measured
one by one, printed a line each and written to JSON whole; bad input is one line."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from benchmark.seed_jobs import SEED_FIELD, parse_seeds, seed_path


def run_paths(run: str, seeds: str | None) -> list[str]:
    """``[run]``, or with ``seeds`` (e.g. ``0-2``) the run path with each seed in ``{seed}``."""
    if seeds is None:
        return [run]
    if SEED_FIELD not in run:
        raise ValueError(f"--seeds needs {SEED_FIELD} in the run path")
    return [seed_path(run, s) for s in parse_seeds(seeds)]


def report_runs(tool: str, run: str, seeds: str | None, measure: Callable[[str], dict],
                describe: Callable[[dict], str], json_path: str | None = None) -> list[dict]:
    """``measure`` every run of :func:`run_paths`, print ``describe`` of each result, write
    them all to ``json_path`` (a temporary name, renamed when written). A ``ValueError`` or
    ``OSError`` exits with ``<tool>: <reason>`` before anything is printed or written."""
    try:
        results = [measure(path) for path in run_paths(run, seeds)]
    except (ValueError, OSError) as exc:
        raise SystemExit(f"{tool}: {exc}")
    for result in results:
        print(describe(result))
    if json_path:
        tmp = Path(json_path + ".tmp")
        tmp.write_text(json.dumps(results, indent=2) + "\n")
        tmp.replace(json_path)
    return results
