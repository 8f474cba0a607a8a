"""The "Full" baseline on the grid worlds: everything equivariant, pixel rotation assumed.

S is replaced by an escnn steerable CNN on ``gspaces.rot2dOnR2(N=4)`` from the image (3
trivial fields) to the five object masks (5 trivial fields), so ``S(rot90(img, k)) ==
rot90(S(img), k)`` exactly: it assumes the group acts on the pixels by rotation.  For 2D
Shapes that is true; for 3D Blocks (perspective camera) it is wrong, which is the point of
the baseline.  E and T are SEN's (:class:`benchmark.models.grid.GridSEN`).

* Shapes: R2Conv 10x10 stride 10 (one grid cell; even kernels are equivariant to 1e-6 here
  because the 50x50 image splits into whole cells), InnerBatchNorm, ReLU, 1x1 R2Conv, sigmoid.
* Blocks: SEN's ``CubesEmbedding_E2`` (four 3x3 R2Convs at full resolution, InnerBatchNorm,
  ReLU) to 5 trivial fields, a sigmoid, then average pooling to ``mask_size`` x ``mask_size``
  masks as SEN's S; trained through the memory-lean
  :func:`benchmark.models.fused.bn_relu_conv` links.

``embedding_hidden`` counts regular fields (16 in the paper, i.e. 64 channels).
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from benchmark.models.checks import check_positive_int
from benchmark.models.escnn_layers import EscnnR2Conv as _R2Conv
from benchmark.models.escnn_layers import enn, gspaces
from benchmark.models.fused import bn_relu_conv
from benchmark.models.grid import GridSEN
from benchmark.models.grid_embeddings import (GRID_ENVS, GRID_SIZE, IMAGE_CHANNELS, IMAGE_SIZE,
                                              NUM_OBJECTS, grid_mask_size)
from benchmark.registry import register_method

__all__ = ["SteerableGridEmbedding", "GridFull"]


class SteerableGridEmbedding(nn.Module):
    """C4-steerable CNN ``[B, 3, 50, 50] -> [B, K, m, m]``, equivariant to ``torch.rot90``."""

    def __init__(self, env: str, hidden_fields: int = 16, num_objects: int = NUM_OBJECTS,
                 mask_size: int | None = None):
        super().__init__()
        self.mask_size = grid_mask_size(env, mask_size)
        check_positive_int("embedding_hidden", hidden_fields)
        self.num_objects = check_positive_int("num_objects", num_objects)
        space = gspaces.rot2dOnR2(N=4)
        self.in_type = enn.FieldType(space, IMAGE_CHANNELS * [space.trivial_repr])
        hid = enn.FieldType(space, hidden_fields * [space.regular_repr])
        out = enn.FieldType(space, num_objects * [space.trivial_repr])
        cell = IMAGE_SIZE // GRID_SIZE
        if env == "shapes":
            layers = [_R2Conv(self.in_type, hid, cell, stride=cell), enn.InnerBatchNorm(hid),
                      enn.ReLU(hid, inplace=True), _R2Conv(hid, out, 1)]
        else:
            layers, ftype = [], self.in_type
            for _ in range(3):
                layers += [_R2Conv(ftype, hid, 3, padding=1), enn.InnerBatchNorm(hid),
                           enn.ReLU(hid, inplace=True)]
                ftype = hid
            layers += [_R2Conv(hid, out, 3, padding=1)]
        self.net = enn.SequentialModule(*layers)
        self.env = env
        # hidden channels (rotation, field) <- escnn's (field, rotation): see _blocks_forward
        order = torch.arange(hid.size).view(hidden_fields, -1).t().reshape(-1)
        self.register_buffer("channel_order", order, persistent=False)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        if self.env == "blocks":
            pool = IMAGE_SIZE // self.mask_size
            return F.avg_pool2d(torch.sigmoid(self._blocks_forward(obs)), pool).contiguous()
        return torch.sigmoid(self.net(enn.GeometricTensor(obs, self.in_type)).tensor)

    def _blocks_forward(self, obs: torch.Tensor) -> torch.Tensor:
        """``self.net`` on Blocks, computed with the memory-lean :func:`bn_relu_conv` links
        (only the conv outputs are kept for backward) on channels_last tensors.

        InnerBatchNorm shares the statistics of a regular field over its 4 channels.  The
        hidden channels are reordered from escnn's field-major order ``(field, rotation)`` to
        ``(rotation, field)`` (the expanded filters are permuted to match; the first and last
        layers' fields are trivial), so a channels_last tensor is a ``[B * H * W * 4, fields]``
        matrix whose columns are the fields: a plain, fast batch norm over its rows.
        """
        mods = list(self.net)
        convs, bns = mods[0:10:3], mods[1:10:3]
        filters = [conv.expand_parameters() if conv.training else (conv.filter, conv.expanded_bias)
                   for conv in convs]
        perm = self.channel_order
        filters = ([(filters[0][0][perm], filters[0][1][perm])]
                   + [(f[perm][:, perm], b[perm]) for f, b in filters[1:-1]]
                   + [(filters[-1][0][:, perm], filters[-1][1])])
        x = F.conv2d(obs.contiguous(memory_format=torch.channels_last), *filters[0],
                     padding=convs[0].padding)
        for ibn, conv, (weight, bias) in zip(bns, convs[1:], filters[1:]):
            x = bn_relu_conv(x, getattr(ibn, "batch_norm_[4]"), weight, bias, conv.padding)
        return x


@register_method("full", envs=GRID_ENVS)
class GridFull(GridSEN):
    """Full: SEN's E and T with a pixel-rotation-equivariant steerable CNN as S."""

    def __init__(self, env: str, *, embedding_hidden: int = 16, **hparams: Any):
        super().__init__(env, embedding_hidden=embedding_hidden, **hparams)

    def _build_embedding(self, hidden: int, mask_size: int | None) -> nn.Module:
        return SteerableGridEmbedding(self.env, hidden, self.num_objects, mask_size)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        m = self.embedding.mask_size
        info["embedding"] = (f"{self.num_objects} object masks [B, {self.num_objects}, {m}, {m}]; "
                             "C4 rotates each mask (torch.rot90, dims -2, -1); "
                             "S is an escnn C4-steerable CNN (rot2dOnR2(N=4)), exactly equivariant "
                             "to pixel rotation: S(rot90(x, g)) = rot90(S(x), g)")
        return info
