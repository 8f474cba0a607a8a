"""Memory-lean conv stacks at full image resolution: ``conv2d(relu(batch_norm(x)))`` that
keeps only ``x`` for backward (:func:`bn_relu_conv`), shared by the 3D Blocks embeddings of
``sen``, ``none`` and ``full``."""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from benchmark.models.batchnorm import (FEW_CHANNELS, batch_norm_grads, batch_stats,
                                        field_rows, normalise, update_running_stats)


class _BatchNormReLUConv(torch.autograd.Function):
    """``conv2d(relu(batch_norm(x)), weight, bias)`` that saves only ``x`` for backward.

    The memory trick: autograd would keep both the conv output ``x`` (for the batch norm) and
    the ReLU output ``y`` (for the ReLU and the next conv), two ``[B, C, 50, 50]`` float
    tensors per layer (327 MB each for ``sen`` at batch 1024, 655 MB for ``full``), the bulk
    of a Blocks training step's memory.  Here backward recomputes ``y = relu(bn(x))`` from
    ``x`` and the saved batch statistics (one elementwise pass; no conv is recomputed) and
    calls ATen's convolution and ReLU (threshold) backward kernels, as autograd would; the
    batch norm's statistics and gradients are the wide-row reductions of
    :mod:`benchmark.models.batchnorm` up to ``FEW_CHANNELS`` normalised columns (ATen's
    batch-norm kernels walk a channels_last map column by column, the largest cost of a
    Blocks step with few channels) and ATen's kernels above (faster there: the paper
    widths); its input gradient is assembled in place, which saves one more full-size
    allocation.  Values and gradients match the plain modules to float rounding, and unlike
    activation checkpointing nothing runs forward twice: the running statistics are updated
    exactly once, in forward, as the plain ``BatchNorm2d`` does.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, bn_weight: torch.Tensor, bn_bias: torch.Tensor,
                weight: torch.Tensor, bias: torch.Tensor | None, bn: Any, padding: Any,
                ) -> torch.Tensor:
        fields, eps = bn_weight.shape[0], bn.eps
        training = bn.training or bn.running_mean is None
        x = x.contiguous(memory_format=torch.channels_last)
        rows, layout = field_rows(x, fields)
        if training and fields > FEW_CHANNELS:   # many columns: ATen's kernel is faster
            z, mean, stat = torch.native_batch_norm(
                rows.view(-1, fields), bn_weight, bn_bias, bn.running_mean, bn.running_var,
                True, _momentum(bn), eps)
        else:
            if training:   # batch statistics (wide-row reductions, benchmark.models.batchnorm)
                mean, var = batch_stats(rows, layout)
                update_running_stats(bn, mean, var, rows.numel() // fields)
                stat = (var + eps).rsqrt()   # the batch's invstd
            else:          # eval mode: normalised with (a copy of) the running statistics
                mean, stat = bn.running_mean.clone(), bn.running_var.clone()
            invstd = stat if training else (stat + eps).rsqrt()
            z = normalise(rows, layout, mean, invstd, bn_weight, bn_bias)
        b, c, h, w = x.shape
        y = z.relu_().view(b, h, w, c).permute(0, 3, 1, 2)
        ctx.save_for_backward(x, bn_weight, bn_bias, weight, mean, stat)
        ctx.meta = (padding, bias is not None, eps, training)
        return F.conv2d(y, weight, bias, padding=padding)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, bn_weight, bn_bias, weight, mean, stat = ctx.saved_tensors
        padding, has_bias, eps, training = ctx.meta  # stat: batch invstd, or running var (eval)
        n, c, h, w = x.shape
        fields = bn_weight.shape[0]
        x_rows, layout = field_rows(x, fields)
        invstd = stat if training else (stat + eps).rsqrt()
        y = normalise(x_rows, layout, mean, invstd, bn_weight, bn_bias).relu_()  # again
        y = y.view(n, h, w, c).permute(0, 3, 1, 2)
        need = ctx.needs_input_grad
        grad_y, grad_weight, grad_bias = torch.ops.aten.convolution_backward(
            grad_out.contiguous(memory_format=torch.channels_last), y, weight,
            [weight.shape[0]] if has_bias else None, [1, 1], list(_pair(padding)), [1, 1],
            False, [0, 0], 1, [any(need[:3]), need[3], has_bias and need[4]])
        if not any(need[:3]):
            return None, None, None, grad_weight, grad_bias, None, None
        # ReLU backward into y's buffer; then batch-norm backward, grad_x formed in place:
        # a * (g - mean(g) - x_hat * mean(g * x_hat)) = a * g + k * x + k0, a = weight * invstd
        g, _ = field_rows(torch.ops.aten.threshold_backward.grad_input(grad_y, y, 0, grad_input=y),
                          fields)
        del grad_y
        if training and fields > FEW_CHANNELS:   # ATen's reductions, grad_x in place
            g = g.view(-1, fields)
            _, grad_bn_weight, grad_bn_bias = torch.ops.aten.native_batch_norm_backward(
                g, x_rows.view(-1, fields), bn_weight, None, None, mean, stat, True, eps,
                [False, True, True])
            grad_x = None
            if need[0]:
                scale = stat * bn_weight
                k = -scale * stat * grad_bn_weight / g.shape[0]
                k0 = -scale * grad_bn_bias / g.shape[0] - k * mean
                grad_x = torch.addcmul(k0, g, scale, out=g).addcmul_(x_rows.view(-1, fields), k)
        elif training:
            grad_x, grad_bn_weight, grad_bn_bias = batch_norm_grads(
                g, x_rows, mean, stat, bn_weight, layout, need[0], out=g)
        else:   # eval mode: y = x * scale + shift with constant statistics
            grad_bn_bias = layout.fold(g.sum(0))
            grad_bn_weight = (layout.fold((g * x_rows).sum(0)) - mean * grad_bn_bias) * invstd
            grad_x = g.mul_(layout.expand(invstd * bn_weight)) if need[0] else None
        if grad_x is not None:
            grad_x = grad_x.view(n, h, w, c).permute(0, 3, 1, 2)
        return grad_x, grad_bn_weight, grad_bn_bias, grad_weight, grad_bias, None, None


def _momentum(bn: nn.modules.batchnorm._BatchNorm) -> float:
    """The running-stats factor of one training forward of ``bn`` (counting the batch as
    ``_BatchNorm.forward`` does)."""
    if not bn.track_running_stats or bn.running_mean is None:
        return 0.0
    bn.num_batches_tracked.add_(1)  # type: ignore[union-attr, operator]
    return 1.0 / float(bn.num_batches_tracked) if bn.momentum is None else bn.momentum


def _pair(p: Any) -> tuple[int, int]:
    return (p, p) if isinstance(p, int) else tuple(p)  # type: ignore[return-value]


def bn_relu_conv(x: torch.Tensor, bn: nn.modules.batchnorm._BatchNorm, weight: torch.Tensor,
                 bias: torch.Tensor | None, padding: Any) -> torch.Tensor:
    """``conv2d(relu(bn(x)))`` with stride 1, keeping only ``x`` for backward
    (:class:`_BatchNormReLUConv`); ``x`` and the result are channels_last.

    ``bn`` may have fewer channels than ``x`` (escnn's InnerBatchNorm on regular fields):
    channel ``c`` of ``x`` is then normalised as channel ``c % bn.num_features``.
    """
    if x.shape[1] % bn.num_features:
        raise ValueError(f"{x.shape[1]} channels do not split into {bn.num_features} fields")
    if not bn.affine:
        raise ValueError("bn_relu_conv needs an affine batch norm")
    return _BatchNormReLUConv.apply(x, bn.weight, bn.bias, weight, bias, bn, padding)

