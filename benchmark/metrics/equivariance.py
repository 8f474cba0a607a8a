"""Equivariance metrics: EE (equivariance error) and DIE (distance invariance error), SPEC 5.

Both compare a quantity computed on the eval set with the same quantity on its rotated
twin (the transition ``(g.s, g.a, g.s')`` stored under the same index). Inputs are
``[N, ...]`` tensors whose trailing dims are flattened to one vector per sample; norms are
Euclidean norms of those vectors. Both metrics are relative (divided by a mean latent
norm), so they do not change when a model scales its latent space.

The computation runs in chunks of samples on the inputs' device, so large embeddings
(e.g. object masks ``[N, 5, 50, 50]``) need no extra full-size copy.
"""
from __future__ import annotations

import torch

from benchmark.metrics.ranking import _check_chunk, _common, flatten_latents

__all__ = ["equivariance_error", "distance_invariance_error", "mean_norm"]


def _check_normalizer(value: float, what: str) -> float:
    if not value > 0.0 or value != value or value == float("inf"):
        raise ValueError(f"{what} must be finite and > 0, got {value!r} (collapsed latents?)")
    return float(value)


@torch.no_grad()
def mean_norm(x: torch.Tensor, chunk: int = 1024) -> float:
    """Mean over samples of ``||x[i]||`` (trailing dims flattened), in float64."""
    _check_chunk(chunk)
    x = flatten_latents(x, "x")
    total = 0.0
    for start in range(0, x.shape[0], chunk):
        total += float(torch.linalg.vector_norm(x[start:start + chunk].double(), dim=1).sum())
    return total / x.shape[0]


def _resolve_normalizer(normalizer: torch.Tensor | float, n: int, chunk: int) -> float:
    if isinstance(normalizer, torch.Tensor):
        if normalizer.dim() == 0:
            return _check_normalizer(float(normalizer), "normalizer")
        if normalizer.shape[0] != n:
            raise ValueError(f"normalizer tensor must have N={n} samples, got shape "
                             f"{tuple(normalizer.shape)}")
        return _check_normalizer(mean_norm(normalizer, chunk), "mean norm of the normalizer tensor")
    if isinstance(normalizer, bool) or not isinstance(normalizer, (int, float)):
        raise ValueError(f"normalizer must be a tensor or a positive number, got "
                         f"{type(normalizer).__name__}")
    return _check_normalizer(float(normalizer), "normalizer")


@torch.no_grad()
def equivariance_error(transformed_embedding: torch.Tensor, twin_embedding: torch.Tensor,
                       normalizer: torch.Tensor | float, chunk: int = 1024) -> float:
    """EE = mean_i ||rho_V(g_i) S(s_i) - S(g_i.s_i)|| / mean_i ||S(s_i)||.

    Args:
        transformed_embedding: ``rho_V(g) S(s)``, the embedding of the eval observation
            moved by the twin's group element with the model's known action on V, ``[N, ...]``.
        twin_embedding: ``S(g.s)``, the embedding of the rotated twin's observation, same shape.
        normalizer: either ``S(s)`` itself (a tensor ``[N, ...]``: its mean norm is used)
            or the normaliser as a positive number.
        chunk: samples processed at once.

    Returns:
        A non-negative float; 0 for an exactly equivariant embedding.
    """
    _check_chunk(chunk)
    a = flatten_latents(transformed_embedding, "transformed_embedding")
    b = flatten_latents(twin_embedding, "twin_embedding")
    a, b = _common(a, b, "transformed_embedding", "twin_embedding")
    n = a.shape[0]
    denom = _resolve_normalizer(normalizer, n, chunk)
    total = 0.0
    for start in range(0, n, chunk):
        diff = a[start:start + chunk].double() - b[start:start + chunk].double()
        total += float(torch.linalg.vector_norm(diff, dim=1).sum())
    return total / n / denom


@torch.no_grad()
def distance_invariance_error(f1: torch.Tensor, f2: torch.Tensor, gf1: torch.Tensor,
                              gf2: torch.Tensor, normalizer: torch.Tensor | float | None = None,
                              chunk: int = 1024) -> float:
    """DIE = mean_i | ||f1_i - f2_i|| - ||gf1_i - gf2_i|| | / normaliser.

    An equivariant map acting by isometries keeps distances: ``||f(g.s1) - f(g.s2)||`` equals
    ``||f(s1) - f(s2)||``. Uses of it in the benchmark:

    * ``f = S``: ``f1 = S(s1)``, ``f2 = S(s2)`` for pairs of eval observations,
      ``gf1 = S(g.s1)``, ``gf2 = S(g.s2)`` from the rotated twin (same g for a pair);
    * the whole model, h steps: ``f1`` = predicted next latent of sample i, ``f2`` = true
      next latent of a random other sample j, ``gf1`` / ``gf2`` the same for the twin.

    Args:
        f1, f2, gf1, gf2: ``[N, ...]`` tensors of one shape.
        normalizer: default ``None`` = the mean latent norm ``mean_i (||f1_i|| + ||f2_i||) / 2``
            (the norms of the untransformed latents); or a tensor whose mean norm is used,
            or a positive number.
        chunk: samples processed at once.

    Returns:
        A non-negative float; 0 for a distance-preserving equivariant map.
    """
    _check_chunk(chunk)
    f1 = flatten_latents(f1, "f1")
    f2 = flatten_latents(f2, "f2")
    gf1 = flatten_latents(gf1, "gf1")
    gf2 = flatten_latents(gf2, "gf2")
    f1, f2 = _common(f1, f2, "f1", "f2")
    gf1, gf2 = _common(gf1, gf2, "gf1", "gf2")
    f1, gf1 = _common(f1, gf1, "f1", "gf1")
    n = f1.shape[0]
    if normalizer is None:
        denom = _check_normalizer(0.5 * (mean_norm(f1, chunk) + mean_norm(f2, chunk)),
                                  "mean latent norm of f1 and f2")
    else:
        denom = _resolve_normalizer(normalizer, n, chunk)
    total = 0.0
    for start in range(0, n, chunk):
        sl = slice(start, start + chunk)
        d = torch.linalg.vector_norm(f1[sl].double() - f2[sl].double(), dim=1)
        gd = torch.linalg.vector_norm(gf1[sl].double() - gf2[sl].double(), dim=1)
        total += float((d - gd).abs().sum())
    return total / n / denom
