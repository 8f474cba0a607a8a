"""Metrics of SEN-Bench (SPEC section 5) and a registry name -> function.

Ranking (:mod:`benchmark.metrics.ranking`): :func:`ranks`, :func:`hits_at_k`, :func:`mrr`,
:func:`ranking_metrics`, :func:`hard_hits_at_1` (HH@1), :func:`traversal_hits_at_1` (TH@1).
Equivariance (:mod:`benchmark.metrics.equivariance`): :func:`equivariance_error` (EE),
:func:`distance_invariance_error` (DIE).

All are pure functions of torch tensors; the evaluator encodes latents and calls them.
Look a metric up by name with :func:`get_metric`; add one with :func:`register_metric`::

    @register_metric("my_metric")
    def my_metric(pred, target) -> float: ...
"""
from __future__ import annotations

from typing import Callable

from benchmark.metrics.equivariance import distance_invariance_error, equivariance_error, mean_norm
from benchmark.metrics.ranking import (
    flatten_latents,
    hard_hits_at_1,
    hits_at_k,
    mrr,
    ranking_metrics,
    ranks,
    traversal_hits_at_1,
)

__all__ = [
    "UnknownMetricError",
    "METRICS",
    "register_metric",
    "get_metric",
    "available_metrics",
    "ranks",
    "hits_at_k",
    "mrr",
    "ranking_metrics",
    "hard_hits_at_1",
    "traversal_hits_at_1",
    "equivariance_error",
    "distance_invariance_error",
    "mean_norm",
    "flatten_latents",
]


class UnknownMetricError(KeyError, ValueError):
    """Raised by :func:`get_metric` for a name that is not registered (one-line message)."""

    def __str__(self) -> str:
        return str(self.args[0])


#: name -> metric function (canonical names and short aliases)
METRICS: dict[str, Callable[..., object]] = {}


def register_metric(*names: str) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """Decorator registering a metric under one or more names; duplicates raise ValueError."""
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"register_metric needs one or more non-empty names, got {names!r}")

    def deco(fn: Callable[..., object]) -> Callable[..., object]:
        for name in names:
            key = name.lower()
            if key in METRICS and METRICS[key] is not fn:
                raise ValueError(f"metric {name!r} is already registered")
            METRICS[key] = fn
        return fn

    return deco


def get_metric(name: str) -> Callable[..., object]:
    """The metric function registered as ``name`` (case-insensitive)."""
    key = name.lower() if isinstance(name, str) else name
    try:
        return METRICS[key]
    except (KeyError, TypeError):
        raise UnknownMetricError(
            f"unknown metric {name!r}; known: {', '.join(available_metrics())}") from None


def available_metrics() -> list[str]:
    """Sorted registered names (aliases included)."""
    return sorted(METRICS)


register_metric("ranks")(ranks)
register_metric("hits_at_k", "hits", "h@k")(hits_at_k)
register_metric("mrr")(mrr)
register_metric("ranking_metrics")(ranking_metrics)
register_metric("hard_hits_at_1", "hh@1", "hh1")(hard_hits_at_1)
register_metric("traversal_hits_at_1", "th@1", "th1")(traversal_hits_at_1)
register_metric("equivariance_error", "ee")(equivariance_error)
register_metric("distance_invariance_error", "die")(distance_invariance_error)
