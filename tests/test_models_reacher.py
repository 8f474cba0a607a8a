"""Reacher world models: sen (benchmark.models.reacher), full (baselines.full_reacher), none.

Equivariance is checked with escnn's own ``GeometricTensor.transform`` on all 8 elements of D4,
in float64, to 1e-5 relative to the output scale; the ``none`` modules must fail the same check.
"""
from __future__ import annotations

import contextlib
import importlib

import numpy as np
import pytest
import torch

from baselines.full_reacher import ReacherFull, SteerableDilatedEmbedding
from baselines.none import ReacherNone
from benchmark.models.escnn_layers import regular_type
from benchmark.models.reacher import (
    ReacherSEN, SteerableEncoder, SteerableTransition, dihedral_gspace, enn, quarter_turn,
    rotate_fields,
)
from benchmark.registry import build_model, count_parameters, get_method

GS = dihedral_gspace(4)
D4 = list(GS.fibergroup.elements)
TOL = 1e-5

# small widths keep every test fast; the default profile's geometry (4x4 stride-2 convs, S's
# channels one regular field, exactly equivariant dilated kernels); the paper's geometry is
# tested in tests/test_paper_profile.py
SMALL = {
    "sen": dict(embedding_hidden=(4,) * 6, encoder_hidden=(2,) * 5, transition_hidden=(3, 3),
                embedding_kernel=4, embedding_repr="regular"),
    "full": dict(embedding_hidden=(1,) * 6, embedding_fields=2, encoder_hidden=(2,) * 5,
                 transition_hidden=(3, 3), embedding_kernel=4, dilated_basis="equivariant"),
    "none": dict(embedding_hidden=(4,) * 6, encoder_hidden=(16,) * 5, transition_hidden=(16, 16),
                 embedding_kernel=4, embedding_repr="regular", latent_dim=32),
}
CLASSES = {"sen": ReacherSEN, "full": ReacherFull, "none": ReacherNone}


pytestmark = pytest.mark.usefixtures("one_thread")


class _Float64Torch:
    """``torch`` with ``float32`` (and ``float``) meaning float64, for escnn's basis code."""

    def __getattr__(self, name: str):
        return torch.float64 if name in ("float32", "float") else getattr(torch, name)


def _clear_escnn_basis_caches() -> None:
    """escnn memoises kernel bases (per gspace, per irrep pair, shared layer bases): drop them
    so that bases built in one precision are never reused in the other."""
    from escnn.kernels import wignereckart_solver
    from escnn.nn.modules.basismanager import basisexpansion_singleblock
    wignereckart_solver.WignerEckartBasis._cached_instances.clear()
    wignereckart_solver.RestrictedWignerEckartBasis._cached_instances.clear()
    basisexpansion_singleblock._stored_filters.clear()
    GS._irreps_intertwiners_basis_memory.clear()
    GS._fields_intertwiners_basis_memory.clear()
    GS._fields_intertwiners_basis_memory_fiber_basis.clear()


@contextlib.contextmanager
def float64_kernel_bases():
    """Build D4 escnn layers with their kernel bases sampled in float64.

    escnn 1.0.11 hard-codes float32 in its kernel bases (sample points, Clebsch-Gordan
    coefficients, changes of basis), so ``.double()`` of an escnn model keeps filters that
    are equivariant only to float32 rounding (about 5e-8 of their size); a float64 model
    built here is equivariant to float64 rounding.  (The default dtype is float64 inside, so
    the random initialisation differs from a float32 construction with the same seed.)"""
    names = ("escnn.kernels.steerable_basis", "escnn.kernels.wignereckart_solver",
             "escnn.nn.modules.basismanager.basisexpansion_singleblock")
    modules = [importlib.import_module(n) for n in names]
    dtype = torch.get_default_dtype()
    _clear_escnn_basis_caches()
    try:
        for m in modules:
            m.torch = _Float64Torch()
        torch.set_default_dtype(torch.float64)
        yield
    finally:
        for m in modules:
            m.torch = torch
        torch.set_default_dtype(dtype)
        _clear_escnn_basis_caches()


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).detach())


def _equivariance_error(fn, x: torch.Tensor, in_type: enn.FieldType,
                        out_type: enn.FieldType) -> float:
    """max over D4 of |fn(g.x) - g.fn(x)| / max|fn(x)|, outputs seen as [B, C, h, w] fields;
    an all-zero ``fn(x)`` (dead ReLUs) fails: it would pass any equivariance check."""
    def as_map(y: torch.Tensor) -> torch.Tensor:
        return y if y.dim() == 4 else y[:, :, None, None]
    y = as_map(fn(x))
    assert y.abs().max() > 0, "all-zero output: the equivariance check would be vacuous"
    errs = []
    for g in D4:
        gx = enn.GeometricTensor(x, in_type).transform(g).tensor
        gy = enn.GeometricTensor(y, out_type).transform(g).tensor
        errs.append(_rel_err(as_map(fn(gx)), gy))
    return max(errs)


# --- the group convention ------------------------------------------------------------------
def test_escnn_quarter_turn_is_torch_rot90():
    x = torch.randn(3, 2, 7, 7, generator=_gen())
    trivial = enn.FieldType(GS, 2 * [GS.trivial_repr])
    for k in range(4):
        y = enn.GeometricTensor(x, trivial).transform(quarter_turn(GS, k)).tensor
        assert torch.equal(y, torch.rot90(x, k, dims=(-2, -1))), k


def test_sen_act_on_embedding_is_rot90_and_regular_permutation():
    model = ReacherSEN(**SMALL["sen"])
    v = torch.randn(4, 8, 9, 9, generator=_gen(1))
    perm = np.rint(GS.regular_repr(quarter_turn(GS, 1))).astype(int)
    assert sorted(perm.sum(0)) == [1] * 8 and sorted(perm.sum(1)) == [1] * 8  # a permutation
    assert not np.array_equal(perm, np.eye(8, dtype=int))
    expected = torch.einsum("ij,bjhw->bihw", torch.from_numpy(perm).float(),
                            torch.rot90(v, 1, dims=(-2, -1)))
    assert torch.allclose(model.act_on_embedding(v, 1), expected, atol=1e-6)
    # per-sample g, a scalar tensor, and the group law rho(1) rho(3) = id
    g = torch.tensor([0, 1, 2, 3])
    out = model.act_on_embedding(v, g)
    for i in range(4):
        ref = rotate_fields(v[i:i + 1], int(g[i]), model.embedding_type)
        assert torch.equal(out[i:i + 1], ref)
    back = model.act_on_embedding(model.act_on_embedding(v, torch.tensor(1)), 3)
    assert torch.allclose(back, v, atol=1e-6)


def test_trivial_embedding_repr_is_plain_rot90():
    model = ReacherSEN(**{**SMALL["sen"], "embedding_repr": "trivial"})
    v = torch.randn(2, 8, 9, 9, generator=_gen(2))
    assert torch.equal(model.act_on_embedding(v, 2), torch.rot90(v, 2, dims=(-2, -1)))


# --- equivariance of every escnn module on all of D4 ------------------------------------------
@pytest.mark.parametrize("in_fields", ["sen", "full"])
def test_encoder_equivariant(in_fields):
    in_type = regular_type(GS, 1 if in_fields == "sen" else 2)
    enc = SteerableEncoder(in_type, hidden=(2, 3, 2, 2, 2), out_fields=2).double()
    x = torch.randn(3, in_type.size, 31, 31, generator=_gen(3), dtype=torch.float64)
    assert _equivariance_error(enc, x, in_type, enc.out_type) < TOL   # train mode (batch stats)
    enc(x)
    enc.eval()                                                         # running stats
    assert _equivariance_error(enc, x, in_type, enc.out_type) < TOL


def test_transition_equivariant_and_flip_negates_torque():
    t = SteerableTransition(GS, latent_dim=2, hidden=(3, 3)).double()
    z = torch.randn(5, 16, generator=_gen(4), dtype=torch.float64)
    a = torch.rand(5, 2, generator=_gen(5), dtype=torch.float64) * 2 - 1
    a_fields = t.encode_action(a)
    x = torch.cat([z, a_fields], 1)

    def fn(inp: torch.Tensor) -> torch.Tensor:
        inp = inp.flatten(1)
        return t(inp[:, :16], inp[:, 16:])

    assert _equivariance_error(fn, x[:, :, None, None], t.in_type, t.latent_type) < TOL
    for g in D4:
        ga = enn.GeometricTensor(a_fields[:, :, None, None], t.action_type).transform(g).tensor
        flip = g.to("int")[0] == 1
        assert torch.allclose(ga.flatten(1), t.encode_action(-a if flip else a))


def test_full_embedding_equivariant():
    s = SteerableDilatedEmbedding(GS, hidden=(1, 2, 1, 1, 1, 1), out_fields=2, kernel=4,
                                  dilated_basis="equivariant").double()
    x = torch.rand(2, 6, 64, 64, generator=_gen(6), dtype=torch.float64)
    assert _equivariance_error(s, x, s.in_type, s.out_type) < TOL


def test_full_model_encode_equivariant_to_pixel_rotations():
    """Composed S -> E of ``full``: rotating the image rotates the latent's regular fields.

    Built with float64 kernel bases: with escnn's float32 bases every layer is equivariant
    only to about 5e-8 of its activations, while in eval mode with fresh running statistics
    (identity batch norms) this small model's latent can be 1e-6 of them, so the error
    relative to the latent reached 2.7e-5 for some initialisations (docs/performance.md).
    Many initialisations give an all-zero latent (dead ReLUs), which would pass vacuously."""
    with torch.random.fork_rng(devices=[]), float64_kernel_bases():
        torch.manual_seed(0)
        model = ReacherFull(**SMALL["full"]).double().eval()
    x = torch.rand(2, 6, 64, 64, generator=_gen(7), dtype=torch.float64)
    in_type = model.embedding.in_type
    assert model.encode(x).abs().max() > 1e-6
    assert _equivariance_error(model.encode, x, in_type, model.encoder.out_type) < 1e-10


def test_none_modules_are_not_equivariant():
    model = ReacherNone(**SMALL["none"]).double()
    emb_type = model.embedding_type
    z_type = regular_type(GS, 4)   # the latent, declared as SEN's 4 regular fields
    x = torch.randn(3, 8, 31, 31, generator=_gen(8), dtype=torch.float64)
    assert _equivariance_error(model.encoder, x, emb_type, z_type) > 1e-2
    z = torch.randn(3, 32, generator=_gen(9), dtype=torch.float64)
    a = torch.randn(3, 2, generator=_gen(10), dtype=torch.float64)
    fn = lambda zz: model.transition(zz.flatten(1), a)  # noqa: E731
    assert _equivariance_error(fn, z[:, :, None, None], z_type, z_type) > 1e-2
    # SEN's S is a plain CNN too: nothing makes it equivariant before training
    sen = ReacherSEN(**SMALL["sen"]).double()
    obs = torch.rand(2, 6, 64, 64, generator=_gen(11), dtype=torch.float64)
    err = _rel_err(sen.embed(torch.rot90(obs, 1, dims=(-2, -1))),
                   sen.act_on_embedding(sen.embed(obs), 1))
    assert err > 1e-2


# --- training ---------------------------------------------------------------------------------
def _batch(b: int = 6, size: int = 64):
    g = _gen(12)
    obs = torch.rand(b, 6, size, size, generator=g)
    next_obs = (obs + 0.1 * torch.rand(b, 6, size, size, generator=g)).clamp(0, 1)
    action = torch.rand(b, 2, generator=g) * 2 - 1
    return obs, action, next_obs


@pytest.mark.parametrize("method", ["sen", "full", "none"])
def test_loss_gradients_and_training(method, adam_steps, check_gradients):
    torch.manual_seed(0)  # parameter init only (tests may seed globally; library code never does)
    model = CLASSES[method](**SMALL[method])
    obs, action, next_obs = _batch()
    loss, logs = model.loss(obs, action, next_obs, _gen(0))
    assert set(logs) == {"positive", "negative"}
    check_gradients(model, loss)
    losses, final = adam_steps(model, (obs, action, next_obs), 0, 6)
    assert final < losses[0]


@pytest.mark.parametrize("method", ["sen", "full", "none"])
def test_shapes_describe_and_registry(method):
    model = build_model(method, "reacher", **{k: list(v) if isinstance(v, tuple) else v
                                              for k, v in SMALL[method].items()})
    assert isinstance(model, CLASSES[method]) and get_method(method, "reacher") is CLASSES[method]
    obs = torch.rand(2, 6, 128, 128, generator=_gen(13))
    v = model.embed(obs)
    assert v.shape[-2:] == (31, 31)
    z = model.encode_embedding(v)
    assert z.dim() == 2 and z.shape[0] == 2
    assert model.transition(z, torch.zeros(2, 2)).shape == z.shape
    assert model.act_on_embedding(v, torch.tensor([1, 3])).shape == v.shape
    assert {"embedding", "latent", "action", "group"} <= set(model.describe())


def test_bad_inputs_raise_value_error():
    model = ReacherSEN(**SMALL["sen"])
    with pytest.raises(ValueError):
        model.embed(torch.rand(2, 3, 64, 64))           # wrong channels
    with pytest.raises(ValueError):
        model.embed(torch.rand(2, 6, 60, 60))           # not a multiple of 8
    with pytest.raises(ValueError):
        model.transition(torch.zeros(2, 32), torch.zeros(2, 3))
    with pytest.raises(ValueError):
        model.act_on_embedding(torch.zeros(3, 8, 9, 9), torch.tensor([0, 1]))
    with pytest.raises(ValueError):
        model.loss(*_batch(2)[:2], torch.rand(3, 6, 64, 64))
    with pytest.raises(ValueError):
        ReacherSEN(embedding_repr="irrep")
    with pytest.raises(ValueError):
        ReacherSEN(encoder_hidden=(8, 8))
    with pytest.raises(ValueError):
        ReacherSEN(embedding_channels=6, embedding_repr="regular")  # not a whole regular field
    with pytest.raises(ValueError):
        dihedral_gspace(6)


def test_state_dict_round_trip_across_train_and_eval_modes():
    torch.manual_seed(1)
    src = ReacherSEN(**SMALL["sen"]).eval()
    state = src.state_dict()
    assert not any(k.endswith((".filter", ".expanded_bias")) for k in state)
    obs = torch.rand(2, 6, 64, 64, generator=_gen(14))
    for mode_eval in (False, True):
        torch.manual_seed(2)
        dst = ReacherSEN(**SMALL["sen"])
        dst.train(not mode_eval)
        dst.load_state_dict(state)      # strict
        assert dst.training == (not mode_eval)
        dst.eval()
        assert torch.allclose(dst.encode(obs), src.encode(obs))


def test_inner_batch_norm_relu_matches_escnn_modules():
    from benchmark.models.escnn_layers import InnerBatchNormReLU
    t = regular_type(GS, 3)
    ours, ref_bn, ref_relu = InnerBatchNormReLU(t), enn.InnerBatchNorm(t), enn.ReLU(t)
    assert ours.state_dict().keys() == ref_bn.state_dict().keys()
    x = torch.randn(4, 24, 5, 5, generator=_gen(15)) * 3 + 1
    for _ in range(2):   # train mode, then eval mode with the running statistics
        out = ours(enn.GeometricTensor(x, t)).tensor
        ref = ref_relu(ref_bn(enn.GeometricTensor(x, t))).tensor
        assert torch.allclose(out, ref, atol=1e-5)
        ours.eval(), ref_bn.eval()


def test_models_do_not_share_escnn_basis_buffers():
    a, b = ReacherSEN(**SMALL["sen"]), ReacherSEN(**SMALL["sen"])
    a.double()
    z = b.encode(torch.rand(2, 6, 64, 64, generator=_gen(16)))   # still float32
    assert z.dtype == torch.float32


def test_none_encoder_runs_channels_last_with_a_sequential_state_dict():
    """None's E (a ChannelsLastSequential: channels_last convolutions, the paper widths'
    speed) keeps the keys of an ``nn.Sequential`` and computes what one computes."""
    from torch import nn

    from baselines.none import plain_encoder
    from benchmark.models.batchnorm import ChannelsLastSequential

    torch.manual_seed(0)
    enc = plain_encoder(8, (12,) * 5, 6).double()
    assert isinstance(enc, ChannelsLastSequential)
    plain = nn.Sequential(*enc)   # the same layers, run as a plain nn.Sequential
    assert list(plain.state_dict()) == list(enc.state_dict())
    x = torch.randn(3, 8, 31, 31, dtype=torch.float64)
    seen = []
    hook = enc[0].register_forward_pre_hook(lambda m, a: seen.append(a[0].is_contiguous(
        memory_format=torch.channels_last)))
    y = enc(x)
    hook.remove()
    assert seen == [True]
    torch.testing.assert_close(y, plain(x.contiguous()), rtol=1e-10, atol=1e-10)
