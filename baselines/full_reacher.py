"""``full`` on Reacher: every part D4-equivariant, assuming rotations act on the pixels.

``S`` is an escnn steerable CNN with the geometry of SEN's dilated ``S`` (4 x 4 stride-2 first
and last layers, 3 x 3 layers with dilations 2 ... 32): its input is the 6 image channels as
trivial fields, i.e. it assumes the twin's rotation is a rotation of the image, and its output
is ``embed_fields`` regular D4 fields on the 31 x 31 grid.  ``E`` and ``T`` are SEN's
(:mod:`benchmark.models.reacher`) with ``E`` taking those regular fields.  Widths follow the
original code (``scripts/reacher.sl``, "fully equivariant": S hidden 6 regular fields, S output
8 regular fields, E and T 181 regular fields).
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from benchmark.hparams import widths
from benchmark.models.batchnorm import as_channels_last
from benchmark.models.escnn_layers import (InnerBatchNormReLU, enn, gspaces, regular_type,
                                           steerable_conv)
from benchmark.models.reacher import (ACTION_DIM, DILATIONS, OBS_CHANNELS, ReacherSEN,
                                      stride2_geometry)
from benchmark.registry import register_method


class SteerableDilatedEmbedding(nn.Module):
    """Equivariant ``S``: 7 steerable convs, ``in_channels`` trivial fields -> regular fields."""

    def __init__(self, gspace: gspaces.GSpace2D, in_channels: int = OBS_CHANNELS,
                 hidden: Sequence[int] = (6,) * 6, out_fields: int = 8, kernel: int = 3,
                 dilated_basis: str = "escnn"):
        super().__init__()
        hidden = widths(hidden, 6, "embedding_hidden")
        t = [regular_type(gspace, h) for h in hidden]
        self.in_type = enn.FieldType(gspace, in_channels * [gspace.trivial_repr])
        self.out_type = regular_type(gspace, out_fields)
        first_pad, last_pad = stride2_geometry(kernel)
        layers: list[enn.EquivariantModule] = [
            steerable_conv(self.in_type, t[0], kernel, stride=2, padding=first_pad),
            InnerBatchNormReLU(t[0])]
        for i, d in enumerate(DILATIONS):
            layers += [steerable_conv(t[i], t[i + 1], 3, dilated_basis, dilation=d, padding=d),
                       InnerBatchNormReLU(t[i + 1])]
        layers.append(steerable_conv(t[5], self.out_type, kernel, stride=2, padding=last_pad))
        self.net = enn.SequentialModule(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """On channels_last memory inside (mkldnn's fast layout with few channels on the
        CPU, and batch norms by wide-row reductions); a contiguous result."""
        return self.net(enn.GeometricTensor(as_channels_last(x), self.in_type)).tensor.contiguous()


@register_method("full", envs=("reacher",))
class ReacherFull(ReacherSEN):
    """Fully D4-equivariant Reacher world model (``S``, ``E`` and ``T`` steerable).

    SEN's model (:class:`benchmark.models.reacher.ReacherSEN`) with ``S`` replaced by a
    steerable CNN (built through SEN's constructor, :meth:`ReacherSEN._build_embedding`).
    Hyper-parameters: ``embedding_hidden`` (6 widths of S, in regular fields),
    ``embedding_fields`` (regular fields of S's output), ``dilated_basis`` (``"escnn"``, the
    library default the paper code used: its parameter count; ``"equivariant"``: ours,
    exactly equivariant dilated kernels, see
    :func:`benchmark.models.escnn_layers.steerable_conv`), ``embedding_kernel``,
    ``encoder_hidden``, ``latent_dim``, ``transition_hidden``, ``group_order``, ``gamma``,
    ``sigma`` (as in ``sen``).
    """

    def __init__(self, env: str = "reacher", *, embedding_hidden: Sequence[int] = (6,) * 6,
                 embedding_fields: int = 8, dilated_basis: str = "escnn", **hparams: Any):
        self.dilated_basis = dilated_basis
        super().__init__(env, embedding_hidden=embedding_hidden,
                         embedding_channels=embedding_fields, embedding_repr="regular", **hparams)

    def _build_embedding(self, hidden: Sequence[int], out: int, repr_name: str,
                         ) -> tuple[nn.Module, enn.FieldType]:
        """S: the steerable dilated CNN with ``out`` regular output fields."""
        embedding = SteerableDilatedEmbedding(self.gspace, OBS_CHANNELS, hidden, out,
                                              self.embedding_kernel, self.dilated_basis)
        return embedding, embedding.out_type

    def describe(self) -> dict[str, Any]:
        n = self.gspace.fibergroup.rotation_order
        return {
            "group": f"D{n} (escnn flipRot2dOnR2(N={n})) acting on the image plane",
            "embedding": f"{len(self.embedding_type)} regular D{n} fields on a 31x31 grid, "
                         "from a steerable CNN whose input is the 6 image channels as trivial "
                         "fields (assumes the symmetry rotates the pixels)",
            "latent": f"{len(self.encoder.out_type)} regular D{n} fields "
                      f"({self.encoder.out_type.size}-vector)",
            "action": f"{ACTION_DIM} quotient D{n}/C{n} fields (tau, -tau)",
            "transition": "D4-equivariant 1x1-R2Conv MLP, delta prediction",
        }
