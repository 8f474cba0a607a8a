"""The wide-row batch norms (benchmark/models/batchnorm.py) against torch's and escnn's own."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from benchmark.models import batchnorm
from benchmark.models.batchnorm import (ChannelsLastBatchNorm2d, ChannelsLastSequential,
                                        channels_last_batch_norm)
from benchmark.models.escnn_layers import InnerBatchNormReLU, enn, gspaces, regular_type


def _cl(x: torch.Tensor) -> torch.Tensor:
    return x.contiguous(memory_format=torch.channels_last)


def _run(module: nn.Module, x: torch.Tensor, grad: torch.Tensor):
    x = x.clone().requires_grad_()
    y = module(x)
    y.backward(grad)
    return y.detach(), x.grad


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("shape", [(6, 8, 9, 7), (4, 3, 10, 10), (2, 1, 5, 5)])
def test_channels_last_batch_norm_equals_torch(shape, momentum):
    gen = torch.Generator().manual_seed(0)
    ref = nn.BatchNorm2d(shape[1], momentum=momentum)
    with torch.no_grad():
        ref.weight.uniform_(0.5, 1.5, generator=gen)
        ref.bias.uniform_(-1, 1, generator=gen)
    fast = ChannelsLastBatchNorm2d(shape[1], momentum=momentum)
    fast.load_state_dict(ref.state_dict())
    for _ in range(2):   # two batches: running statistics accumulate alike
        x = _cl(torch.randn(shape, generator=gen) * 3 + 2)
        g = _cl(torch.randn(shape, generator=gen))
        y_ref, gx_ref = _run(ref, x, g)
        y, gx = _run(fast, x, g)
        assert y.is_contiguous(memory_format=torch.channels_last)
        torch.testing.assert_close(y, y_ref, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(gx, gx_ref, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(fast.weight.grad, ref.weight.grad, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(fast.bias.grad, ref.bias.grad, rtol=1e-4, atol=1e-4)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        torch.testing.assert_close(getattr(fast, name), getattr(ref, name))
    fast.eval(), ref.eval()   # eval mode: ATen's kernel on the same running statistics
    x = _cl(torch.randn(shape, generator=gen))
    torch.testing.assert_close(fast(x), ref(x))


def test_regular_fields_layout_equals_batch_norm_3d():
    """Channel c in field c // |G| (escnn's regular fields): the 3D batch norm over
    [B, fields, |G|, H, W] that escnn's InnerBatchNorm runs."""
    gen = torch.Generator().manual_seed(1)
    fields, group = 2, 8
    ref = nn.BatchNorm3d(fields)
    fast = nn.BatchNorm3d(fields)
    x = _cl(torch.randn(4, fields * group, 6, 6, generator=gen) + 1)
    g = _cl(torch.randn(4, fields * group, 6, 6, generator=gen))
    xr = x.clone().requires_grad_()
    ref(xr.view(4, fields, group, 6, 6)).view(4, fields * group, 6, 6).backward(g)
    xf = x.clone().requires_grad_()
    y = channels_last_batch_norm(xf, fast, inner=group)
    y.backward(g)
    ref2 = nn.BatchNorm3d(fields)
    torch.testing.assert_close(y.detach(), ref2(x.view(4, fields, group, 6, 6)).reshape(x.shape),
                               rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(xf.grad, xr.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(fast.weight.grad, ref.weight.grad, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(fast.running_var, ref.running_var)


def test_inner_batch_norm_relu_fast_path_matches_escnn_and_is_equivariant():
    gs = gspaces.flipRot2dOnR2(N=4)
    ftype = regular_type(gs, 2)
    torch.manual_seed(0)
    fast, ref = InnerBatchNormReLU(ftype), InnerBatchNormReLU(ftype)
    ref.load_state_dict(fast.state_dict())
    x = torch.randn(3, ftype.size, 7, 7)
    y_ref = ref(enn.GeometricTensor(x, ftype)).tensor   # contiguous: escnn's path
    y = fast(enn.GeometricTensor(_cl(x), ftype)).tensor  # channels_last: wide rows
    torch.testing.assert_close(y, y_ref, rtol=1e-5, atol=1e-5)
    # train-mode equivariance (batch statistics): f(g.x) = g.f(x) for every element of D4
    for element in gs.testing_elements:
        gx = enn.GeometricTensor(x, ftype).transform(element).tensor
        lhs = fast(enn.GeometricTensor(_cl(gx), ftype)).tensor
        rhs = enn.GeometricTensor(y, ftype).transform(element).tensor
        torch.testing.assert_close(lhs, rhs, rtol=1e-5, atol=1e-5)


def test_channels_last_sequential_keeps_the_state_dict_and_values():
    torch.manual_seed(0)
    layers = [nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(inplace=True),
              nn.Conv2d(4, 2, 3, padding=1)]
    plain = nn.Sequential(*layers)
    state = {k: v.clone() for k, v in plain.state_dict().items()}
    fast = ChannelsLastSequential(*layers)
    assert isinstance(fast[1], ChannelsLastBatchNorm2d)
    assert fast.state_dict().keys() == state.keys()
    fresh = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(inplace=True),
                          nn.Conv2d(4, 2, 3, padding=1))
    fresh.load_state_dict(state)
    x = torch.randn(5, 3, 8, 8)
    y = fast(x)
    assert y.is_contiguous()
    torch.testing.assert_close(y, fresh(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("block_rows", [1, 4, 1000])
def test_blocked_passes_equal_the_whole_map_formulas(monkeypatch, block_rows):
    """batch_stats and batch_norm_grads run over blocks of rows (the last one shorter); each
    row is used exactly once, and the statistics and gradients are the whole-map formulas',
    computed here in float64 (8 channels in 2 regular fields of 4, 105 rows of 8 values)."""
    monkeypatch.setattr(batchnorm, "CHUNK_VALUES", 8 * block_rows)
    gen = torch.Generator().manual_seed(0)
    x = _cl(torch.randn(3, 8, 7, 5, generator=gen) * 2 + 1)
    rows, layout = batchnorm.field_rows(x, 2, inner=4)
    assert rows.shape == (105, 8)
    covered = torch.cat([torch.arange(105)[b] for b in batchnorm.row_blocks(rows)])
    assert torch.equal(covered, torch.arange(105))
    n = rows.numel() // 2
    r64 = rows.double()
    mean64 = layout.fold(r64.sum(0)) / n
    var64 = layout.fold(((r64 - layout.expand(mean64)) ** 2).sum(0)) / n
    mean, var = batchnorm.batch_stats(rows, layout)
    torch.testing.assert_close(mean.double(), mean64, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(var.double(), var64, rtol=1e-6, atol=1e-6)

    g = torch.randn(rows.shape, generator=gen)
    weight = torch.tensor([0.7, 1.3])
    invstd = (var + 1e-5).rsqrt()
    grad_x, grad_w, grad_b = batchnorm.batch_norm_grads(g, rows, mean, invstd, weight, layout,
                                                        need_input=True)
    g64, inv64, w64 = g.double(), invstd.double(), weight.double()
    xhat = (r64 - layout.expand(mean.double())) * layout.expand(inv64)
    gb64 = layout.fold(g64.sum(0))
    gw64 = layout.fold((g64 * xhat).sum(0))
    gx64 = layout.expand(w64 * inv64) * (g64 - layout.expand(gb64 / n)
                                         - xhat * layout.expand(gw64 / n))
    torch.testing.assert_close(grad_b.double(), gb64, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(grad_w.double(), gw64, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(grad_x.double(), gx64, rtol=1e-5, atol=1e-5)
    g_buffer = g.clone()   # formed in place (out=grad_rows, as the fused Blocks layers do)
    in_place, _, _ = batchnorm.batch_norm_grads(g_buffer, rows, mean, invstd, weight, layout,
                                                need_input=True, out=g_buffer)
    assert in_place.data_ptr() == g_buffer.data_ptr()
    torch.testing.assert_close(in_place, grad_x, rtol=0, atol=0)
