"""Ranking metrics of world models: Hits@k, MRR, HH@1 and TH@1 (SPEC section 5).

All functions are pure, vectorised functions of torch tensors. They run on the device of
their inputs and process targets in chunks, so that N = 10000 latents need a few tens of
megabytes instead of the N x N distance matrix (and its N x (N + 1) argsort) of the
paper code. Latents of any shape ``[N, ...]`` are flattened to ``[N, D]`` and compared
with the Euclidean distance.

Distances are computed with the *direct* formula (``torch.cdist`` with
``compute_mode="donot_use_mm_for_euclid_dist"``, as the paper code does, or an explicit
sum of squared differences), never with the expanded ``|x|^2 + |y|^2 - 2 x.y``: the latter's round-off
would make the true candidate's distance differ from that of an exact copy, so exact
copies would not tie. Every distance that is compared, the true candidate's included,
comes out of the same formula, so exact copies tie exactly, and ties always go to the
right candidate.

Non-finite latents (a diverged model) raise :class:`ValueError`: a NaN distance compares
false with everything and would silently count as a hit.
"""
from __future__ import annotations

import torch

__all__ = [
    "flatten_latents",
    "ranks",
    "hits_at_k",
    "mrr",
    "ranking_metrics",
    "hard_hits_at_1",
    "traversal_hits_at_1",
]

# low-precision floats are compared in float32 (cdist has no CPU half kernel)
_LOW_PRECISION = (torch.float16, torch.bfloat16)


def _as_float(x: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.is_complex():
        raise ValueError(f"{name} must be real, got dtype {x.dtype}")
    if not x.is_floating_point() or x.dtype in _LOW_PRECISION:
        x = x.float()
    return x


def _check_finite(x: torch.Tensor, name: str) -> None:
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinite values (diverged model?)")


def flatten_latents(x: torch.Tensor, name: str = "latents", lead: int = 1) -> torch.Tensor:
    """``[*lead dims, ...] -> [*lead dims, D]``: flatten trailing dims, check and cast.

    Integer and half-precision inputs are cast to float32; float64 stays float64.
    Raises ValueError for non-tensors, too few dimensions, empty or non-finite inputs.
    """
    x = _as_float(x, name)
    if x.dim() < lead + 1:
        raise ValueError(f"{name} must have at least {lead + 1} dims [*, D], got shape "
                         f"{tuple(x.shape)}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)})")
    x = x.reshape(*x.shape[:lead], -1)
    _check_finite(x, name)
    return x


def _common(a: torch.Tensor, b: torch.Tensor, na: str, nb: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Check same shape and device, promote both to a common float dtype."""
    if a.shape != b.shape:
        raise ValueError(f"{na} and {nb} must have the same shape, got {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    if a.device != b.device:
        raise ValueError(f"{na} and {nb} must be on the same device, got {a.device} and "
                         f"{b.device}")
    dtype = torch.promote_types(a.dtype, b.dtype)
    return a.to(dtype), b.to(dtype)


def _check_chunk(chunk: int) -> None:
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be a positive int, got {chunk!r}")


@torch.no_grad()
def ranks(pred: torch.Tensor, target: torch.Tensor, chunk: int = 1024) -> torch.Tensor:
    """Rank of the right prediction for each target, C-SWM / paper-code direction.

    For each encoded true next state ``target[i]`` all N predictions are ranked by their
    L2 distance to ``target[i]``; the right candidate is ``pred[i]`` and ties go to it::

        rank[i] = 1 + #{j : ||target[i] - pred[j]|| < ||target[i] - pred[i]||}

    (a count of strictly closer predictions, no sort). This equals the position of the
    right candidate in the paper code's stable sort of the distance row augmented with
    the diagonal in front. Note the direction: ranking *targets* around each prediction
    (``ranks(target, pred)``) is a different metric and can give very different numbers.

    Args:
        pred: predicted latents ``[N, ...]``.
        target: encoded true latents ``[N, ...]``, same shape and device.
        chunk: number of targets processed at once; the working memory is about
            ``9 * chunk * N`` bytes in float32 (distances, comparison mask and its count),
            e.g. 90 MB for chunk 1024 and N = 10000, instead of the paper code's 2.3 GB.

    Returns:
        int64 tensor ``[N]`` of ranks in ``1..N``, on the inputs' device.
    """
    _check_chunk(chunk)
    pred = flatten_latents(pred, "pred")
    target = flatten_latents(target, "target")
    pred, target = _common(pred, target, "pred", "target")
    n = target.shape[0]
    out = torch.empty(n, dtype=torch.long, device=target.device)
    pred = pred.contiguous()
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        # [c, N] squared distances of targets start..stop-1 to all predictions, exactly as
        # the paper code computes them (direct formula, then squared), so ranks are identical
        dist = torch.cdist(target[start:stop], pred,
                           compute_mode="donot_use_mm_for_euclid_dist").pow_(2)
        own = dist.diagonal(offset=start).unsqueeze(1)  # the same formula as the others
        # int32 counts (N < 2^31): summing a bool mask into int64 is twice as slow
        out[start:stop] = (dist < own).sum(dim=1, dtype=torch.int32) + 1
        del dist, own  # free the chunk before the next one is allocated
    return out


def _check_ranks(r: torch.Tensor) -> torch.Tensor:
    if not isinstance(r, torch.Tensor):
        raise ValueError(f"ranks must be a torch.Tensor, got {type(r).__name__}")
    if r.dim() != 1 or r.numel() == 0:
        raise ValueError(f"ranks must be a non-empty 1-D tensor, got shape {tuple(r.shape)}")
    if r.is_floating_point() or r.is_complex() or r.dtype == torch.bool:
        raise ValueError(f"ranks must be an integer tensor, got dtype {r.dtype}")
    if bool((r < 1).any()):
        raise ValueError("ranks must be >= 1")
    return r


def hits_at_k(ranks: torch.Tensor, k: int) -> float:
    """Hits@k in percent: share of targets whose own prediction has rank <= k."""
    r = _check_ranks(ranks)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    return 100.0 * float((r <= k).double().mean())


def mrr(ranks: torch.Tensor) -> float:
    """Mean reciprocal rank in percent: ``100 * mean(1 / rank)``."""
    r = _check_ranks(ranks)
    return 100.0 * float((1.0 / r.double()).mean())


def ranking_metrics(pred: torch.Tensor, target: torch.Tensor, ks: tuple[int, ...] = (1, 5, 10),
                    chunk: int = 1024) -> dict[str, float]:
    """``{"hits@1": ..., "hits@5": ..., "hits@10": ..., "mrr": ...}`` (percent) from one ranking."""
    r = ranks(pred, target, chunk=chunk)
    out = {f"hits@{k}": hits_at_k(r, k) for k in ks}
    out["mrr"] = mrr(r)
    return out


def _sq_dist_to_candidates(query: torch.Tensor, cands: torch.Tensor) -> torch.Tensor:
    """``query [B, D]``, ``cands [B, K, D]`` -> ``[B, K]`` squared distances, direct formula."""
    return (cands - query.unsqueeze(1)).square().sum(dim=-1)


@torch.no_grad()
def hard_hits_at_1(pred: torch.Tensor, target: torch.Tensor, negatives: torch.Tensor,
                   chunk: int = 1024) -> float:
    """HH@1 in percent: hits among the true next state and hard negatives close to it.

    Sample i is a hit when the prediction ``pred[i]`` is *strictly* closer to ``target[i]``
    than to every negative in ``negatives[i]`` (SPEC section 5: a tie is a miss, so a
    collapsed model that maps everything to one point scores 0). Direction: distances are measured from the prediction to each candidate,
    the natural reading here because every sample has its own candidate set (there is no
    shared pool of predictions to rank around a target, as in :func:`ranks`).

    Args:
        pred: predicted latents ``[N, ...]``.
        target: encoded true next states ``[N, ...]``.
        negatives: encoded hard negatives ``[N, K, ...]`` (K >= 1 per sample).
        chunk: samples processed at once.
    """
    _check_chunk(chunk)
    pred = flatten_latents(pred, "pred")
    target = flatten_latents(target, "target")
    pred, target = _common(pred, target, "pred", "target")
    negatives = flatten_latents(negatives, "negatives", lead=2)
    n, d = target.shape
    if negatives.shape[0] != n or negatives.shape[2] != d:
        raise ValueError(f"negatives must be [N={n}, K, ...] with {d} features per candidate, "
                         f"got shape {tuple(negatives.shape)}")
    if negatives.device != target.device:
        raise ValueError(f"negatives must be on {target.device}, got {negatives.device}")
    negatives = negatives.to(target.dtype)
    hits = 0
    for start in range(0, n, chunk):
        sl = slice(start, min(start + chunk, n))
        cands = torch.cat([target[sl].unsqueeze(1), negatives[sl]], dim=1)  # [c, 1 + K, D]
        dist = _sq_dist_to_candidates(pred[sl], cands)
        hits += int((dist[:, 0] < dist[:, 1:].min(dim=1).values).sum())
    return 100.0 * hits / n


@torch.no_grad()
def traversal_hits_at_1(rollout: torch.Tensor, frames: torch.Tensor, latent_dims: int = 1) -> float:
    """TH@1 in percent, the benchmark's own definition (the paper gives none).

    A traversal is a start pose followed by S steps of one fixed rotation (teapot: 30 steps
    of 2 pi / 30 about the yaw, pitch or roll axis). ``frames[t]`` is the encoding of the
    rendered pose after t steps; ``rollout[t]`` is the latent rolled forward t steps by the
    model from ``frames[0]`` (so ``rollout[0]`` is the encoded start and is not scored).
    Step t (t = 1..S) is a hit when the nearest neighbour of ``rollout[t]`` among the
    S + 1 encoded frames ``frames[0..S]`` of the same traversal is ``frames[t]`` (ties go
    to the right frame, so a traversal that closes a full turn, where frame S shows the
    same pose as frame 0, is not penalised for identical encodings). The result is the
    percentage of hits over all steps of all traversals, hence a multiple of 100 / (M S).

    Args:
        rollout: ``[S + 1, *latent]`` (one traversal) or ``[M, S + 1, *latent]``.
        frames: same shape as ``rollout``.
        latent_dims: number of trailing dims forming one latent (1 for ``[.., D]``,
            2 for teapot rotation matrices ``[.., 3, 3]``); they are flattened.
    """
    if isinstance(latent_dims, bool) or not isinstance(latent_dims, int) or latent_dims < 1:
        raise ValueError(f"latent_dims must be a positive int, got {latent_dims!r}")
    tensors = []
    for x, name in ((rollout, "rollout"), (frames, "frames")):
        x = _as_float(x, name)
        lead = x.dim() - latent_dims
        if lead not in (1, 2):
            raise ValueError(f"{name} must be [S+1, *latent] or [M, S+1, *latent] with "
                             f"{latent_dims} latent dims, got shape {tuple(x.shape)}")
        if lead == 1:
            x = x.unsqueeze(0)
        tensors.append(flatten_latents(x, name, lead=2))
    rollout, frames = _common(tensors[0], tensors[1], "rollout", "frames")
    m, s1, _ = rollout.shape
    if s1 < 2:
        raise ValueError(f"a traversal needs at least one step (S + 1 >= 2 frames), got {s1}")
    hits = 0
    for i in range(m):  # M is small (yaw, pitch, roll); memory stays at (S + 1)^2 * D
        # [S + 1 queries, S + 1 candidates] squared distances, direct formula
        dist = (rollout[i].unsqueeze(1) - frames[i].unsqueeze(0)).square().sum(dim=-1)
        own = dist.diagonal()
        hits += int((own[1:] <= dist[1:].min(dim=1).values).sum())
    return 100.0 * hits / (m * (s1 - 1))
