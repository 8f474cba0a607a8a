"""The workspace around a pipeline run: ``-S`` overrides, the clean-code rule, ``dvc commit``.

**-S key=value** edits params.yaml (or ``file.yaml:key=value`` another params file) with
DVC's own implementation of ``dvc exp run -S`` (Hydra override grammar), before the stale
stages are computed. As with ``dvc exp run`` in the workspace, the edit stays in the file
afterwards: dvc.lock then records the values the results were made with.

**The clean-code rule.** Jobs may run on other machines, later, for hours; dvc.lock records
the hash of every code dependency at ``dvc commit`` time. So that the recorded code is the
code that ran, and is a git commit anyone can check out:

1. before anything runs, no file that a stale stage depends on (its ``deps`` that no stage
   produces, e.g. ``benchmark/train.py``, ``benchmark/models``) may differ from git's HEAD
   (modified, staged, deleted or untracked inside a dependency directory); params files
   are exempt: DVC records their values (``-S`` edits them). ``--allow-dirty`` skips this
   check (then it is as with ``dvc repro``: the working tree's code is what ran);
2. whatever the flag, those files are fingerprinted (SHA-256) at the start and checked
   again before each ``dvc commit``: an edit during the run stops it before the results
   are recorded against code that did not make them.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterable

from benchmark.pipeline import PipelineError
from benchmark.pipeline.stages import Pipeline


def apply_set_params(root: str | Path, sets: list[str]) -> dict[str, list[str]]:
    """Apply ``-S`` overrides as ``dvc exp run -S`` does; returns file -> overrides."""
    if not sets:
        return {}
    from dvc.exceptions import DvcException
    from dvc.utils.cli_parse import to_path_overrides
    from dvc.utils.hydra import apply_overrides

    by_file = to_path_overrides(sets)
    for path, overrides in by_file.items():
        full = Path(root) / path
        if not full.is_file():
            raise PipelineError(f"-S {overrides[0]}: no params file {path}")
        try:
            apply_overrides(full, overrides)
        except DvcException as exc:
            cause = exc.__cause__ or exc
            raise PipelineError(f"-S {' '.join(overrides)}: {str(cause).splitlines()[0]}") from None
    return by_file


def code_dependencies(pipeline: Pipeline, names: Iterable[str]) -> list[str]:
    """Dependencies of ``names`` that no stage produces (code, static data), sorted."""
    produced = [o for s in pipeline.stages.values() for o in s.outs]

    def is_output(path: str) -> bool:
        return any(path == o or path.startswith(o + "/") or o.startswith(path + "/")
                   for o in produced)

    deps = {d for n in names for d in pipeline.stages[n].deps if not is_output(d)}
    return sorted(deps)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)


def check_clean(pipeline: Pipeline, names: list[str]) -> None:
    """Rule 1 above: raise naming the first dirty file and a stage that reads it."""
    root = pipeline.root
    if _git(root, "rev-parse", "--is-inside-work-tree").returncode != 0:
        return  # DVC without git (--no-scm): nothing to compare with
    deps = code_dependencies(pipeline, names)
    if not deps:
        return
    status = _git(root, "status", "--porcelain", "--untracked-files=all", "--", *deps)
    if status.returncode != 0:
        raise PipelineError(f"git status failed: {status.stderr.strip().splitlines()[0]}")
    lines = [line for line in status.stdout.splitlines() if line.strip()]
    if lines:
        path = lines[0][3:].split(" -> ")[-1].strip('"')
        reader = next((n for n in names if any(path == d or path.startswith(d.rstrip("/") + "/")
                                               for d in pipeline.stages[n].deps)), names[0])
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        raise PipelineError(f"dirty workspace: {path}{more} differs from git HEAD and stage "
                            f"{reader} depends on it; commit or stash it, or pass --allow-dirty")


def fingerprint(root: str | Path, paths: Iterable[str]) -> dict[str, str]:
    """SHA-256 of every file under ``paths`` (``__pycache__`` skipped), by relative path."""
    root = Path(root)
    out = {}
    for rel in paths:
        top = root / rel
        files = [top] if top.is_file() else sorted(
            p for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for f in files:
            out[str(f.relative_to(root))] = hashlib.sha256(f.read_bytes()).hexdigest()
        if not top.exists():
            out[rel] = "missing"
    return out


def check_unchanged(root: str | Path, before: dict[str, str], paths: Iterable[str]) -> None:
    """Rule 2 above: the code dependencies still have the bytes they had at the start."""
    after = fingerprint(root, paths)
    changed = sorted(set(before) ^ set(after) | {p for p in before if before[p] != after.get(p)})
    if changed:
        raise PipelineError(f"{changed[0]} changed while the pipeline ran, so the results would "
                            "not match the code; restore it and rerun `senbench pipeline run`")


def dvc_commit(root: str | Path, names: list[str]) -> None:
    """Record the outputs of ``names`` in dvc.lock (and the cache): ``dvc commit -f``."""
    if not names:
        return
    proc = subprocess.run([sys.executable, "-m", "dvc", "commit", "-f", "-q", *names],
                          cwd=root, capture_output=True, text=True,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if proc.returncode != 0:
        detail = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
        raise PipelineError(f"dvc commit of {', '.join(names[:3])}"
                            f"{' ...' if len(names) > 3 else ''} failed: {detail}")
