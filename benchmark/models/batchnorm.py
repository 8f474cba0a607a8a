"""Batch norm over channels_last feature maps with few channels, by wide row reductions.

ATen's CPU batch-norm kernels reduce a channels_last ``[B, C, H, W]`` map (memory: rows of
``C`` values, one per pixel) column by column; with ``C`` of 2 to 16 channels that is a
strided walk over the whole tensor per statistic, and it was the largest cost of a 3D Blocks
or Reacher training step at the default widths (``python -m benchmark.bench_training``;
``docs/performance.md``).  Here the same memory is viewed as rows of ``L = 64`` values
(``L / F`` pixels' worth of the ``F`` normalised columns) and every statistic is one sum over
dimension 0 of that contiguous ``[R, L]`` view, which vectorises; the ``L`` partial sums of a
column are added afterwards.  The variance is the two-pass ``mean((x - mean)^2)`` (no
``E[x^2] - mean^2`` cancellation).  The passes that would make a temporary of the map's size
(the centred squares, ``g * x``, the two-term input gradient) run over blocks of rows
(:data:`CHUNK_VALUES` values, :func:`row_blocks`), so each temporary stays in the core's cache
and the map is streamed from memory once per statistic instead of three times.  Values equal
ATen's to float rounding (the blocked sums equal the whole-map ones bit for bit at every
default-profile shape with torch 2.13, whose sums add rows in blocks of 16^k); the running
statistics follow ``torch.nn.BatchNorm2d`` (unbiased variance, ``momentum``, or the
cumulative average when ``momentum`` is None).

``fields`` may be fewer than the channels (escnn's ``InnerBatchNorm`` on regular fields):
channel ``c`` is then normalised as column ``c % fields``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.autograd.function import once_differentiable

#: width of the rows every statistic is reduced over (a multiple of the normalised columns)
ROW_WIDTH = 64
#: values per block of the blocked passes: 1 MiB of float32, 4096 rows of 64 (a block and
#: its temporary stay in cache; 2^16 to 2^20 measured alike within noise, docs/performance.md)
CHUNK_VALUES = 2 ** 18


@dataclass(frozen=True)
class FieldLayout:
    """Which normalised column each value of a :func:`field_rows` view belongs to.

    Channel ``c`` belongs to column ``(c // inner) % fields``: ``inner = 1`` for channels
    interleaved by column (``c % fields``, the C4 maps of ``benchmark.models.c4``), ``inner
    = |G|`` for escnn's regular fields (channel ``c`` in field ``c // |G|``); ``repeat``
    such units of ``fields * inner`` values make one row.
    """

    fields: int
    inner: int
    repeat: int

    def fold(self, row_sums: torch.Tensor) -> torch.Tensor:
        """The ``[L]`` column sums of a row view, added per normalised column."""
        return row_sums.view(-1, self.fields, self.inner).sum((0, 2))

    def expand(self, per_field: torch.Tensor) -> torch.Tensor:
        """A per-column ``[fields]`` vector laid out along a row, ``[L]``."""
        return per_field.repeat_interleave(self.inner).repeat(self.repeat)


def field_rows(x: torch.Tensor, fields: int, inner: int = 1,
               ) -> tuple[torch.Tensor, FieldLayout]:
    """``x`` (``[B, C, H, W]``, made channels_last) as a contiguous ``[R, L]`` view, and
    the :class:`FieldLayout` of its columns."""
    x = x.contiguous(memory_format=torch.channels_last)
    unit = fields * inner
    n = x.numel() // unit
    repeat = math.gcd(n, max(1, ROW_WIDTH // unit))
    return (x.permute(0, 2, 3, 1).reshape(n // repeat, repeat * unit),
            FieldLayout(fields, inner, repeat))


def row_blocks(rows: torch.Tensor) -> list[slice]:
    """Consecutive row ranges of a ``[R, L]`` view, :data:`CHUNK_VALUES` values each (the
    last one shorter)."""
    step = max(1, CHUNK_VALUES // rows.shape[1])
    return [slice(i, i + step) for i in range(0, rows.shape[0], step)]


def batch_stats(rows: torch.Tensor, layout: FieldLayout) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, biased variance) per normalised column of a :func:`field_rows` view."""
    n = rows.numel() // layout.fields
    mean = layout.fold(rows.sum(0)) / n
    shift = layout.expand(mean)
    blocks = row_blocks(rows)
    buf = rows.new_empty(rows[blocks[0]].shape)
    squares = rows.new_zeros(rows.shape[1])
    for b in blocks:   # sum of (x - mean)^2, block by block (the temporary stays in cache)
        block = rows[b]
        squares.add_(torch.sub(block, shift, out=buf[:block.shape[0]]).square_().sum(0))
    return mean, layout.fold(squares) / n


def update_running_stats(bn: nn.modules.batchnorm._BatchNorm, mean: torch.Tensor,
                         var: torch.Tensor, n: int) -> None:
    """``bn``'s running statistics after one training batch of ``n`` values per column, as
    ``torch.nn.BatchNorm2d`` updates them (unbiased variance)."""
    if not (bn.training and bn.track_running_stats) or bn.running_mean is None:
        return
    bn.num_batches_tracked.add_(1)  # type: ignore[union-attr, operator]
    factor = 1.0 / float(bn.num_batches_tracked) if bn.momentum is None else bn.momentum
    with torch.no_grad():
        bn.running_mean.mul_(1 - factor).add_(mean, alpha=factor)
        bn.running_var.mul_(1 - factor).add_(var * (n / max(n - 1, 1)), alpha=factor)


def normalise(rows: torch.Tensor, layout: FieldLayout, mean: torch.Tensor,
              invstd: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
              out: torch.Tensor | None = None) -> torch.Tensor:
    """``(x - mean) * invstd * weight + bias`` on a row view, in one fused pass."""
    scale = weight * invstd
    return torch.addcmul(layout.expand(bias - mean * scale), rows, layout.expand(scale),
                         out=out)


def batch_norm_grads(grad_rows: torch.Tensor, rows: torch.Tensor, mean: torch.Tensor,
                     invstd: torch.Tensor, weight: torch.Tensor, layout: FieldLayout,
                     need_input: bool, out: torch.Tensor | None = None,
                     ) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
    """Backward of training-mode batch norm on :func:`field_rows` views: (grad_x rows or
    None, grad_weight, grad_bias).  ``grad_x = a g + k x + k0`` with ``a = weight * invstd``
    (the standard formula, rearranged so that one fused pass forms it); ``out`` may be
    ``grad_rows`` itself to form it in place."""
    n = rows.numel() // layout.fields
    blocks = row_blocks(rows)
    buf = rows.new_empty(rows[blocks[0]].shape)
    sum_g, sum_gx = rows.new_zeros(rows.shape[1]), rows.new_zeros(rows.shape[1])
    for b in blocks:   # sums of g and g * x, block by block
        g = grad_rows[b]
        sum_g.add_(g.sum(0))
        sum_gx.add_(torch.mul(g, rows[b], out=buf[:g.shape[0]]).sum(0))
    sum_g, sum_gx = layout.fold(sum_g), layout.fold(sum_gx)
    grad_bias = sum_g
    grad_weight = (sum_gx - mean * sum_g) * invstd
    if not need_input:
        return None, grad_weight, grad_bias
    a = weight * invstd
    k = -a * invstd * grad_weight / n
    k0 = -a * grad_bias / n - k * mean
    grad_x = torch.empty_like(grad_rows) if out is None else out
    k0, a, k = layout.expand(k0), layout.expand(a), layout.expand(k)
    for b in blocks:   # both terms while the block is in cache
        torch.addcmul(k0, grad_rows[b], a, out=grad_x[b]).addcmul_(rows[b], k)
    return grad_x, grad_weight, grad_bias


class _ChannelsLastBatchNorm(torch.autograd.Function):
    """Training-mode batch norm of a channels_last map by :func:`batch_stats`."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                bn: Any, inner: int) -> torch.Tensor:
        rows, layout = field_rows(x, weight.shape[0], inner)
        mean, var = batch_stats(rows, layout)
        update_running_stats(bn, mean, var, rows.numel() // layout.fields)
        invstd = (var + bn.eps).rsqrt()
        y = torch.empty_like(x, memory_format=torch.channels_last)   # not a view: a ReLU
        normalise(rows, layout, mean, invstd, weight, bias,           # may write into it
                  out=field_rows(y, layout.fields, inner)[0])
        ctx.save_for_backward(rows, weight, mean, invstd)
        ctx.meta = (layout, x.shape)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        rows, weight, mean, invstd = ctx.saved_tensors
        layout, (b, c, h, w) = ctx.meta
        grad_rows, _ = field_rows(grad_out, layout.fields, layout.inner)
        grad_x, grad_weight, grad_bias = batch_norm_grads(
            grad_rows, rows, mean, invstd, weight, layout, ctx.needs_input_grad[0])
        if grad_x is not None:
            grad_x = grad_x.view(b, h, w, c).permute(0, 3, 1, 2)
        return grad_x, grad_weight, grad_bias, None, None


def channels_last_batch_norm(x: torch.Tensor, bn: nn.modules.batchnorm._BatchNorm,
                             inner: int = 1) -> torch.Tensor:
    """Training-mode ``bn`` (affine, ``F`` features) of a ``[B, C, H, W]`` CPU map whose
    channel ``c`` is feature ``(c // inner) % F``; a channels_last result."""
    return _ChannelsLastBatchNorm.apply(x, bn.weight, bn.bias, bn, inner)


#: channel counts up to which the wide-row reductions beat ATen's channels_last kernel
#: (measured on a 2-core AVX512 CPU: 1.8x faster at 8 channels, 1.9x slower at 16)
FEW_CHANNELS = 8


class ChannelsLastBatchNorm2d(nn.BatchNorm2d):
    """``torch.nn.BatchNorm2d`` (same parameters, buffers and state dict) whose training
    forward on a channels_last CPU input with at most :data:`FEW_CHANNELS` channels uses the
    wide-row reductions of this module; other inputs and eval mode use ATen's kernel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (self.training and self.affine and x.dim() == 4 and x.shape[1] == self.num_features
                and self.num_features <= FEW_CHANNELS
                and x.device.type == "cpu"
                and x.is_contiguous(memory_format=torch.channels_last)):
            return channels_last_batch_norm(x, self)
        return super().forward(x)


def channels_last_batch_norms(module: nn.Module) -> nn.Module:
    """``module`` with every plain ``nn.BatchNorm2d`` swapped (in place) for a
    :class:`ChannelsLastBatchNorm2d` holding the same parameters and buffers."""
    for name, child in module.named_children():
        if type(child) is nn.BatchNorm2d:
            fast = ChannelsLastBatchNorm2d(child.num_features, child.eps, child.momentum,
                                           child.affine, child.track_running_stats)
            fast.load_state_dict(child.state_dict())
            fast.train(child.training)
            setattr(module, name, fast.to(child.weight.device if child.affine else "cpu"))
        else:
            channels_last_batch_norms(child)
    return module


def as_channels_last(x: torch.Tensor) -> torch.Tensor:
    """A 4D map in channels_last memory (mkldnn's fast convolution layout on CPU)."""
    return x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 else x


class ChannelsLastSequential(nn.Sequential):
    """``nn.Sequential`` (same state dict) that runs its layers on channels_last memory and
    returns a contiguous result: mkldnn's convolutions with few channels are up to twice as
    fast in that layout on the CPU, and its batch norms are :class:`ChannelsLastBatchNorm2d`
    (plain ``nn.BatchNorm2d`` given to the constructor are swapped for them)."""

    def __init__(self, *layers: nn.Module):
        super().__init__(*layers)
        channels_last_batch_norms(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(as_channels_last(x)).contiguous()


__all__ = ["ChannelsLastBatchNorm2d", "ChannelsLastSequential", "FieldLayout",
           "as_channels_last", "batch_norm_grads", "batch_stats", "channels_last_batch_norm",
           "channels_last_batch_norms", "field_rows", "normalise", "row_blocks",
           "update_running_stats"]
