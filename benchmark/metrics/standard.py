"""The metrics of SPEC section 5, registered for the evaluation (docs/metrics.md).

Each is a few lines over the evaluation context (:class:`benchmark.evaluate.EvalContext`),
which encodes the eval file once and caches what several metrics share (rankings, twin
embeddings, rollouts).  Normalised errors of a collapsed embedding are undefined: None.
"""
from __future__ import annotations

from benchmark.metrics.equivariance import distance_invariance_error, equivariance_error
from benchmark.metrics.ranking import hard_hits_at_1, hits_at_k, mrr, traversal_hits_at_1
from benchmark.metrics.registry import register_metric

HORIZONS = (1, 10)
HH_TURNS = 30                       # HH@1's negatives: the true pose turned by exactly 2pi/30
HH_CURVE_TURNS = (120, 60, 30, 15)  # the HH@1 curve: 2pi/120 ... 2pi/15


def undefined_if_collapsed(metric, *args) -> float | None:
    """A normalised error of a collapsed embedding (all norms zero) is undefined: None."""
    try:
        return metric(*args)
    except ValueError as exc:
        if "collapsed" in str(exc):
            return None
        raise


@register_metric("ee_s", key="ee_s", needs=("twin",))
def ee_s(ctx) -> float | None:
    """EE(S): ``mean |rho_V(g) S(s) - S(g s)|`` on first observations, divided by
    ``mean |S(s)|`` (the paper code's form) or, for envs whose ``ee_units`` is "absolute"
    (the Teapot: Frobenius distance of rotations, Table 1's units), not divided."""
    v, tv, rho_v = ctx.twin_embeddings()
    normalizer = 1.0 if ctx.spec.ee_units == "absolute" else v
    return undefined_if_collapsed(equivariance_error, rho_v, tv, normalizer)


@register_metric("die_s", key="die_s", needs=("twin",))
def die_s(ctx) -> float | None:
    """DIE of S over the DIE pairs, normalised by the mean norm of the start embeddings."""
    v, _, _ = ctx.twin_embeddings()
    return undefined_if_collapsed(distance_invariance_error, *ctx.die_s_pairs(), v)


@register_metric("hits@1", key="hits@1_{h}step", needs=("rollout",), horizons=HORIZONS)
def hits_at_1(ctx, h: int) -> float:
    """Hits@1 of the h-step prediction (C-SWM ranking: targets rank all predictions)."""
    return hits_at_k(ctx.ranks(h), 1)


@register_metric("hits@10", key="hits@10_{h}step", needs=("rollout",), horizons=HORIZONS)
def hits_at_10(ctx, h: int) -> float:
    """Hits@10 of the h-step prediction."""
    return hits_at_k(ctx.ranks(h), 10)


@register_metric("mrr", key="mrr_{h}step", needs=("rollout",), horizons=HORIZONS)
def mean_reciprocal_rank(ctx, h: int) -> float:
    """MRR of the h-step prediction."""
    return mrr(ctx.ranks(h))


@register_metric("die_model", key="die_model_{h}step", needs=("rollout", "twin"),
                 horizons=HORIZONS)
def die_model(ctx, h: int) -> float | None:
    """DIE of the whole model: the h-step prediction against a partner's true latent,
    normalised by the mean norm of the encoded start latents (the paper code's)."""
    return undefined_if_collapsed(distance_invariance_error, *ctx.die_model_pairs(h),
                                  ctx.start_latents())


@register_metric("hh@1", key="hh@1_{h}step", horizons=(1,),
                 needs=("rollout", f"hard_negatives/turn{HH_TURNS}"))
def hard_hits(ctx, h: int) -> float:
    """HH@1: the prediction strictly closer to the true next latent than to every hard
    negative (the true pose turned by 2pi/30 about random axes)."""
    z_pred, z_next = ctx.rollout(h)[:2]
    return hard_hits_at_1(z_pred, z_next, ctx.hard_negatives(HH_TURNS))


@register_metric("hh@1_curve", key="hh@1_{h}step_turn{n}", horizons=(1,),
                 turns=HH_CURVE_TURNS, needs=("rollout", "hard_negatives"))
def hard_hits_curve(ctx, h: int, n: int) -> float:
    """HH@1 with negatives turned by 2pi/n: how finely a model resolves pose."""
    z_pred, z_next = ctx.rollout(h)[:2]
    return hard_hits_at_1(z_pred, z_next, ctx.hard_negatives(n))


@register_metric("th@1", key="th@1_{axis}", needs=("traversals",))
def traversal_hits(ctx, axis: str) -> float:
    """TH@1: rolled-forward traversal latents nearest to the right encoded frame."""
    rollout, frames = ctx.traversal(axis)
    return traversal_hits_at_1(rollout.flatten(2), frames.flatten(2))
