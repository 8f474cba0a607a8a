"""Homeomorphic VAE (Falorsi et al. 2018) on Teapot: a VAE whose latent lives in SO(3).

As SPEC section 3 describes (after the public code of Falorsi et al., ``pimdh/lie-vae``):

* encoder: 4 convs (4x4, stride 2, batch norm, leaky ReLU 0.2) and a 4x4 "valid" conv
  (64 -> 32 -> 16 -> 8 -> 4 -> 1) to a feature vector, then two linear heads: 6 numbers ->
  Gram-Schmidt -> mean rotation ``mu``, and 3 numbers -> softplus -> scales ``sigma``;
* posterior: ``v ~ N(0, diag sigma^2)`` in the Lie algebra R^3, ``z = mu exp(hat(v))``
  (right multiplication, Rodrigues);
* prior: the uniform (Haar) distribution on SO(3);
* KL by Monte Carlo, ``log q(z) - log p(z)`` at the sampled ``z``, where ``q`` is the density
  of the pushed-forward Gaussian: a sum over the preimages ``u (theta + 2 pi k)`` of the
  exponential map (``k`` truncated to ``-k_max .. k_max``) with the volume factor
  ``theta^2 / (2 - 2 cos theta)``; densities are with respect to the Haar measure of total
  mass ``8 pi^2``, so ``log p = -log(8 pi^2)``;
* decoder: an MLP from the 9 entries of ``z`` to a deconvolution stack back to 64x64
  (sigmoid output);
* loss = summed squared reconstruction error + ``beta`` KL, on ``obs`` and ``next_obs``
  (the action is never seen).

As a world model it uses the posterior mean (``embed`` returns ``mu``) and ``z' = a z``.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from benchmark.hparams import widths
from benchmark.models.batchnorm import ChannelsLastSequential
from benchmark.models.checks import check_obs
from benchmark.models.teapot import (
    IMAGE_SIZE, RotationLatentModel, exp_so3, gram_schmidt,
)
from benchmark.registry import register_method

LOG_HAAR_VOLUME = math.log(8 * math.pi ** 2)


def so3_log_density(v: torch.Tensor, sigma: torch.Tensor, k_max: int = 2) -> torch.Tensor:
    """Log density of ``exp(hat(x))``, ``x ~ N(0, diag sigma^2)``, at the rotation ``exp(hat(v))``.

    ``v`` [..., 3] is any preimage of the rotation; the density (w.r.t. the Haar measure of
    total mass 8 pi^2) sums the Gaussian over all preimages ``u (|v| + 2 pi k)`` times the
    inverse Jacobian ``theta^2 / (2 - 2 cos theta)`` of the exponential map.  Computed in
    float64 and returned in ``v``'s dtype.
    """
    if v.shape[-1] != 3 or sigma.shape[-1] != 3:
        raise ValueError(f"v and sigma must be [..., 3], got {tuple(v.shape)}, "
                         f"{tuple(sigma.shape)}")
    dtype = v.dtype
    v, sigma = v.double(), sigma.double()
    theta = v.norm(dim=-1, keepdim=True)                                   # [..., 1]
    axis = v / theta.clamp_min(1e-12)
    ks = torch.arange(-k_max, k_max + 1, dtype=v.dtype, device=v.device)   # [K]
    theta_k = theta + 2 * math.pi * ks                                     # [..., K]
    x = axis.unsqueeze(-2) * theta_k.unsqueeze(-1)                         # [..., K, 3]
    s = sigma.unsqueeze(-2)
    log_normal = (-0.5 * (x / s) ** 2 - s.log() - 0.5 * math.log(2 * math.pi)).sum(-1)
    # theta^2 / (2 - 2 cos theta) = ((theta / 2) / sin(theta / 2))^2, 1 at theta = 0
    half = theta_k / 2
    sin_half = torch.sin(half)
    small = half.abs() < 1e-4
    ratio = torch.where(small, 1 + half ** 2 / 6,
                        half / torch.where(small, torch.ones_like(sin_half), sin_half))
    log_volume = 2 * torch.log(ratio.abs().clamp_min(1e-12))
    return torch.logsumexp(log_normal + log_volume, dim=-1).to(dtype)


class HVAEEncoder(nn.Module):
    """[B, 1, 64, 64] -> mean rotation [B, 3, 3] and Lie-algebra scales [B, 3]."""

    def __init__(self, channels: Sequence[int] = (32, 64, 128, 256), feature_dim: int = 128):
        super().__init__()
        channels = widths(channels, 4, "encoder_channels")
        layers: list[nn.Module] = []
        c_in = 1
        for c in channels:  # 64 -> 32 -> 16 -> 8 -> 4
            layers += [nn.Conv2d(c_in, c, 4, 2, 1), nn.BatchNorm2d(c),
                       nn.LeakyReLU(0.2, inplace=True)]
            c_in = c
        layers += [nn.Conv2d(c_in, feature_dim, IMAGE_SIZE // 16), nn.Flatten()]  # 4 -> 1
        self.net = ChannelsLastSequential(*layers)   # channels_last convs (CPU speed)
        self.mean_head = nn.Linear(feature_dim, 6)
        self.scale_head = nn.Linear(feature_dim, 3)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.net(obs)
        u, v = self.mean_head(h).view(-1, 2, 3).unbind(1)
        return gram_schmidt(u, v), F.softplus(self.scale_head(h)) + 1e-5


class HVAEDecoder(nn.Module):
    """9 entries of a rotation -> MLP -> deconvolutions (1 -> 4 -> 8 -> 16 -> 32 -> 64)."""

    def __init__(self, mlp_hidden: Sequence[int] = (256, 256), channels: int = 64):
        super().__init__()
        h0, h1 = widths(mlp_hidden, 2, "decoder_hidden")
        self.mlp = nn.Sequential(nn.Linear(9, h0), nn.ReLU(inplace=True),
                                 nn.Linear(h0, h1), nn.ReLU(inplace=True))
        layers: list[nn.Module] = [nn.ConvTranspose2d(h1, channels, 4, 1, 0), nn.ReLU(inplace=True)]
        for _ in range(3):
            layers += [nn.ConvTranspose2d(channels, channels, 4, 2, 1), nn.ReLU(inplace=True)]
        layers.append(nn.ConvTranspose2d(channels, 1, 4, 2, 1))
        self.deconv = ChannelsLastSequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.mlp(z.flatten(1))
        return torch.sigmoid(self.deconv(h[:, :, None, None]))


@register_method("hvae", envs=("teapot",))
class TeapotHVAE(RotationLatentModel):
    """Homeomorphic VAE baseline (objective ``"elbo"``); world model ``z' = a z`` on the mean.

    Hyper-parameters: ``encoder_channels`` (4 conv widths), ``feature_dim``,
    ``decoder_hidden`` (2 MLP widths), ``decoder_channels``, ``beta`` (KL weight),
    ``k_max`` (preimages ``-k_max .. k_max`` in the density), ``n_samples`` (Monte Carlo
    samples of z per image).
    """

    objective = "elbo"

    def __init__(self, env: str = "teapot", *, encoder_channels: Sequence[int] = (32, 64, 128, 256),
                 feature_dim: int = 128, decoder_hidden: Sequence[int] = (256, 256),
                 decoder_channels: int = 64, beta: float = 1.0, k_max: int = 2,
                 n_samples: int = 1):
        super().__init__(env)
        if k_max < 0 or n_samples < 1 or beta < 0:
            raise ValueError(f"need k_max >= 0, n_samples >= 1, beta >= 0; got {k_max}, "
                             f"{n_samples}, {beta}")
        self.beta, self.k_max, self.n_samples = float(beta), int(k_max), int(n_samples)
        self.encoder = HVAEEncoder(encoder_channels, feature_dim)
        self.decoder = HVAEDecoder(decoder_hidden, decoder_channels)

    # --- world model --------------------------------------------------------------------------
    def embed(self, obs: torch.Tensor) -> torch.Tensor:
        return self.encoder(check_obs(obs, self.spec))[0]

    # --- ELBO ---------------------------------------------------------------------------------
    def sample(self, mu: torch.Tensor, sigma: torch.Tensor,
               generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw ``v ~ N(0, diag sigma^2)`` ([S, B, 3]) and ``z = mu exp(hat(v))`` ([S, B, 3, 3])."""
        shape = (self.n_samples, *sigma.shape)
        if generator is None:
            eps = torch.randn(shape, device=sigma.device, dtype=sigma.dtype)
        else:  # draw where the generator lives (CPU for the trainer's), then move
            eps = torch.randn(shape, generator=generator, device=generator.device,
                              dtype=sigma.dtype).to(sigma.device)
        v = eps * sigma
        return v, mu @ exp_so3(v)

    def kl(self, v: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """Monte Carlo KL(q || Haar) per image: mean over samples of log q(z) - log p(z)."""
        return (so3_log_density(v, sigma, self.k_max) + LOG_HAAR_VOLUME).mean(0)

    def loss(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor,
             generator: torch.Generator | None = None,
             ) -> tuple[torch.Tensor, dict[str, float]]:
        """Negative ELBO on the images ``obs`` and ``next_obs``; ``action`` is ignored."""
        if obs.shape != next_obs.shape:
            raise ValueError(f"obs {tuple(obs.shape)} and next_obs {tuple(next_obs.shape)} differ")
        x = check_obs(torch.cat([obs, next_obs], dim=0), self.spec)
        mu, sigma = self.encoder(x)
        v, z = self.sample(mu, sigma, generator)
        recon = self.decoder(z.flatten(0, 1)).view(self.n_samples, *x.shape)
        recon_err = (recon - x).pow(2).flatten(2).sum(-1).mean(0)   # per image
        kl = self.kl(v, sigma)
        loss = (recon_err + self.beta * kl).mean()
        return loss, {"recon": float(recon_err.mean().detach()), "kl": float(kl.mean().detach())}

    def describe(self) -> dict[str, Any]:
        return {
            "group": "SO(3) (latent manifold; actions never seen in training)",
            "embedding": "posterior mean rotation mu (3x3); rho_V(g) mu = g mu",
            "latent": "the same 3x3 rotation (E = identity)",
            "action": "a in SO(3) (3x3), used only by the world-model metrics",
            "transition": "z' = a z (no parameters)",
            "objective": "ELBO: summed squared error + beta * Monte Carlo KL to the Haar prior",
        }
