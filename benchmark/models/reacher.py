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

escnn details handled here (see :func:`steerable_conv`): its generalized He initialisation is
computed by tiling one field pair's variances (same values, 20x faster to build); every conv
gets its own basis buffers (escnn otherwise shares them between layers, so ``.double()`` or
``.to(device)`` on one model would change another); dilated kernels get rings, widths and
cut-off scaled with the dilation (escnn's defaults are not equivariant beyond dilation 2).
:class:`EscnnStateMixin` makes checkpoints independent of train / eval mode.
"""
from __future__ import annotations

import math
import warnings
from functools import lru_cache
from typing import Any, Sequence

import torch
from torch import nn
from torch.nn import functional as F

with warnings.catch_warnings():  # escnn warns that the optional py3nj is missing (SO(3) only)
    warnings.simplefilter("ignore")
    from escnn import gspaces
    from escnn import nn as enn
    from escnn.nn.init import _generalized_he_init_variances as _he_variances
    from escnn.nn.modules.conv.r2convolution import _manual_fco1

from benchmark.registry import WorldModel, register_method
from benchmark.hparams import widths

OBS_CHANNELS = 6   # two stacked RGB frames
ACTION_DIM = 2     # joint torques


# --- group helpers --------------------------------------------------------------------------
@lru_cache(maxsize=None)
def dihedral_gspace(group_order: int = 4) -> gspaces.GSpace2D:
    """escnn's ``flipRot2dOnR2(N=group_order)`` (D_N acting on the image plane), cached."""
    if group_order < 4 or group_order % 4:
        raise ValueError(f"group_order must be a positive multiple of 4, got {group_order}")
    return gspaces.flipRot2dOnR2(N=group_order)


def regular_type(gspace: gspaces.GSpace2D, fields: int) -> enn.FieldType:
    return enn.FieldType(gspace, fields * [gspace.regular_repr])


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


def dilated_embedding(in_channels: int = OBS_CHANNELS, hidden: Sequence[int] = (32,) * 6,
                      out_channels: int = 8) -> nn.Sequential:
    """7-layer dilated CNN: [B, 6, H, H] -> [B, 8, H/4 - 1, H/4 - 1] (128 -> 31)."""
    hidden = widths(hidden, 6, "embed_hidden")
    layers: list[nn.Module] = [nn.Conv2d(in_channels, hidden[0], 4, stride=2, padding=1),
                               nn.BatchNorm2d(hidden[0]), nn.ReLU(inplace=True)]
    for i, d in enumerate(DILATIONS):
        layers += [nn.Conv2d(hidden[i], hidden[i + 1], 3, dilation=d, padding=d),
                   nn.BatchNorm2d(hidden[i + 1]), nn.ReLU(inplace=True)]
    layers.append(nn.Conv2d(hidden[5], out_channels, 4, stride=2))
    net = nn.Sequential(*layers)
    xavier_init(net)
    return net


def steerable_conv(in_type: enn.FieldType, out_type: enn.FieldType, kernel_size: int,
                   **kwargs: Any) -> enn.R2Conv:
    """``enn.R2Conv`` with escnn's generalized He initialisation, computed fast.

    escnn's ``generalized_he_init`` walks every basis element in Python (about 10 s for a
    181 x 181-field 3x3 layer).  When all input fields share one representation and all output
    fields share one, the variance of a weight only depends on its basis element within a
    (field, field) block and scales as ``1 / sqrt(number of input fields)``; so the variances
    of a one-field-to-one-field layer, tiled, give exactly escnn's initialisation.
    """
    kwargs = {**_dilated_basis(kernel_size, kwargs.get("dilation", 1)), **kwargs}
    conv = enn.R2Conv(in_type, out_type, kernel_size, initialize=False, recompute=True, **kwargs)
    n_in, n_out = len(in_type), len(out_type)
    homogeneous = (len({r.name for r in in_type.representations}) == 1
                   and len({r.name for r in out_type.representations}) == 1)
    if homogeneous and n_in * n_out > 1:
        proxy = enn.R2Conv(in_type.index_select([0]), out_type.index_select([0]), kernel_size,
                           initialize=False, **kwargs)
        block = _he_variances(proxy.basisexpansion) / math.sqrt(n_in)
        variances = block.repeat(n_out * n_in)
        if variances.numel() != conv.weights.numel():  # layout not as assumed: use escnn's
            variances = _he_variances(conv.basisexpansion)
    else:
        variances = _he_variances(conv.basisexpansion)
    with torch.no_grad():
        conv.weights.copy_(variances * torch.randn_like(conv.weights))
    return conv


def _dilated_basis(kernel_size: int, dilation: int) -> dict[str, Any]:
    """Basis options that make a dilated kernel the undilated one with its taps spread out.

    escnn's defaults scale the rings with the dilation but neither the Gaussian ring widths
    nor the frequency cut-off; for dilation >= 4 the basis then holds high-frequency elements
    that vanish on the grid up to round-off and, once normalised, break equivariance (a
    relative error of 0.75 at dilation 8).  Scaling rings, widths and cut-off together gives
    the same (exactly equivariant) basis as dilation 1, with the same parameter count.
    """
    if dilation == 1:
        return {}
    n_rings = math.ceil(kernel_size / 2)
    rings = torch.linspace(0, (kernel_size - 1) // 2, n_rings).tolist()
    sigma = [0.005 if r == 0 else (0.4 if i == n_rings - 1 else 0.6) for i, r in enumerate(rings)]
    cutoff = _manual_fco1(kernel_size // 2)
    return {"rings": [r * dilation for r in rings], "sigma": [s * dilation for s in sigma],
            "frequencies_cutoff": lambda r, d=dilation: cutoff(r / d)}


def xavier_init(module: nn.Module) -> None:
    """Xavier-uniform conv weights and zero biases, as the original code's ``weights_init``."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


# --- E and T: steerable modules -------------------------------------------------------------
class InnerBatchNormReLU(enn.InnerBatchNorm):
    """escnn's ``InnerBatchNorm`` followed by a point-wise ReLU, without intermediate copies.

    Same parameters and state as ``enn.InnerBatchNorm``.  escnn's version writes the
    normalised fields into a fresh output tensor (two activation-sized buffers at once), and
    an in-place ReLU on a reshaped view of batch norm's output makes autograd keep extra
    full-size buffers; here the ReLU runs in place on batch norm's own output before it is
    reshaped, so each layer allocates one activation.  Equivariant for any fields that admit
    point-wise non-linearities (regular fields).
    """

    def forward(self, input: enn.GeometricTensor) -> enn.GeometricTensor:
        if len(self._contiguous) != 1 or not all(self._contiguous.values()):
            out = super().forward(input)
            return enn.GeometricTensor(F.relu(out.tensor, inplace=True), self.out_type, out.coords)
        (size,) = self._contiguous
        x = input.tensor
        y = getattr(self, f"batch_norm_[{size}]")(x.view(x.shape[0], -1, size, *x.shape[2:]))
        return enn.GeometricTensor(F.relu(y, inplace=True).view(x.shape), self.out_type,
                                   input.coords)


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

    def __init__(self, gspace: gspaces.GSpace2D, latent_fields: int = 4,
                 action_dim: int = ACTION_DIM, hidden: Sequence[int] = (181, 181)):
        super().__init__()
        hidden = widths(hidden, 2, "transition_hidden")
        quotient = gspace.quotient_repr((None, gspace.fibergroup.rotation_order))
        self.action_dim = action_dim
        self.latent_type = regular_type(gspace, latent_fields)
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


class EscnnStateMixin:
    """Checkpoints of models with escnn convolutions that load in train or eval mode.

    An escnn ``R2Conv`` keeps its expanded ``filter`` / ``expanded_bias`` as buffers that it
    deletes in train mode and rebuilds on ``eval()``, so a plain ``state_dict`` depends on the
    mode it was saved in (and holds a dense copy of every filter).  Here ``state_dict`` leaves
    those caches out and ``load_state_dict`` ignores them, loads the weights, and rebuilds the
    caches when the model is in eval mode.
    """

    def _escnn_cache_keys(self, prefix: str = "") -> set[str]:
        return {f"{prefix}{name}.{attr}" for name, m in self.named_modules()
                if isinstance(m, enn.R2Conv) for attr in ("filter", "expanded_bias")}

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        state = super().state_dict(*args, **kwargs)
        prefix = kwargs.get("prefix", args[1] if len(args) > 1 else "")
        for key in self._escnn_cache_keys(prefix):
            state.pop(key, None)
        return state

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        cached = self._escnn_cache_keys()
        state_dict = {k: v for k, v in state_dict.items() if k not in cached}
        mode = self.training
        self.train(True)   # drops the caches, so strict loading sees only weights and buffers
        try:
            return super().load_state_dict(state_dict, strict=strict, assign=assign)
        finally:
            self.train(mode)  # eval mode: filters rebuilt from the loaded weights


# --- the world model ------------------------------------------------------------------------
@register_method("sen", envs=("reacher",))
class ReacherSEN(EscnnStateMixin, WorldModel):
    """SEN on Reacher: plain dilated-CNN ``S``, D4-steerable ``E`` and ``T`` (delta prediction).

    Hyper-parameters: ``embed_hidden`` (6 widths of S), ``embed_channels`` (S's output, 8),
    ``embedding_repr`` (``"regular"``: the 8 channels are 8 / |D_N| regular fields;
    ``"trivial"``: 8 trivial fields), ``encoder_hidden`` (5 widths of E, in regular fields),
    ``latent_fields`` (regular fields of the latent), ``transition_hidden`` (2 widths of T, in
    regular fields), ``group_order`` (N of D_N), ``gamma`` and ``sigma`` of the hinge loss.
    """

    def __init__(self, env: str = "reacher", *, embed_hidden: Sequence[int] = (32,) * 6,
                 embed_channels: int = 8, embedding_repr: str = "regular",
                 encoder_hidden: Sequence[int] = (181,) * 5, latent_fields: int = 4,
                 transition_hidden: Sequence[int] = (181, 181), group_order: int = 4,
                 gamma: float = 1.0, sigma: float = 0.5):
        super().__init__(env)
        self.gspace = dihedral_gspace(group_order)
        self.gamma, self.sigma = float(gamma), float(sigma)
        self.embedding_type = _embedding_type(self.gspace, embed_channels, embedding_repr)
        self.embedding_repr = embedding_repr
        self.embedding = dilated_embedding(OBS_CHANNELS, embed_hidden, embed_channels)
        self.encoder = SteerableEncoder(self.embedding_type, encoder_hidden, latent_fields)
        self.transition_net = SteerableTransition(self.gspace, latent_fields, ACTION_DIM,
                                                  transition_hidden)

    def embed(self, obs: torch.Tensor) -> torch.Tensor:
        return self.embedding(check_obs(obs))

    def encode_embedding(self, v: torch.Tensor) -> torch.Tensor:
        return self.encoder(v)

    def transition(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        action = check_action(action, z.shape[0])
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


# --- shared helpers -------------------------------------------------------------------------
def check_obs(obs: torch.Tensor, channels: int = OBS_CHANNELS) -> torch.Tensor:
    """Reacher observations: float [B, 6, H, H], H >= 64 a multiple of 8 (128 in the datasets).

    H / 4 - 1, the side of S's output grid, must be odd for E's grids to stay symmetric.
    """
    if (obs.dim() != 4 or obs.shape[1] != channels or obs.shape[2] != obs.shape[3]
            or obs.shape[2] % 8 or obs.shape[2] < 64 or not obs.is_floating_point()):
        raise ValueError(f"Reacher obs must be float [B, {channels}, H, H] with H >= 64 a "
                         f"multiple of 8, got {tuple(obs.shape)} {obs.dtype}")
    return obs


def check_action(action: torch.Tensor, batch: int) -> torch.Tensor:
    if action.shape != (batch, ACTION_DIM) or not action.is_floating_point():
        raise ValueError(f"Reacher action must be float [{batch}, {ACTION_DIM}], "
                         f"got {tuple(action.shape)} {action.dtype}")
    return action


def _embedding_type(gspace: gspaces.GSpace2D, channels: int, repr_name: str) -> enn.FieldType:
    order = gspace.fibergroup.order()
    if repr_name == "regular":
        if channels % order:
            raise ValueError(f"embed_channels={channels} is not a multiple of |G|={order}")
        return regular_type(gspace, channels // order)
    if repr_name == "trivial":
        return enn.FieldType(gspace, channels * [gspace.trivial_repr])
    raise ValueError(f"embedding_repr must be 'regular' or 'trivial', got {repr_name!r}")
