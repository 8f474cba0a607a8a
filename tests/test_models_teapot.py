"""Teapot world models: sen (benchmark.models.teapot), none, and the Homeomorphic VAE."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from baselines.hvae import LOG_HAAR_VOLUME, TeapotHVAE, so3_log_density
from baselines.none import TeapotNone
from benchmark.models.teapot import TeapotSEN, exp_so3, gram_schmidt, hat
from benchmark.registry import build_model, count_parameters, get_method

SMALL = {
    "sen": dict(conv_channels=(4, 4, 8, 8), fc_hidden=(16, 16)),
    "none": dict(conv_channels=(4, 4, 8, 8), fc_hidden=(16, 16), transition_hidden=(16, 16)),
    "hvae": dict(encoder_channels=(4, 4, 8, 8), feature_dim=16, decoder_hidden=(16, 16),
                 decoder_channels=8),
}
CLASSES = {"sen": TeapotSEN, "none": TeapotNone, "hvae": TeapotHVAE}


pytestmark = pytest.mark.usefixtures("one_thread")


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _rotations(n: int, seed: int, dtype=torch.float64) -> torch.Tensor:
    rot = Rotation.random(n, random_state=np.random.default_rng(seed))
    return torch.from_numpy(rot.as_matrix()).to(dtype)


# --- SO(3) helpers ------------------------------------------------------------------------------
def test_gram_schmidt_gives_proper_rotations_and_is_equivariant():
    g = _gen(0)
    u = torch.randn(500, 3, generator=g, dtype=torch.float64)
    v = torch.randn(500, 3, generator=g, dtype=torch.float64)
    r = gram_schmidt(u, v)
    eye = torch.eye(3, dtype=torch.float64)
    assert torch.allclose(r.transpose(-1, -2) @ r, eye.expand_as(r), atol=1e-12)
    assert torch.allclose(torch.linalg.det(r), torch.ones(500, dtype=torch.float64))
    assert torch.allclose(r[..., 0], u / u.norm(dim=-1, keepdim=True))      # e1 along u
    assert (torch.linalg.cross(r[..., 0], r[..., 1]) * torch.linalg.cross(u, v)).sum(-1).gt(0).all()
    rot = _rotations(500, 1)
    gu, gv = (rot @ u[..., None])[..., 0], (rot @ v[..., None])[..., 0]
    assert (gram_schmidt(gu, gv) - rot @ r).abs().max() < 1e-12
    # float32, as used in training
    r32 = gram_schmidt(u.float(), v.float())
    assert (gram_schmidt(gu.float(), gv.float()) - rot.float() @ r32).abs().max() < 1e-5


def test_exp_map_matches_scipy_and_hat_is_cross_product():
    rng = np.random.default_rng(2)
    axes = rng.normal(size=(400, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    special = [0, 1e-9, 1e-5, 1e-4 * 0.99, 1e-4, math.pi, 2 * math.pi, 3.0] * 12 + [5.0] * 4
    angles = np.concatenate([rng.uniform(0, math.pi, 300), special])
    w = axes * angles[:, None]
    ours = exp_so3(torch.from_numpy(w))
    ref = torch.from_numpy(Rotation.from_rotvec(w).as_matrix())
    assert (ours - ref).abs().max() < 1e-12
    ours32 = exp_so3(torch.from_numpy(w).float())
    assert (ours32.double() - ref).abs().max() < 1e-5
    x = torch.from_numpy(rng.normal(size=(400, 3)))
    wt = torch.from_numpy(w)
    assert torch.allclose((hat(wt) @ x[..., None])[..., 0], torch.linalg.cross(wt, x))
    # differentiable at 0
    w0 = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    exp_so3(w0).sum().backward()
    assert torch.isfinite(w0.grad).all()


# --- equivariance -------------------------------------------------------------------------------
def test_sen_transition_equivariant_and_none_not():
    z, a, g = _rotations(64, 3), _rotations(64, 4), _rotations(64, 5)
    ga = g @ a @ g.transpose(-1, -2)
    sen = TeapotSEN(**SMALL["sen"])
    assert (sen.transition(g @ z, ga) - g @ sen.transition(z, a)).abs().max() < 1e-5
    assert (sen.transition(g @ z, ga) - g @ sen.transition(z, a)).abs().max() < 1e-12
    none = TeapotNone(**SMALL["none"]).double()
    err = (none.transition(g @ z, ga) - g @ none.transition(z, a)).abs().max()
    assert err > 1e-2


def test_sen_embedding_is_a_rotation_and_group_acts_by_left_multiplication():
    model = TeapotSEN(**SMALL["sen"]).eval()
    obs = torch.rand(5, 1, 64, 64, generator=_gen(6))
    r = model.embed(obs)
    assert r.shape == (5, 3, 3)
    assert torch.allclose(r.transpose(-1, -2) @ r, torch.eye(3).expand(5, 3, 3), atol=1e-5)
    assert torch.allclose(torch.linalg.det(r), torch.ones(5), atol=1e-5)
    g = _rotations(5, 7, torch.float32)
    assert torch.allclose(model.act_on_embedding(r, g), g @ r)
    assert model.encode_embedding(r) is r
    # nothing makes an untrained S equivariant: rotating the image is not g @ S
    rotated = model.embed(torch.rot90(obs, 1, dims=(-2, -1)))
    err = (rotated - model.act_on_embedding(r, g)).abs().max()
    assert err > 1e-2


# --- Homeomorphic VAE density ------------------------------------------------------------------
def _haar_integral(sigma: list[float], k_max: int, n: int = 60000) -> tuple[float, float]:
    """Monte Carlo integral over SO(3) (Haar samples) of the pushed-forward density."""
    v = torch.from_numpy(Rotation.random(n, random_state=np.random.default_rng(8)).as_rotvec())
    s = torch.tensor(sigma, dtype=torch.float64).expand_as(v)
    q = (so3_log_density(v, s, k_max) + LOG_HAAR_VOLUME).exp()   # density / uniform density
    return float(q.mean()), float(q.std() / math.sqrt(n))


@pytest.mark.parametrize("sigma", [[0.4, 0.7, 1.0], [1.5, 1.5, 1.5]])
def test_hvae_density_integrates_to_one_over_so3(sigma):
    mean, se = _haar_integral(sigma, k_max=2)
    assert abs(mean - 1) < max(4 * se, 0.01), (mean, se)


def test_hvae_density_needs_the_preimage_sum_and_volume_factor():
    # without the 2 pi k preimages, a wide Gaussian loses the mass wrapped around SO(3)
    mean, se = _haar_integral([1.5, 1.5, 1.5], k_max=0)
    assert mean < 0.9
    # without the volume factor theta^2 / (2 - 2 cos theta) the density does not integrate to 1
    v = torch.from_numpy(Rotation.random(60000, random_state=np.random.default_rng(9)).as_rotvec())
    s = torch.ones_like(v)
    log_gauss = (-0.5 * v ** 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
    plain = float((log_gauss + LOG_HAAR_VOLUME).exp().mean())
    assert abs(plain - 1) > 0.1
    assert abs(float((so3_log_density(v, s, 2) + LOG_HAAR_VOLUME).exp().mean()) - 1) < 0.02


def test_hvae_kl_of_a_narrow_posterior_matches_the_gaussian_kl():
    """For small sigma the exponential map is nearly flat: KL = -H(N(0, sigma^2)) + log(8 pi^2)."""
    model = TeapotHVAE(n_samples=4000, **SMALL["hvae"])
    sigma = torch.tensor([[0.02, 0.05, 0.03]], dtype=torch.float64)
    mu = torch.eye(3, dtype=torch.float64)[None]
    v, z = model.sample(mu, sigma, _gen(10))
    assert torch.allclose(z, exp_so3(v))
    kl = float(model.kl(v, sigma))
    exact = -(1.5 * math.log(2 * math.pi * math.e) + float(sigma.log().sum())) + LOG_HAAR_VOLUME
    assert abs(kl - exact) < 0.02 * abs(exact), (kl, exact)


def test_hvae_sample_is_mu_times_exp_and_seeded():
    model = TeapotHVAE(n_samples=3, **SMALL["hvae"])
    mu = _rotations(4, 11)
    sigma = torch.full((4, 3), 0.3, dtype=torch.float64)
    v1, z1 = model.sample(mu, sigma, _gen(12))
    v2, z2 = model.sample(mu, sigma, _gen(12))
    assert torch.equal(v1, v2) and v1.shape == (3, 4, 3) and z1.shape == (3, 4, 3, 3)
    assert torch.allclose(z1, mu @ exp_so3(v1))
    eye = torch.eye(3, dtype=torch.float64).expand_as(z1)
    assert torch.allclose(z1.transpose(-1, -2) @ z1, eye)


# --- training -----------------------------------------------------------------------------------
def _batch(b: int = 8):
    g = _gen(13)
    obs = torch.rand(b, 1, 64, 64, generator=g)
    next_obs = torch.rand(b, 1, 64, 64, generator=g)
    action = _rotations(b, 14, torch.float32)
    return obs, action, next_obs


@pytest.mark.parametrize("method", ["sen", "none", "hvae"])
def test_loss_gradients_and_training(method, adam_steps, check_gradients):
    torch.manual_seed(0)  # parameter init only (tests may seed globally; library code never does)
    model = CLASSES[method](**SMALL[method])
    obs, action, next_obs = _batch()
    loss, logs = model.loss(obs, action, next_obs, _gen(0))
    assert set(logs) == ({"recon", "kl"} if method == "hvae" else {"positive", "negative"})
    check_gradients(model, loss)
    again, _ = model.loss(obs, action, next_obs, _gen(0))
    assert torch.allclose(again, loss)                # deterministic given the generator
    _, final = adam_steps(model, (obs, action, next_obs), 0, 8)
    assert final < loss.item()


@pytest.mark.parametrize("method", ["sen", "none", "hvae"])
def test_interface_registry_and_describe(method):
    model = build_model(method, "teapot", **{k: list(v) if isinstance(v, tuple) else v
                                             for k, v in SMALL[method].items()})
    assert isinstance(model, CLASSES[method]) and get_method(method, "teapot") is CLASSES[method]
    assert model.objective == ("elbo" if method == "hvae" else "contrastive")
    obs, action, _ = _batch(3)
    z = model.encode(obs)
    assert z.shape == (3, 3, 3)
    assert model.transition(z, action[:3]).shape == (3, 3, 3)
    assert {"embedding", "latent", "action", "group"} <= set(model.describe())


def test_default_widths_parameter_parity():
    sen, none = count_parameters(TeapotSEN()), count_parameters(TeapotNone())
    assert max(sen, none) <= 1.25 * min(sen, none), (sen, none)
    assert count_parameters(TeapotHVAE()) > 0


def test_bad_inputs_raise_value_error():
    model = TeapotSEN(**SMALL["sen"])
    obs, action, next_obs = _batch(2)
    with pytest.raises(ValueError):
        model.embed(torch.rand(2, 3, 64, 64))
    with pytest.raises(ValueError):
        model.transition(torch.zeros(2, 3, 3), torch.zeros(2, 9))
    with pytest.raises(ValueError):
        model.act_on_embedding(torch.zeros(2, 3, 3), torch.zeros(3, 3, 3))
    with pytest.raises(ValueError):
        model.loss(obs, action, next_obs[:1])
    with pytest.raises(ValueError):
        gram_schmidt(torch.zeros(2, 2), torch.zeros(2, 2))
    with pytest.raises(ValueError):
        TeapotSEN(conv_channels=(8, 8))
    with pytest.raises(ValueError):
        TeapotHVAE(k_max=-1)
    with pytest.raises(ValueError):
        so3_log_density(torch.zeros(2, 2), torch.ones(2, 2))
