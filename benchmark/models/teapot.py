"""SEN for 3D Teapot (SO(3)) and the torch SO(3) helpers shared with the baselines.

SEN (SPEC section 3): ``S`` is a CNN (4 conv + 3 fully connected layers) giving two vectors
``u, v`` in R^3, mapped by Gram-Schmidt to a rotation ``R = [e1 e2 e3]`` (columns), so that
``V = SO(3)`` with ``rho_V(g) R = g R``; ``E`` is the identity; ``T(z, a) = a z`` (no
parameters).  With the twin's state ``g R`` and action ``g a g^-1`` the model is exactly
equivariant whenever ``S`` is: ``T(g z, g a g^-1) = g a z``.

The SEN paper does not list the Teapot widths; the defaults here (conv 32-32-64-64, 4x4
kernels, stride 2, batch norm, ReLU; fully connected 1024-256-256-6) are our choice.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from benchmark.hparams import widths
from benchmark.models.batchnorm import ChannelsLastSequential
from benchmark.models.checks import check_action, check_obs
from benchmark.registry import WorldModel, register_method

IMAGE_SIZE = 64


# --- SO(3) helpers ----------------------------------------------------------------------------
def gram_schmidt(u: torch.Tensor, v: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Rotation matrices [..., 3, 3] whose columns are Gram-Schmidt of (u, v) and their cross.

    ``e1 = u / |u|``, ``e2`` = the part of ``v`` orthogonal to ``e1``, normalised,
    ``e3 = e1 x e2``.  Equivariant: ``gram_schmidt(g u, g v) = g gram_schmidt(u, v)`` for
    ``g`` in SO(3).
    """
    if u.shape[-1] != 3 or v.shape != u.shape:
        raise ValueError(f"gram_schmidt needs two [..., 3] tensors, got {tuple(u.shape)} "
                         f"and {tuple(v.shape)}")
    e1 = u / u.norm(dim=-1, keepdim=True).clamp_min(eps)
    w = v - (e1 * v).sum(-1, keepdim=True) * e1
    e2 = w / w.norm(dim=-1, keepdim=True).clamp_min(eps)
    e3 = torch.linalg.cross(e1, e2, dim=-1)
    return torch.stack([e1, e2, e3], dim=-1)


def hat(w: torch.Tensor) -> torch.Tensor:
    """so(3) hat map: [..., 3] -> skew-symmetric [..., 3, 3] with ``hat(w) x = w x x``."""
    if w.shape[-1] != 3:
        raise ValueError(f"hat needs [..., 3], got {tuple(w.shape)}")
    x, y, z = w.unbind(-1)
    o = torch.zeros_like(x)
    return torch.stack([torch.stack([o, -z, y], -1),
                        torch.stack([z, o, -x], -1),
                        torch.stack([-y, x, o], -1)], -2)


def exp_so3(w: torch.Tensor) -> torch.Tensor:
    """Exponential map (Rodrigues): rotation vector [..., 3] -> rotation [..., 3, 3].

    ``exp(hat(w)) = I + sin(t)/t K + (1 - cos t)/t^2 K^2`` with ``t = |w|``, ``K = hat(w)``;
    Taylor series below ``t < 1e-4`` keep it accurate and differentiable at 0.
    """
    k = hat(w)
    t2 = (w * w).sum(-1)[..., None, None]
    small = t2 < 1e-8
    t_safe = torch.where(small, torch.ones_like(t2), t2).sqrt()  # no sqrt'(0) in the graph
    a = torch.where(small, 1 - t2 / 6, torch.sin(t_safe) / t_safe)
    b = torch.where(small, 0.5 - t2 / 24, (1 - torch.cos(t_safe)) / (t_safe * t_safe))
    eye = torch.eye(3, dtype=w.dtype, device=w.device).expand_as(k)
    return eye + a * k + b * (k @ k)


def check_rotations(x: torch.Tensor, batch: int | None = None, name: str = "action",
                    ) -> torch.Tensor:
    if x.dim() != 3 or x.shape[1:] != (3, 3) or not x.is_floating_point() or (
            batch is not None and x.shape[0] != batch):
        want = f"[{batch if batch is not None else 'B'}, 3, 3]"
        raise ValueError(f"Teapot {name} must be float {want} rotation matrices, "
                         f"got {tuple(x.shape)} {x.dtype}")
    return x


# --- S: the CNN trunk -------------------------------------------------------------------------
class ConvTrunk(nn.Module):
    """4 conv layers (4x4, stride 2, batch norm, ReLU) + 3 fully connected layers.

    [B, 1, 64, 64] -> [B, out_dim]; the last layer is linear.
    """

    def __init__(self, out_dim: int, channels: Sequence[int] = (32, 32, 64, 64),
                 fc_hidden: Sequence[int] = (256, 256), in_channels: int = 1):
        super().__init__()
        channels = widths(channels, 4, "conv_channels")
        fc_hidden = widths(fc_hidden, 2, "fc_hidden")
        layers: list[nn.Module] = []
        c_in = in_channels
        for c in channels:  # 64 -> 32 -> 16 -> 8 -> 4
            layers += [nn.Conv2d(c_in, c, 4, stride=2, padding=1), nn.BatchNorm2d(c),
                       nn.ReLU(inplace=True)]
            c_in = c
        side = IMAGE_SIZE // 2 ** len(channels)
        layers += [nn.Flatten(), nn.Linear(c_in * side * side, fc_hidden[0]), nn.ReLU(inplace=True),
                   nn.Linear(fc_hidden[0], fc_hidden[1]), nn.ReLU(inplace=True),
                   nn.Linear(fc_hidden[1], out_dim)]
        self.net = ChannelsLastSequential(*layers)   # channels_last convs (CPU speed)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs)


# --- the world model --------------------------------------------------------------------------
class RotationLatentModel(WorldModel):
    """Teapot world models whose latent is the embedding, a rotation ``R`` (E = identity).

    ``T(R, a) = a R`` and ``rho_V(g) R = g R``: actions and group elements act by left
    multiplication.  Subclasses provide ``embed``.
    """

    def encode_embedding(self, v: torch.Tensor) -> torch.Tensor:
        return v

    def transition(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return check_action(action, z.shape[0], self.spec.action, "Teapot actions") @ z

    def act_on_embedding(self, v: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return check_rotations(g, v.shape[0], "g") @ v


@register_method("sen", envs=("teapot",))
class TeapotSEN(RotationLatentModel):
    """SEN on Teapot: CNN -> Gram-Schmidt -> R in SO(3); E = id; T(z, a) = a z (MatMul).

    Hyper-parameters: ``conv_channels`` (4 widths), ``fc_hidden`` (2 widths), ``gamma``,
    ``sigma``.  The latent is the 3x3 rotation; the loss compares its 9 entries.
    """

    def __init__(self, env: str = "teapot", *, conv_channels: Sequence[int] = (32, 32, 64, 64),
                 fc_hidden: Sequence[int] = (256, 256), gamma: float = 1.0, sigma: float = 0.5):
        super().__init__(env, gamma=gamma, sigma=sigma)
        self.embedding = ConvTrunk(6, conv_channels, fc_hidden)

    def embed(self, obs: torch.Tensor) -> torch.Tensor:
        u, v = self.embedding(check_obs(obs, self.spec)).view(-1, 2, 3).unbind(1)
        return gram_schmidt(u, v)

    def describe(self) -> dict[str, Any]:
        return {
            "group": "SO(3)",
            "embedding": "R in SO(3) (3x3 matrix, Gram-Schmidt of two CNN vectors); "
                         "rho_V(g) R = g R",
            "latent": "the same 3x3 rotation (E = identity)",
            "action": "a in SO(3) (3x3 matrix); the twin's action is g a g^-1",
            "transition": "z' = a z (no parameters)",
        }
