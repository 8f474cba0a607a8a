"""The pipeline as DVC sees it: stages, their commands, the DAG, and which are stale.

Everything comes from DVC's own API (``dvc.repo.Repo``: ``index.graph`` and
``Stage.changed()``, the check ``dvc repro`` and ``dvc status`` use), so ``foreach`` and
``matrix`` stages are expanded by DVC and no stage name is known here. A stage is *stale*
when DVC says it changed, or when it depends, directly or not, on a stale stage (it will
see new inputs, as in ``dvc repro``).
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from benchmark.pipeline import PipelineError


@dataclass(frozen=True)
class Stage:
    """One expanded stage of dvc.yaml (``name`` as DVC addresses it, e.g. ``train@run3-0``)."""

    name: str
    cmd: str
    wdir: str                       # relative to the repository root ("." normally)
    deps: tuple[str, ...]           # paths relative to the root (files and directories)
    params: tuple[str, ...]         # params files read (params.yaml)
    outs: tuple[str, ...]
    upstream: tuple[str, ...] = ()  # stages whose outputs this one reads
    frozen: bool = False


@dataclass
class Pipeline:
    """All stages in ``dvc stage list`` order, and the names of the stale ones."""

    root: Path
    stages: dict[str, Stage]
    stale: list[str] = field(default_factory=list)

    def downstream(self, names: set[str]) -> set[str]:
        """Every stage that depends, directly or not, on one of ``names``."""
        dependents: dict[str, set[str]] = {n: set() for n in self.stages}
        for stage in self.stages.values():
            for up in stage.upstream:
                dependents[up].add(stage.name)
        seen, todo = set(), list(names)
        while todo:
            for d in dependents[todo.pop()]:
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        return seen


def _rel(root: Path, path: str) -> str:
    return os.path.relpath(path, root)


def _command(stage) -> str:
    cmd = stage.cmd
    if isinstance(cmd, (list, tuple)):  # dvc.yaml allows a list of commands
        return " && ".join(cmd)
    return str(cmd)


def load_pipeline(root: str | Path = ".") -> Pipeline:
    """Read dvc.yaml (+ dvc.lock) of the repository at ``root`` and compute what is stale."""
    root = Path(root).resolve()
    with contextlib.chdir(root):  # DVC names stages relative to the working directory
        return _load(root)


def _load(root: Path) -> Pipeline:
    from dvc.dependency.param import ParamsDependency
    from dvc.exceptions import DvcException
    from dvc.repo import Repo
    from dvc.stage import PipelineStage

    try:
        repo = Repo(str(root))
    except DvcException as exc:
        raise PipelineError(f"{root}: not a DVC repository ({exc}); run `dvc init`") from None
    try:
        with repo.lock:
            graph = repo.index.graph
            order = {s: i for i, s in enumerate(repo.index.stages)}
            nodes = sorted(graph.nodes, key=lambda s: order.get(s, len(order)))
            stages: dict[str, Stage] = {}
            changed: list[str] = []
            for node in nodes:
                if not isinstance(node, PipelineStage) or not node.cmd:
                    if node.changed():  # a .dvc data source that is missing or modified
                        raise PipelineError(f"{node.addressing} is not up to date: run "
                                            "`dvc checkout` or `dvc pull` first")
                    continue
                upstream = tuple(up.addressing for up in graph.successors(node)
                                 if isinstance(up, PipelineStage) and up.cmd)
                stages[node.addressing] = Stage(
                    name=node.addressing, cmd=_command(node), wdir=_rel(root, node.wdir),
                    deps=tuple(_rel(root, d.fs_path) for d in node.deps
                               if not isinstance(d, ParamsDependency)),
                    params=tuple(_rel(root, d.fs_path) for d in node.deps
                                 if isinstance(d, ParamsDependency)),
                    outs=tuple(_rel(root, o.fs_path) for o in node.outs),
                    upstream=upstream, frozen=bool(node.frozen))
                if not node.frozen and node.changed():
                    changed.append(node.addressing)
    except DvcException as exc:
        raise PipelineError(f"dvc: {str(exc).splitlines()[0]}") from None
    finally:
        repo.close()
    pipeline = Pipeline(root, stages)
    stale = set(changed) | pipeline.downstream(set(changed))
    pipeline.stale = [n for n in stages if n in stale and not stages[n].frozen]
    return pipeline


def remove_outputs(root: str | Path, names: list[str]) -> None:
    """Remove the outputs of ``names`` before they run, as ``dvc repro`` does.

    A stale run directory must not be resumed from its old checkpoint; the previous
    outputs stay in DVC's cache (and dvc.lock is untouched until ``dvc commit``).
    """
    from dvc.repo import Repo

    root = Path(root).resolve()
    with contextlib.chdir(root):
        repo = Repo(str(root))
        try:
            with repo.lock:
                for stage in repo.index.stages:
                    if stage.addressing in names:
                        stage.remove_outs(ignore_remove=False, force=False)
        finally:
            repo.close()

