"""Metrics of SEN-Bench (SPEC section 5): pure functions, and the registry the evaluation reads.

Ranking (:mod:`benchmark.metrics.ranking`): :func:`ranks`, :func:`hits_at_k`, :func:`mrr`,
:func:`ranking_metrics`, :func:`hard_hits_at_1` (HH@1), :func:`traversal_hits_at_1` (TH@1).
Equivariance (:mod:`benchmark.metrics.equivariance`): :func:`equivariance_error` (EE),
:func:`distance_invariance_error` (DIE).

The registry (:mod:`benchmark.metrics.registry`) declares every metric the evaluation
computes, its key template, horizons, needs and envs; the standard ones are in
:mod:`benchmark.metrics.standard`.  Add one with :func:`register_metric`.
"""
from __future__ import annotations

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
from benchmark.metrics.registry import (
    MetricSpec,
    UnknownMetricError,
    applicable,
    check_metric_key,
    get_metric,
    metric_for_key,
    metrics,
    register_metric,
)
