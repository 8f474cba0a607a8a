"""SEN for Reacher: a plain dilated CNN ``S`` feeding D_N-equivariant ``E`` and ``T`` (escnn).

Architecture (SPEC section 3; widths from the original code's ``scripts/reacher.sl``):

* ``S``: 7 plain convolutions, 6 -> 8 channels, dilations 1, 2, 4, 8, 16, 32, 1 (BatchNorm + ReLU
  between layers).  Its output, an 8-channel map on a 31 x 31 grid, is *declared* to be one
  regular field of D4 (``gspaces.flipRot2dOnR2(N=4)``): ``rho_V(g)`` rotates the grid and
  permutes the 8 channels.  (``embedding_repr="trivial"`` declares 8 trivial fields instead,
  which is what the original code's encoder assumed.)
* ``E``: 3 steerable 3 x 3 ``R2Conv`` + 3 steerable 1 x 1 ``R2Conv`` with inner batch norm, ReLU
  and point-wise max pooling; latent = 4 regular D4 fields pooled to 1 x 1, a 32-vector.
* ``T``: a D4-equivariant MLP (1 x 1 ``R2Conv`` on 1 x 1 maps) on the latent and the action,
  the torques ``tau`` entering as 2 fields of the quotient representation D4 / C4 (rotations
  act trivially, flips swap the two components of ``(tau, -tau)``, i.e. negate the torque);
  delta prediction.

Exact equivariance needs sampling grids that every element of D4 maps onto themselves.  The
original code's 3 x 3 stride-2 layers on even grids break that by half a pixel.  Here the two
stride-2 layers of ``S`` use 4 x 4 kernels (128 -> 64 -> 31), ``E``'s one stride-2 conv runs on
the odd 31 x 31 grid (-> 16), and ``E``'s second stride-2 conv becomes a stride-1 conv after a
4 x 4 max pool (16 -> 4 instead of pool 2 + stride 2): the same grids, multiply-adds and memory
as the original (16 -> 4 -> 2 -> 1), exactly equivariant.

The twin's ``g = k`` (k quarter turns counter-clockwise, ``torch.rot90(img, k)``) is escnn's
rotation element ``(0, k * N / 4)``: escnn rotates a feature map exactly as
``torch.rot90(x, 1, dims=(-2, -1))`` does (checked in ``tests/test_models_reacher.py``).

escnn details (fast He initialisation, private bases, equivariant dilated kernels, checkpoints
independent of train / eval mode) are handled by :func:`benchmark.models.escnn_layers.steerable_conv`.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from benchmark.hparams import widths
from benchmark.models.batchnorm import ChannelsLastSequential
from benchmark.models.checks import check_action, check_obs
from benchmark.models.escnn_layers import (InnerBatchNormReLU, enn, gspaces, regular_type,
                                           steerable_conv)
from benchmark.registry import WorldModel, register_method

OBS_CHANNELS = 6   # two stacked RGB frames
ACTION_DIM = 2     # joint torques


# --- group helpers --------------------------------------------------------------------------
@lru_cache(maxsize=None)
def dihedral_gspace(group_order: int = 4) -> gspaces.GSpace2D:
    """escnn's ``flipRot2dOnR2(N=group_order)`` (D_N acting on the image plane), cached."""
    if group_order < 4 or group_order % 4:
        raise ValueError(f"group_order must be a positive multiple of 4, got {group_order}")
    return gspaces.flipRot2dOnR2(N=group_order)


def quarter_turn(gspace: gspaces.GSpace2D, k: int):
    """The group element rotating by ``k`` quarter turns counter-clockwise (no flip)."""
    n = gspace.fibergroup.rotation_order
    return gspace.fibergroup.element((0, (int(k) % 4) * n // 4))


def rotate_fields(x: torch.Tensor, g: torch.Tensor | int, field_type: enn.FieldType,
                  ) -> torch.Tensor:
    """``rho(g) x`` for a batch of feature maps: escnn's own ``GeometricTensor.transform``.

    ``g`` holds, per sample (or once for all), the number of quarter turns counter-clockwise.
    Samples are grouped by ``g`` so that at most four transforms run.
    """
    if x.dim() != 4 or x.shape[1] != field_type.size:
        raise ValueError(f"expected a [B, {field_type.size}, H, W] tensor, got {tuple(x.shape)}")
    k = torch.as_tensor(g, device=x.device).to(torch.long).reshape(-1) % 4
    if k.numel() == 1:
        k = k.expand(x.shape[0])
    if k.shape[0] != x.shape[0]:
        raise ValueError(f"g has {k.shape[0]} entries for a batch of {x.shape[0]}")
    out = torch.empty_like(x)
    for kk in torch.unique(k).tolist():
        idx = (k == kk).nonzero().squeeze(1)
        element = quarter_turn(field_type.gspace, kk)
        out[idx] = enn.GeometricTensor(x[idx], field_type).transform(element).tensor
    return out


# --- S: the plain dilated CNN ---------------------------------------------------------------
DILATIONS = (2, 4, 8, 16, 32)


EMBEDDING_KERNELS = (3, 4)


def stride2_geometry(kernel: int) -> tuple[int, int]:
    """Paddings of S's first and last stride-2 convs for a kernel of 3 (the paper's) or 4
    (ours), so that both give an odd output grid, 128 -> 31 (3: 128 -> 63 -> 31 unpadded;
    4: 128 -> 64 -> 31, padding 1 then 0; 4 x 4 taps on the even grid keep it symmetric
    under quarter turns, which the 3 x 3 stride-2 convs do not)."""
    if kernel not in EMBEDDING_KERNELS:
        raise ValueError(f"embedding_kernel must be one of {EMBEDDING_KERNELS}, got {kernel!r}")
    return (0, 0) if kernel == 3 else (1, 0)


def dilated_embedding(in_channels: int = OBS_CHANNELS, hidden: Sequence[int] = (32,) * 6,
                      out_channels: int = 8, kernel: int = 3) -> nn.Sequential:
    """7-layer dilated CNN: [B, 6, H, H] -> [B, 8, h, h] (128 -> 31); ``kernel`` is the size
    of the first and last (stride-2) convs: 3 as the paper code, or 4 (see
    :func:`stride2_geometry`)."""
    hidden = widths(hidden, 6, "embedding_hidden")
    first_pad, last_pad = stride2_geometry(kernel)
    layers: list[nn.Module] = [nn.Conv2d(in_channels, hidden[0], kernel, stride=2,
                                         padding=first_pad),
                               nn.BatchNorm2d(hidden[0]), nn.ReLU(inplace=True)]
    for i, d in enumerate(DILATIONS):
        layers += [nn.Conv2d(hidden[i], hidden[i + 1], 3, dilation=d, padding=d),
                   nn.BatchNorm2d(hidden[i + 1]), nn.ReLU(inplace=True)]
    layers.append(nn.Conv2d(hidden[5], out_channels, kernel, stride=2, padding=last_pad))
    net = ChannelsLastSequential(*layers)   # channels_last convs and batch norms (CPU speed)
    xavier_init(net)
    return net


def xavier_init(module: nn.Module) -> None:
    """Xavier-uniform conv weights and zero biases, as the original code's ``weights_init``."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


# --- E and T: steerable modules -------------------------------------------------------------
class SteerableEncoder(nn.Module):
    """E: 3 steerable 3x3 convs + 3 steerable 1x1 convs, to ``out_fields`` regular fields.

    Input: a tensor ``[B, in_type.size, H, H]`` with H odd (31 for Reacher); output
    ``[B, out_fields * |G|]``, the regular fields pooled to 1 x 1 and concatenated.
    """

    def __init__(self, in_type: enn.FieldType, hidden: Sequence[int] = (181,) * 5,
                 out_fields: int = 4):
        super().__init__()
        hidden = widths(hidden, 5, "encoder_hidden")
        gs = in_type.gspace
        t = [regular_type(gs, h) for h in hidden]
        self.in_type = in_type
        self.out_type = regular_type(gs, out_fields)

        def block(a: enn.FieldType, b: enn.FieldType, k: int,
                  **kw: int) -> list[enn.EquivariantModule]:
            return [steerable_conv(a, b, k, **kw), InnerBatchNormReLU(b)]

        self.net = enn.SequentialModule(
            *block(in_type, t[0], 3, stride=2, padding=1),        # 31 -> 16
            enn.PointwiseMaxPool2D(t[0], 4),                       # 16 -> 4
            *block(t[0], t[1], 3, padding=1),                      # 4 -> 4
            enn.PointwiseMaxPool2D(t[1], 2),                       # 4 -> 2
            *block(t[1], t[2], 3, padding=1),                      # 2 -> 2
            enn.PointwiseAdaptiveMaxPool2D(t[2], 1),               # 2 -> 1
            *block(t[2], t[3], 1),
            *block(t[3], t[4], 1),
            steerable_conv(t[4], self.out_type, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_type.size or x.shape[-1] % 2 == 0:
            raise ValueError(f"encoder expects [B, {self.in_type.size}, H, H] with H odd, "
                             f"got {tuple(x.shape)}")
        return self.net(enn.GeometricTensor(x, self.in_type)).tensor.flatten(1)


class SteerableTransition(nn.Module):
    """T: equivariant MLP (1x1 ``R2Conv``) on latent regular fields and quotient action fields.

    Returns the *delta*; the torque ``tau_i`` is encoded as the quotient field ``(tau_i, -tau_i)``.
    """

    def __init__(self, gspace: gspaces.GSpace2D, latent_dim: int = 4,
                 action_dim: int = ACTION_DIM, hidden: Sequence[int] = (181, 181)):
        super().__init__()
        hidden = widths(hidden, 2, "transition_hidden")
        quotient = gspace.quotient_repr((None, gspace.fibergroup.rotation_order))
        self.action_dim = action_dim
        self.latent_type = regular_type(gspace, latent_dim)
        self.action_type = enn.FieldType(gspace, action_dim * [quotient])
        self.in_type = self.latent_type + self.action_type
        h0, h1 = (regular_type(gspace, h) for h in hidden)
        self.net = enn.SequentialModule(
            steerable_conv(self.in_type, h0, 1), enn.ReLU(h0, inplace=True),
            steerable_conv(h0, h1, 1), enn.ReLU(h1, inplace=True),
            steerable_conv(h1, self.latent_type, 1),
        )

    def encode_action(self, action: torch.Tensor) -> torch.Tensor:
        """Torques [B, A] -> quotient fields [B, 2A] = (tau_1, -tau_1, tau_2, -tau_2, ...)."""
        return torch.stack([action, -action], dim=-1).flatten(1)

    def forward(self, z: torch.Tensor, action_fields: torch.Tensor) -> torch.Tensor:
        x = torch.cat([z, action_fields], dim=1)[:, :, None, None]
        return self.net(enn.GeometricTensor(x, self.in_type)).tensor.flatten(1)


# --- the world model ------------------------------------------------------------------------
def check_reacher_obs(obs: torch.Tensor, spec) -> torch.Tensor:
    """Reacher observations: float [B, 6, H, H], H >= 64 a multiple of 8 (128 in the datasets).

    H / 4 - 1, the side of S's output grid, must be odd for E's grids to stay symmetric.
    """
    return check_obs(obs, spec, size_ok=lambda h: h >= 64 and h % 8 == 0,
                     size_rule="H >= 64 a multiple of 8")


def embedding_type(gspace: gspaces.GSpace2D, channels: int, repr_name: str) -> enn.FieldType:
    """How the group acts on S's ``channels``-channel output: regular or trivial fields."""
    order = gspace.fibergroup.order()
    if repr_name == "regular":
        if channels % order:
            raise ValueError(f"embedding_channels={channels} is not a multiple of |G|={order}")
        return regular_type(gspace, channels // order)
    if repr_name == "trivial":
        return enn.FieldType(gspace, channels * [gspace.trivial_repr])
    raise ValueError(f"embedding_repr must be 'regular' or 'trivial', got {repr_name!r}")


@register_method("sen", envs=("reacher",))
class ReacherSEN(WorldModel):
    """SEN on Reacher: plain dilated-CNN ``S``, D4-steerable ``E`` and ``T`` (delta prediction).

    Hyper-parameters (defaults: the paper code's, SPEC section 3): ``embedding_hidden`` (6
    widths of S), ``embedding_channels`` (S's output, 8), ``embedding_repr`` (``"trivial"``,
    the paper's: 8 trivial fields, g rotates each channel's grid; ``"regular"``: the 8
    channels are 8 / |D_N| regular fields, g also permutes them), ``embedding_kernel`` (S's
    stride-2 convs: 3, the paper's, or 4), ``encoder_hidden`` (5 widths of E, in regular fields),
    ``latent_dim`` (regular fields of the latent), ``transition_hidden`` (2 widths of T, in
    regular fields), ``group_order`` (N of D_N), ``gamma`` and ``sigma`` of the hinge loss.
    Subclasses replace S through :meth:`_build_embedding` (``full``).
    """

    def __init__(self, env: str = "reacher", *, embedding_hidden: Sequence[int] = (32,) * 6,
                 embedding_channels: int = 8, embedding_repr: str = "trivial",
                 embedding_kernel: int = 3, encoder_hidden: Sequence[int] = (181,) * 5,
                 latent_dim: int = 4, transition_hidden: Sequence[int] = (181, 181),
                 group_order: int = 4, gamma: float = 1.0, sigma: float = 0.5):
        super().__init__(env, gamma=gamma, sigma=sigma)
        self.gspace = dihedral_gspace(group_order)
        self.embedding_repr = embedding_repr
        self.embedding_kernel = embedding_kernel
        self.embedding, self.embedding_type = self._build_embedding(
            embedding_hidden, embedding_channels, embedding_repr)
        self.encoder = SteerableEncoder(self.embedding_type, encoder_hidden, latent_dim)
        self.transition_net = SteerableTransition(self.gspace, latent_dim, ACTION_DIM,
                                                  transition_hidden)

    def _build_embedding(self, hidden: Sequence[int], out: int, repr_name: str,
                         ) -> tuple[nn.Module, enn.FieldType]:
        """S and the field type of its output: SEN's plain dilated CNN, ``out`` channels
        declared as ``repr_name`` fields."""
        field_type = embedding_type(self.gspace, out, repr_name)
        return (dilated_embedding(OBS_CHANNELS, hidden, out, self.embedding_kernel),
                field_type)

    def embed(self, obs: torch.Tensor) -> torch.Tensor:
        return self.embedding(check_reacher_obs(obs, self.spec))

    def encode_embedding(self, v: torch.Tensor) -> torch.Tensor:
        return self.encoder(v)

    def transition(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        action = check_action(action, z.shape[0], self.spec.action, "Reacher actions")
        return z + self.transition_net(z, self.transition_net.encode_action(action))

    def act_on_embedding(self, v: torch.Tensor, g: torch.Tensor | int) -> torch.Tensor:
        return rotate_fields(v, g, self.embedding_type)
    def describe(self) -> dict[str, Any]:
        n = self.gspace.fibergroup.rotation_order
        fields = self.embedding_type
        return {
            "group": f"D{n} (escnn flipRot2dOnR2(N={n})) acting on the image plane; the twin "
                     "uses its rotations by k quarter turns",
            "embedding": f"{fields.size}-channel map on a 31x31 grid = {len(fields)} "
                         f"{self.embedding_repr} D{n} field(s); rho_V(g) rotates the grid and "
                         "acts on the channels (escnn GeometricTensor.transform)",
            "latent": f"{len(self.encoder.out_type)} regular D{n} fields "
                      f"({self.encoder.out_type.size}-vector)",
            "action": f"{ACTION_DIM} quotient D{n}/C{n} fields (tau, -tau): rotations act "
                      "trivially, flips negate the torque",
            "transition": "D4-equivariant 1x1-R2Conv MLP, delta prediction",
        }


