"""Tests of benchmark.metrics: ranking (Hits@k, MRR, HH@1, TH@1) and equivariance (EE, DIE).

Hand-made latents with known answers, ideal and degenerate inputs, the ranking direction,
chunking, dtype agreement and the paper code's reference ranking. Seeded generators only.
"""
from __future__ import annotations

import math

import pytest
import torch

from benchmark.bench_ranking import make_latents, paper_ranks
from benchmark.metrics import (
    UnknownMetricError,
    applicable,
    check_metric_key,
    distance_invariance_error,
    equivariance_error,
    get_metric,
    hard_hits_at_1,
    hits_at_k,
    metric_for_key,
    mrr,
    ranking_metrics,
    ranks,
    register_metric,
    traversal_hits_at_1,
)
from generators.registry import get_env


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _brute_ranks(pred: torch.Tensor, target: torch.Tensor) -> list[int]:
    """rank_i = 1 + #{j : d(target_i, pred_j) < d(target_i, pred_i)}, by plain loops."""
    out = []
    for i in range(target.shape[0]):
        own = float(((target[i] - pred[i]) ** 2).sum())
        out.append(1 + sum(float(((target[i] - pred[j]) ** 2).sum()) < own
                           for j in range(pred.shape[0])))
    return out


# --------------------------------------------------------------------------- ranks, Hits, MRR
def test_perfect_predictions_give_100():
    target = torch.randn(500, 12, generator=_gen(1))
    r = ranks(target.clone(), target)
    assert torch.equal(r, torch.ones(500, dtype=torch.long))
    assert hits_at_k(r, 1) == 100.0
    assert mrr(r) == 100.0


def test_cyclic_permutation_gives_computed_ranks():
    # 1-D latents 0..N-1; prediction i is target i+1 (mod N): for targets 0..N-2 the
    # prediction equal to the target itself (distance 0) is strictly closer than the own one
    # (distance 1, tied with the other neighbour), so rank 2; target N-1's own prediction
    # is 0, the farthest of all, so rank N.
    n = 20
    target = torch.arange(n, dtype=torch.float32).unsqueeze(1)
    pred = target.roll(-1, dims=0)
    expected = torch.full((n,), 2, dtype=torch.long)
    expected[-1] = n
    r = ranks(pred, target)
    assert torch.equal(r, expected)
    assert r.tolist() == _brute_ranks(pred, target)
    assert hits_at_k(r, 1) == 0.0
    assert hits_at_k(r, 2) == pytest.approx(100.0 * (n - 1) / n)
    assert mrr(r) == pytest.approx(100.0 * ((n - 1) / 2 + 1 / n) / n)


def test_small_permutation_by_hand():
    target = torch.tensor([[0.0], [1.0], [2.0], [3.0], [4.0]])
    pred = target[torch.tensor([1, 0, 2, 4, 3])]  # values 1, 0, 2, 4, 3
    assert ranks(pred, target).tolist() == [2, 2, 1, 2, 2]


def test_all_identical_latents_are_hits_because_ties_count():
    z = torch.full((64, 5, 4), 0.3)  # per-object latents, flattened by the metric
    r = ranks(z, z.clone())
    assert torch.equal(r, torch.ones(64, dtype=torch.long))
    assert hits_at_k(r, 1) == 100.0 and mrr(r) == 100.0


def test_far_away_prediction_gets_rank_n():
    target = torch.randn(50, 8, generator=_gen(2))
    pred = target.clone()
    pred[17] = 1e3
    r = ranks(pred, target)
    assert r[17] == 50
    assert (r[torch.arange(50) != 17] == 1).all()
    assert hits_at_k(r, 1) == pytest.approx(98.0)


def test_direction_targets_ranked_around_predictions_differs():
    # for each target the other prediction is closer than its own (ranks 2, 2), but around
    # prediction 0 its own target is the nearest (reverse ranks 1, 2)
    target = torch.tensor([[0.0], [8.0]])
    pred = torch.tensor([[3.0], [2.0]])
    ours = ranks(pred, target)
    reverse = ranks(target, pred)  # "rank targets around each prediction"
    assert ours.tolist() == [2, 2]
    assert reverse.tolist() == [1, 2]
    assert hits_at_k(ours, 1) == 0.0 and hits_at_k(reverse, 1) == 50.0
    assert torch.equal(ours, paper_ranks(pred, target))


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 300, 1000])
def test_chunked_equals_unchunked(chunk):
    pred, target = make_latents(300, 6, seed=3, noise=0.7, copy_every=7)
    full = ranks(pred, target, chunk=300)
    assert torch.equal(ranks(pred, target, chunk=chunk), full)


def test_matches_paper_code_and_brute_force_with_ties():
    pred, target = make_latents(200, 5, seed=4, noise=1.0, copy_every=5)
    pred[50:60] = pred[40]  # a block of exact copies: many exact ties
    target[50:60] = target[40]
    r = ranks(pred, target, chunk=64)
    assert torch.equal(r, paper_ranks(pred, target))
    assert r.tolist() == _brute_ranks(pred, target)
    # targets 40, 50..59 are one point and predictions 40, 50..59 one other point: the 10
    # copies tie with each target's own prediction, so they do not worsen its rank
    assert (r[50:60] == r[40]).all()
    others = torch.ones(200, dtype=torch.bool)
    others[[40, *range(50, 60)]] = False
    d_own = (target[40] - pred[40]).square().sum()
    assert r[40] == 1 + int(((pred[others] - target[40]).square().sum(1) < d_own).sum())


def test_float64_and_float32_agree():
    pred, target = make_latents(400, 10, seed=5, noise=0.5)
    r32 = ranks(pred, target)
    r64 = ranks(pred.double(), target.double())
    assert torch.equal(r32, r64)
    assert r32.dtype == torch.long and r32.device == target.device
    assert ranks(pred.half(), target.half()).shape == (400,)  # low precision is upcast


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bounds_on_random_inputs(seed):
    g = _gen(seed)
    pred, target = torch.randn(128, 7, generator=g), torch.randn(128, 7, generator=g)
    r = ranks(pred, target)
    assert ((r >= 1) & (r <= 128)).all()
    hits = [hits_at_k(r, k) for k in (1, 5, 10, 128)]
    assert all(0.0 <= h <= 100.0 for h in hits)
    assert hits == sorted(hits) and hits[-1] == 100.0
    assert 100.0 / 128 <= mrr(r) <= 100.0
    assert hits_at_k(r, 1) <= mrr(r) <= hits_at_k(r, 128)


def test_ranking_metrics_dict():
    pred, target = make_latents(100, 4, seed=6)
    out = ranking_metrics(pred, target, ks=(1, 10))
    r = ranks(pred, target)
    assert out == {"hits@1": hits_at_k(r, 1), "hits@10": hits_at_k(r, 10), "mrr": mrr(r)}


def test_ranking_bad_inputs_raise_value_error():
    z = torch.zeros(4, 3)
    with pytest.raises(ValueError, match="same shape"):
        ranks(z, torch.zeros(5, 3))
    with pytest.raises(ValueError, match="NaN"):
        ranks(torch.full((4, 3), float("nan")), z)
    with pytest.raises(ValueError, match="chunk"):
        ranks(z, z, chunk=0)
    with pytest.raises(ValueError, match="at least 2 dims"):
        ranks(torch.zeros(4), torch.zeros(4))
    with pytest.raises(ValueError, match=">= 1"):
        hits_at_k(torch.tensor([0, 1]), 1)
    with pytest.raises(ValueError, match="k must"):
        hits_at_k(torch.tensor([1, 2]), 0)
    with pytest.raises(ValueError, match="integer"):
        mrr(torch.tensor([1.0, 2.0]))


# --------------------------------------------------------------------------------- HH@1
def test_hard_hits_ideal_degenerate_and_by_hand():
    g = _gen(7)
    target = torch.randn(40, 6, generator=g)
    negatives = target.unsqueeze(1) + 0.1 * torch.randn(40, 5, 6, generator=g)
    assert hard_hits_at_1(target.clone(), target, negatives) == 100.0
    # strict (SPEC section 5): every negative a copy of the target -> every sample ties, 0
    copies = target.unsqueeze(1).expand(40, 5, 6).clone()
    assert hard_hits_at_1(target + 0.3, target, copies) == 0.0
    # a collapsed model (one latent for every image) scores 0, not 100
    point = torch.zeros(40, 6)
    assert hard_hits_at_1(point, point, point.unsqueeze(1).expand(40, 5, 6)) == 0.0
    # by hand: 1-D, target 0, negatives at +-1; predictions 0.2 (hit), 0.7 (miss: closer to
    # +1), -0.5 (tie with -1: a miss), -0.49 (hit), 3 (miss)
    tgt = torch.zeros(5, 1)
    neg = torch.tensor([[[1.0], [-1.0]]]).expand(5, 2, 1)
    pred = torch.tensor([[0.2], [0.7], [-0.5], [-0.49], [3.0]])
    assert hard_hits_at_1(pred, tgt, neg) == 40.0
    assert hard_hits_at_1(pred, tgt, neg, chunk=1) == 40.0


def test_hard_hits_bad_shapes():
    with pytest.raises(ValueError, match="negatives"):
        hard_hits_at_1(torch.zeros(4, 3), torch.zeros(4, 3), torch.zeros(3, 2, 3))


# --------------------------------------------------------------------------------- TH@1
def _rotations_about_z(steps: int) -> torch.Tensor:
    ang = torch.arange(steps + 1, dtype=torch.float64) * (2 * math.pi / steps)
    c, s, o, i = torch.cos(ang), torch.sin(ang), torch.zeros_like(ang), torch.ones_like(ang)
    return torch.stack([c, -s, o, s, c, o, o, o, i], dim=1).reshape(-1, 3, 3)


def test_traversal_hits_by_hand():
    frames = _rotations_about_z(30)  # a full turn: frame 30 is the pose of frame 0
    # a perfect rollout: all 30 steps hit (step 30 ties with frame 0 up to round-off)
    assert traversal_hits_at_1(frames.clone(), frames, latent_dims=2) == 100.0
    exact = frames.clone()
    exact[30] = exact[0]  # identical encodings of the closing pose: a tie, still a hit
    assert traversal_hits_at_1(exact.clone(), exact, latent_dims=2) == 100.0
    # two misses: step 5 lags one step, step 10 runs one step ahead
    rollout = frames.clone()
    rollout[5], rollout[10] = frames[4], frames[11]
    assert traversal_hits_at_1(rollout, frames, latent_dims=2) == pytest.approx(100 * 28 / 30)
    # a rollout that never moves hits no step except the full-turn tie at step 30
    frozen = exact[:1].expand(31, 3, 3)
    assert traversal_hits_at_1(frozen, exact, latent_dims=2) == pytest.approx(100 / 30)
    # batched [M, S+1, D] = mean over all steps of all traversals
    flat_f, flat_r = frames.reshape(31, 9), rollout.reshape(31, 9)
    batched = traversal_hits_at_1(torch.stack([flat_r, flat_f, flat_f]),
                                  torch.stack([flat_f, flat_f, flat_f]))
    assert batched == pytest.approx(100 * 88 / 90)


def test_traversal_bad_shapes():
    with pytest.raises(ValueError, match="latent dims"):
        traversal_hits_at_1(torch.zeros(2, 3, 4, 5), torch.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match="at least one step"):
        traversal_hits_at_1(torch.zeros(1, 4), torch.zeros(1, 4))


# ---------------------------------------------------------------------------- EE and DIE
def test_equivariance_error_zero_for_equivariant_and_by_hand():
    g = _gen(8)
    imgs = torch.randn(16, 3, 9, 9, generator=g)
    # S = pointwise square (equivariant to pixel rotations), rho_V(g) = rot90
    emb = imgs.square()
    assert equivariance_error(torch.rot90(emb, 1, (2, 3)), torch.rot90(imgs, 1, (2, 3)).square(),
                              emb) == 0.0
    # S = diag(1, 2) is not C4-equivariant: x = e1 gives ||R A x - A R x|| = 1, ||A x|| = 1;
    # x = e2 gives 1 and 2, so EE = mean(1, 1) / mean(1, 2) = 2 / 3
    a = torch.diag(torch.tensor([1.0, 2.0]))
    rot = torch.tensor([[0.0, -1.0], [1.0, 0.0]])
    x = torch.eye(2)
    s, twin = x @ a.T, (x @ rot.T) @ a.T
    assert equivariance_error(s @ rot.T, twin, s) == pytest.approx(2 / 3)
    assert equivariance_error(s @ rot.T, twin, 1.5) == pytest.approx(2 / 3)
    assert equivariance_error(s @ rot.T, twin, s, chunk=1) == pytest.approx(2 / 3)


def test_equivariance_error_with_escnn_layers():
    from escnn import gspaces
    from escnn import nn as enn

    gs = gspaces.rot2dOnR2(N=4)
    in_type = enn.FieldType(gs, [gs.regular_repr] * 2)
    out_type = enn.FieldType(gs, [gs.regular_repr] * 3)
    conv = enn.R2Conv(in_type, out_type, kernel_size=3, padding=1)
    g = _gen(9)
    with torch.no_grad():
        conv.weights.copy_(torch.randn(conv.weights.shape, generator=g))
    conv.eval()
    plain = torch.nn.Conv2d(8, 12, 3, padding=1)
    with torch.no_grad():
        plain.weight.copy_(torch.randn(plain.weight.shape, generator=g))
        plain.bias.zero_()
    x = enn.GeometricTensor(torch.randn(8, 8, 11, 11, generator=g), in_type)
    elem = gs.fibergroup.element(1)
    with torch.no_grad():
        for net, tol in ((conv, 1e-5), (plain, None)):
            f = (lambda t: conv(t).tensor) if net is conv else (lambda t: plain(t.tensor))
            s = f(x)
            transformed = enn.GeometricTensor(s, out_type).transform(elem).tensor
            ee = equivariance_error(transformed, f(x.transform(elem)), s)
            if tol is not None:
                assert ee < tol  # escnn's C4 convolution is exactly equivariant
            else:
                assert ee > 0.5  # an unconstrained convolution is not


def test_distance_invariance_error_zero_and_by_hand():
    g = _gen(10)
    x1, x2 = torch.randn(32, 2, generator=g), torch.randn(32, 2, generator=g)
    rot = torch.tensor([[0.0, -1.0], [1.0, 0.0]])
    # f = identity, g acts by an isometry: distances are preserved
    assert distance_invariance_error(x1, x2, x1 @ rot.T, x2 @ rot.T) == pytest.approx(0.0, abs=1e-7)
    # f = diag(1, 2): sample 1 (x1 = e1, x2 = 0) gives |1 - 2| = 1, sample 2 (e2, e1) gives 0;
    # normaliser mean((1 + 0) / 2, (2 + 1) / 2) = 1, so DIE = 0.5
    a = torch.diag(torch.tensor([1.0, 2.0]))
    p1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    p2 = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    f1, f2 = p1 @ a.T, p2 @ a.T
    gf1, gf2 = (p1 @ rot.T) @ a.T, (p2 @ rot.T) @ a.T
    assert distance_invariance_error(f1, f2, gf1, gf2) == pytest.approx(0.5)
    assert distance_invariance_error(f1, f2, gf1, gf2, normalizer=2.0) == pytest.approx(0.25)
    assert distance_invariance_error(f1.double(), f2, gf1, gf2, chunk=1) == pytest.approx(0.5)


def test_equivariance_bad_inputs():
    z = torch.zeros(4, 3)
    with pytest.raises(ValueError, match="> 0"):
        equivariance_error(z, z, z)  # collapsed embedding: no relative error
    with pytest.raises(ValueError, match="same shape"):
        equivariance_error(z, torch.zeros(4, 2), 1.0)
    with pytest.raises(ValueError, match="normalizer"):
        equivariance_error(z, z, "1")
    with pytest.raises(ValueError, match="same shape"):
        distance_invariance_error(z, z, z, torch.zeros(5, 3))


# ------------------------------------------------------------------------------- registry
def test_registry_lookup_and_errors():
    assert get_metric("mrr").key == "mrr_{h}step" and get_metric("mrr").horizons == (1, 10)
    assert metric_for_key("hits@1_10step").name == "hits@1"
    assert metric_for_key("th@1_roll").name == "th@1"
    assert check_metric_key("ee_s") == "ee_s"
    for bad in ("hits@1_3step", "th@1_spin", "hits@1_10steps", "mrr"):
        with pytest.raises(UnknownMetricError) as info:
            check_metric_key(bad)
        assert isinstance(info.value, ValueError) and isinstance(info.value, KeyError)
        assert "\n" not in str(info.value) and bad in str(info.value)
    with pytest.raises(UnknownMetricError, match="hits@100x"):
        get_metric("hits@100x")
    with pytest.raises(ValueError, match="already registered"):
        register_metric("mrr", key="mrr2_{h}step", horizons=(1,))(lambda ctx, h: 0.0)
    with pytest.raises(ValueError, match="already"):
        register_metric("mrr_again", key="mrr_{h}step", horizons=(1,))(lambda ctx, h: 0.0)
    with pytest.raises(ValueError, match="unknown needs"):
        register_metric("x", key="x", needs=("pixels",))(lambda ctx: 0.0)


def test_applicable_metrics_follow_env_extras_and_horizons():
    """Which keys the evaluation writes, from the registry: horizons up to the file's steps,
    HH@1 and TH@1 only where the env declares (and the file carries) the extras."""
    def keys(env, steps, has=lambda extra: True):
        return sorted(key for _, key, _ in applicable(get_env(env), steps, has))

    grid = keys("blocks", 10)
    assert grid == sorted(["ee_s", "die_s", "hits@1_1step", "hits@10_1step", "mrr_1step",
                           "die_model_1step", "hits@1_10step", "hits@10_10step", "mrr_10step",
                           "die_model_10step"])
    teapot = keys("teapot", 1)
    assert teapot == sorted(["ee_s", "die_s", "hits@1_1step", "hits@10_1step", "mrr_1step",
                             "die_model_1step", "hh@1_1step", "th@1_yaw", "th@1_pitch",
                             "th@1_roll", "hh@1_1step_turn120", "hh@1_1step_turn60",
                             "hh@1_1step_turn30", "hh@1_1step_turn15"])
    bare = keys("teapot", 1, has=lambda extra: False)   # an eval file without extras
    assert not any(k.startswith(("hh@1", "th@1")) for k in bare)
    coarse = keys("teapot", 1, has=lambda extra: extra != "hard_negatives/turn30")
    assert "hh@1_1step" not in coarse and "hh@1_1step_turn15" in coarse


def test_bench_ranking_script_small(capsys):
    from benchmark.bench_ranking import main

    assert main(["--n", "300", "--dim", "8", "--repeat", "1"]) == 0  # 0: identical ranks
    assert "identical ranks: True" in capsys.readouterr().out


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    pred, target = make_latents(3000, 16, seed=11, noise=0.8, copy_every=3)
    r_cpu = ranks(pred, target)
    r_gpu = ranks(pred.cuda(), target.cuda(), chunk=512)
    assert r_gpu.device.type == "cuda"
    assert torch.equal(r_gpu.cpu(), r_cpu)
    neg = target.unsqueeze(1) + 0.1 * torch.randn(3000, 4, 16, generator=_gen(12))
    assert hard_hits_at_1(pred.cuda(), target.cuda(), neg.cuda()) == hard_hits_at_1(pred, target, neg)
    assert equivariance_error(pred.cuda(), target.cuda(), target.cuda()) == pytest.approx(
        equivariance_error(pred, target, target), rel=1e-6)
