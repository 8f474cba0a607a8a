"""escnn building blocks shared by every equivariant model: field types, linear and
convolution layers with a mode-independent state, fast initialisation, fused norms.

* One way to keep escnn's expanded weights out of checkpoints: :class:`TransientExpansionMixin`
  on every escnn layer that caches them (:class:`EscnnLinear`, :class:`EscnnR2Conv`).
  escnn's ``Linear`` and ``R2Conv`` store the expanded matrix / filter as buffers in eval mode
  and delete them in train mode, so ``state_dict`` keys would depend on the mode a checkpoint
  was written in; the mixin makes those buffers non-persistent and re-expands them after
  ``load_state_dict``.
* :func:`regular_type` for any group: ``regular_type(c4_space(), n)`` for the grid worlds'
  C4 fibers, ``regular_type(gspaces.flipRot2dOnR2(4), n)`` for Reacher's D4 feature maps.
* :class:`RegularLinear`, :class:`RegularLayerNorm`, :class:`RegularMLP`: C4-equivariant
  layers on tensors ``[..., fields, 4]`` (the grid worlds' E and T).
* :func:`steerable_conv`: ``R2Conv`` with escnn's generalized He initialisation computed fast,
  and dilated kernels that stay equivariant; :class:`InnerBatchNormReLU`.
"""
from __future__ import annotations

import math
import warnings
from functools import lru_cache
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

with warnings.catch_warnings():  # escnn warns about the optional py3nj at import time
    warnings.simplefilter("ignore")
    from escnn import group as egroup
    from escnn import gspaces
    from escnn import nn as enn
    from escnn.nn.init import _generalized_he_init_variances as _he_variances
    from escnn.nn.modules.conv.r2convolution import _manual_fco1

from benchmark.models.batchnorm import FEW_CHANNELS, channels_last_batch_norm
from benchmark.models.c4 import C4_ORDER
from benchmark.models.checks import check_positive_int


@lru_cache(maxsize=1)
def c4_space() -> gspaces.GSpace0D:
    """The C4 group acting on no base space (fibers only): escnn's home for nn.Linear."""
    return gspaces.no_base_space(egroup.cyclic_group(C4_ORDER))


def regular_type(gspace: gspaces.GSpace, fields: int) -> enn.FieldType:
    """``fields`` copies of the regular representation of ``gspace``'s group."""
    return enn.FieldType(gspace, fields * [gspace.regular_repr])


class TransientExpansionMixin:
    """Keep escnn's eval-mode weight cache (``matrix``, ``filter``, ``expanded_bias``) out of
    the state dict.

    escnn's ``Linear`` and ``R2Conv`` store the expanded weights as buffers in eval mode and
    delete them in train mode, so ``state_dict`` keys would depend on the mode a checkpoint
    was written in.  This mixin marks those buffers non-persistent and re-expands them after
    ``load_state_dict`` when the module is in eval mode (so a loaded model never uses a stale
    cache).  Use it before the escnn class: ``class C(TransientExpansionMixin, enn.Linear)``.
    """

    _CACHE_BUFFERS = ("matrix", "filter", "expanded_bias")

    def _init_transient(self) -> None:
        self._mark_transient()
        self.register_load_state_dict_post_hook(_refresh_after_load)

    def _mark_transient(self) -> None:
        for name in self._CACHE_BUFFERS:
            if name in self._buffers:  # type: ignore[attr-defined]
                buf = self._buffers.pop(name)  # type: ignore[attr-defined]
                self.register_buffer(name, buf, persistent=False)  # type: ignore[attr-defined]

    def train(self, mode: bool = True):  # type: ignore[override]
        out = super().train(mode)  # type: ignore[misc]
        self._mark_transient()
        return out


def _refresh_after_load(module: nn.Module, incompatible_keys: Any) -> None:
    if not module.training:  # re-expand the cached weights from the loaded coefficients
        module.train(True)   # (escnn's R2Conv skips the expansion on eval() when already in eval)
        module.train(False)


class EscnnLinear(TransientExpansionMixin, enn.Linear):
    """escnn's ``nn.Linear`` with a mode-independent state dict and a private basis."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, recompute=True, **kwargs)
        self._init_transient()


class EscnnR2Conv(TransientExpansionMixin, enn.R2Conv):
    """escnn's ``R2Conv`` with a mode-independent state dict and a private basis.

    ``recompute=True``: escnn otherwise shares cached basis modules between all layers of all
    models in the process, so ``.double()`` / ``.to(device)`` on one model changes the others.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, recompute=True, **kwargs)
        self._init_transient()


class RegularLinear(nn.Module):
    """C4-equivariant linear map between regular fields, on tensors ``[..., fields, 4]``.

    Wraps escnn's ``nn.Linear`` (group convolution: 4 weights per pair of fields, one bias per
    output field shared over the group axis).  Initialisation: zero bias and random
    coefficients scaled so that the expanded matrix has entry std ``1 / sqrt(3 * fan_in)``,
    the std of ``torch.nn.Linear``'s default init and of SEN's ``C4Conv``.  (escnn's
    generalized He init loops over every basis element in Python: about 1 s per
    256 x 256-field layer.)  ``recompute=True`` gives every layer its own basis buffers:
    escnn otherwise shares one cached basis module between all layers of all models in the
    process, so ``.double()`` or ``.to(device)`` on one model would change the others.
    """

    def __init__(self, in_fields: int, out_fields: int, bias: bool = True):
        super().__init__()
        self.in_fields = check_positive_int("in_fields", in_fields)
        self.out_fields = check_positive_int("out_fields", out_fields)
        self.in_type = regular_type(c4_space(), in_fields)
        self.out_type = regular_type(c4_space(), out_fields)
        self.linear = EscnnLinear(self.in_type, self.out_type, bias=bias, initialize=False)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        coeffs = torch.randn_like(self.linear.weights)
        matrix = self.linear.basisexpansion(coeffs)
        target_std = 1.0 / math.sqrt(3.0 * self.in_fields * C4_ORDER)
        self.linear.weights.copy_(coeffs * (target_std / matrix.pow(2).mean().sqrt()))
        if self.linear.bias is not None:
            self.linear.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lead = x.shape[:-2]
        flat = x.reshape(-1, self.in_fields * C4_ORDER)
        out = self.linear(enn.GeometricTensor(flat, self.in_type)).tensor
        return out.view(*lead, self.out_fields, C4_ORDER)

    def extra_repr(self) -> str:
        return f"{self.in_fields} -> {self.out_fields} regular C4 fields"


class RegularLayerNorm(nn.Module):
    """LayerNorm over the field axis of ``[..., fields, 4]``, separately for each group index.

    The affine weight and bias are per field and shared over the group axis, so the layer
    commutes with the roll of the group axis (SEN's LayerNorm on ``[B, K, 4, hidden]``).
    """

    def __init__(self, fields: int, eps: float = 1e-5):
        super().__init__()
        self.fields = check_positive_int("fields", fields)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(fields))
        self.bias = nn.Parameter(torch.zeros(fields))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.layer_norm(x.transpose(-1, -2), (self.fields,), self.weight, self.bias, self.eps)
        return y.transpose(-1, -2)


class RegularMLP(nn.Sequential):
    """C-SWM's MLP shape on regular fields: Linear, ReLU, Linear, LayerNorm, ReLU, Linear."""

    def __init__(self, in_fields: int, hidden_fields: int, out_fields: int):
        super().__init__(
            RegularLinear(in_fields, hidden_fields), nn.ReLU(),
            RegularLinear(hidden_fields, hidden_fields), RegularLayerNorm(hidden_fields),
            nn.ReLU(),
            RegularLinear(hidden_fields, out_fields))



DILATED_BASES = ("equivariant", "escnn")


def steerable_conv(in_type: enn.FieldType, out_type: enn.FieldType, kernel_size: int,
                   dilated_basis: str = "equivariant", **kwargs: Any) -> enn.R2Conv:
    """``enn.R2Conv`` with escnn's generalized He initialisation, computed fast.

    escnn's ``generalized_he_init`` walks every basis element in Python (about 10 s for a
    181 x 181-field 3x3 layer).  When all input fields share one representation and all output
    fields share one, the variance of a weight only depends on its basis element within a
    (field, field) block and scales as ``1 / sqrt(number of input fields)``; so the variances
    of a one-field-to-one-field layer, tiled, give exactly escnn's initialisation.

    ``dilated_basis``: ``"equivariant"`` (ours, :func:`_dilated_basis`: a dilated kernel is
    the undilated one with its taps spread out, exactly equivariant, 48 parameters per D4
    regular field pair at any dilation) or ``"escnn"`` (the library's default basis, which
    the paper code used through e2cnn: more harmonics at larger dilations, the paper's
    parameter count within 1%, but not exactly equivariant beyond dilation 4).
    """
    if dilated_basis not in DILATED_BASES:
        raise ValueError(f"dilated_basis must be one of {DILATED_BASES}, got {dilated_basis!r}")
    if dilated_basis == "equivariant":
        kwargs = {**_dilated_basis(kernel_size, kwargs.get("dilation", 1)), **kwargs}
    conv = EscnnR2Conv(in_type, out_type, kernel_size, initialize=False, **kwargs)
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
        bn = getattr(self, f"batch_norm_[{size}]")
        if (self.training and bn.affine and x.dim() == 4 and x.device.type == "cpu"
                and bn.num_features <= FEW_CHANNELS
                and x.is_contiguous(memory_format=torch.channels_last)):
            # channels_last maps with few fields: wide-row reductions (CPU speed)
            y = channels_last_batch_norm(x, bn, inner=size)
            return enn.GeometricTensor(y.relu_(), self.out_type, input.coords)
        y = bn(x.view(x.shape[0], -1, size, *x.shape[2:]))
        return enn.GeometricTensor(F.relu(y, inplace=True).view(x.shape), self.out_type,
                                   input.coords)
