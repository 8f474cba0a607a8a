"""Dependency waves: which stale stages can run side by side.

A stage's wave is the length of the longest chain of stale stages it depends on, so wave 0
holds the stale stages with no stale upstream, and every stage of wave k+1 reads an output
of wave k (generate -> train -> evaluate -> analyse in SEN-Bench's dvc.yaml). Within a wave
the order is that of ``dvc stage list``. Pure functions of names, so they are unit-tested
without DVC.
"""
from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Iterable, Mapping, Sequence

from benchmark.pipeline import PipelineError


def compute_waves(stale: Sequence[str], upstream: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Group ``stale`` (in their given order) by dependency depth among the stale stages.

    ``upstream[name]`` lists the stages ``name`` reads from; stages not in ``stale`` are
    up to date and impose no order. A cycle (which DVC itself rejects) raises.
    """
    todo = set(stale)
    level: dict[str, int] = {}

    def depth(name: str, path: tuple[str, ...]) -> int:
        if name in level:
            return level[name]
        if name in path:
            raise PipelineError(f"dependency cycle through {name}")
        ups = [u for u in upstream.get(name, ()) if u in todo]
        level[name] = 1 + max((depth(u, path + (name,)) for u in ups), default=-1)
        return level[name]

    for name in stale:
        depth(name, ())
    waves: list[list[str]] = [[] for _ in range(1 + max(level.values(), default=-1))]
    for name in stale:
        waves[level[name]].append(name)
    return waves


def matches(name: str, patterns: Iterable[str]) -> bool:
    """``name`` matches one of the shell-style ``patterns`` (``train@*``, ``analyse``)."""
    return any(fnmatchcase(name, p) for p in patterns)


def split_local(waves: list[list[str]], local: Iterable[str],
                upstream: Mapping[str, Iterable[str]]) -> tuple[list[list[str]], list[str]]:
    """(cluster waves, local stages): stages matching ``local`` run on the driver at the end.

    The local stages (``cluster.local`` in params.yaml: the small aggregating stages) run
    after every cluster wave, in wave order; so no cluster stage may depend on one of them.
    """
    local = list(local)
    on_driver = [n for wave in waves for n in wave if matches(n, local)]
    chosen = set(on_driver)
    cluster = [[n for n in wave if n not in chosen] for wave in waves]
    for wave in cluster:
        for name in wave:
            bad = _reaches(name, chosen, upstream)
            if bad:
                raise PipelineError(f"stage {name} runs on the cluster but depends on {bad}, "
                                    "which runs locally: remove it from cluster.local")
    return [w for w in cluster if w], on_driver


def _reaches(name: str, targets: set[str], upstream: Mapping[str, Iterable[str]]) -> str | None:
    seen, todo = set(), list(upstream.get(name, ()))
    while todo:
        up = todo.pop()
        if up in targets:
            return up
        if up not in seen:
            seen.add(up)
            todo.extend(upstream.get(up, ()))
    return None
