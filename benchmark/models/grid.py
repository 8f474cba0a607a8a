"""SEN world models for the grid worlds (2D Shapes, 3D Blocks) and their reusable C4 x S5 pieces.

The symmetry group is C4 x S5: C4 rotates the 5x5 grid by multiples of 90 degrees, S5
permutes the five object slots.  The model splits into (SPEC section 3):

* ``S`` (:class:`ShapesEmbedding` / :class:`BlocksEmbedding`): an unconstrained CNN from the
  50x50 RGB image to five object masks, ``V = R^{5 x m x m}`` (2D Shapes: the 5x5 grid,
  ``m = 5``; 3D Blocks: ``m = mask_size``, 10 by default, pooled from full-resolution maps).
  C4 acts on ``V`` by rotating every mask (``torch.rot90`` on the last two dims,
  :func:`rotate_grid`), S5 by permuting the mask channels.  Blocks' full-resolution CNN keeps
  half the activations for backward (:func:`bn_relu_conv`, shared with the Full baseline).
* ``E`` (:class:`C4ObjectEncoder`): a per-object group-convolution MLP.  Each mask is stacked
  along its C4 orbit (:func:`orbit_stack`), which turns it into regular C4 fields; the latent
  of one object is ``latent_dim`` regular fields, shape ``[B, K, latent_dim, 4]``.
* ``T`` (:class:`ObjectGNN` with :class:`RegularMLP` edge and node networks): the C-SWM graph
  network over the K objects with C4-equivariant linear layers; the action is a one-hot of the
  direction in the regular representation, attached to the acting object's node.

Representation conventions (shared with the baselines and the tests)
--------------------------------------------------------------------
* Group element ``g = k`` is the scene rotated by ``k * 90`` degrees counter-clockwise,
  i.e. ``torch.rot90(img, k, dims=(-2, -1))``; on masks the same ``torch.rot90``.
* Regular fields follow escnn's ``cyclic_group(4).regular_representation``:
  ``rho(k) e_i = e_{i+k}``, so ``g = k`` acts on a ``[..., 4]`` fiber as
  ``torch.roll(x, k, dims=-1)`` (:func:`roll_regular`).  The orbit stack is built with
  ``rot90(m, -i)`` so that rotating the mask by ``k`` rolls it by ``+k``.
* Grid action ``a = object * 4 + d`` with ``d`` counter-clockwise (0 up, 1 left, 2 down,
  3 right); rotating the scene by ``k`` maps ``d -> (d + k) % 4`` (:func:`rotate_action`),
  which is the same roll of the one-hot.

The C4 linear layers are escnn's ``nn.Linear`` on ``gspaces.no_base_space(cyclic_group(4))``
with regular field types (as fast as a dense ``torch.nn.Linear`` of the same size on CPU).
escnn caches its expanded matrix as a buffer in eval mode only, which makes ``state_dict``
keys depend on the train/eval mode; :class:`TransientExpansionMixin` keeps that cache out of
the state dict and refreshes it after ``load_state_dict``.
"""
from __future__ import annotations

import math
import warnings
from functools import lru_cache
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

with warnings.catch_warnings():  # escnn warns about the optional py3nj at import time
    warnings.simplefilter("ignore")
    from escnn import group as egroup
    from escnn import gspaces
    from escnn import nn as enn

from benchmark.registry import WorldModel, register_method

GRID_ENVS = ("shapes", "blocks")
NUM_OBJECTS = 5
NUM_DIRECTIONS = 4
GRID_SIZE = 5
IMAGE_SIZE = 50
IMAGE_CHANNELS = 3
C4_ORDER = 4

__all__ = [
    "GRID_ENVS", "NUM_OBJECTS", "NUM_DIRECTIONS", "GRID_SIZE", "IMAGE_SIZE",
    "check_positive_int", "check_grid_env", "check_obs", "check_action",
    "c4_space", "regular_type", "TransientExpansionMixin", "RegularLinear", "RegularLayerNorm",
    "RegularMLP", "plain_mlp", "orbit_indices", "orbit_stack", "rotate_grid", "roll_regular",
    "rotate_action", "action_one_hot", "ObjectGNN", "ShapesEmbedding", "BlocksEmbedding",
    "make_grid_embedding", "C4ObjectEncoder", "GridWorldModel", "GridSEN",
]


# --------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------
def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` if it is a positive int, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def check_grid_env(env: str) -> str:
    if env not in GRID_ENVS:
        raise ValueError(f"grid-world models support envs {GRID_ENVS}, got {env!r}")
    return env


def check_obs(obs: torch.Tensor) -> None:
    """Grid observations are float ``[B, 3, 50, 50]``."""
    expected = (IMAGE_CHANNELS, IMAGE_SIZE, IMAGE_SIZE)
    if not torch.is_tensor(obs) or obs.dim() != 4 or tuple(obs.shape[1:]) != expected:
        shape = tuple(obs.shape) if torch.is_tensor(obs) else type(obs).__name__
        raise ValueError(f"grid observations must be [B, {expected[0]}, {expected[1]}, "
                         f"{expected[2]}], got {shape}")
    if not obs.is_floating_point():
        raise ValueError(f"grid observations must be floating point in [0, 1], got {obs.dtype}")


def check_action(action: torch.Tensor, batch_size: int, num_objects: int) -> None:
    """Grid actions are integer ``[B]`` in ``[0, num_objects * 4)``."""
    if not torch.is_tensor(action) or action.shape != (batch_size,):
        shape = tuple(action.shape) if torch.is_tensor(action) else type(action).__name__
        raise ValueError(f"grid actions must be an int tensor of shape [{batch_size}], got {shape}")
    if action.is_floating_point() or action.is_complex() or action.dtype == torch.bool:
        raise ValueError(f"grid actions must be integers, got {action.dtype}")
    n_actions = num_objects * NUM_DIRECTIONS
    if action.numel() and (int(action.min()) < 0 or int(action.max()) >= n_actions):
        raise ValueError(f"grid actions must lie in [0, {n_actions}), "
                         f"got range [{int(action.min())}, {int(action.max())}]")


def _group_tensor(g: int | torch.Tensor, batch_size: int, device: torch.device) -> torch.Tensor:
    """Group elements (powers of the 90 degree rotation) as an int64 ``[B]`` tensor in 0..3."""
    if isinstance(g, bool):
        raise ValueError("group element must be an int or an int tensor, got bool")
    g = torch.as_tensor(g, device=device)
    if g.is_floating_point() or g.is_complex() or g.dtype == torch.bool:
        raise ValueError(f"C4 group elements must be integers, got {g.dtype}")
    if g.dim() == 0:
        g = g.expand(batch_size)
    if g.shape != (batch_size,):
        raise ValueError(f"C4 group elements must have shape [{batch_size}], got {tuple(g.shape)}")
    return g.long().remainder(C4_ORDER)


# --------------------------------------------------------------------------------------
# group actions
# --------------------------------------------------------------------------------------
def rotate_grid(x: torch.Tensor, g: int | torch.Tensor) -> torch.Tensor:
    """rho_V(g): rotate the last two (spatial) dims of ``x [B, ..., H, W]`` by ``g * 90`` deg CCW.

    ``g`` is an int (same rotation for all samples) or an int tensor ``[B]``.
    """
    if x.dim() < 3:
        raise ValueError(f"rotate_grid needs [B, ..., H, W], got {tuple(x.shape)}")
    if isinstance(g, int) and not isinstance(g, bool):
        return torch.rot90(x, g % C4_ORDER, dims=(-2, -1))
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(f"per-sample rotations need square [..., H, H], got {tuple(x.shape)}")
    k = _group_tensor(g, x.shape[0], x.device)
    rotated = torch.stack([torch.rot90(x, r, dims=(-2, -1)) for r in range(C4_ORDER)])
    return rotated[k, torch.arange(x.shape[0], device=x.device)]


def roll_regular(z: torch.Tensor, g: int | torch.Tensor) -> torch.Tensor:
    """rho_reg(g) on regular C4 fields ``[B, ..., 4]``: ``out[..., i] = z[..., i - g]``."""
    if z.dim() < 2 or z.shape[-1] != C4_ORDER:
        raise ValueError(f"regular C4 fields need shape [B, ..., 4], got {tuple(z.shape)}")
    if isinstance(g, int) and not isinstance(g, bool):
        return torch.roll(z, g % C4_ORDER, dims=-1)
    k = _group_tensor(g, z.shape[0], z.device)
    idx = (torch.arange(C4_ORDER, device=z.device) - k[:, None]).remainder(C4_ORDER)
    idx = idx.view(z.shape[0], *([1] * (z.dim() - 2)), C4_ORDER).expand_as(z)
    return z.gather(-1, idx)


def rotate_action(action: torch.Tensor, g: int | torch.Tensor) -> torch.Tensor:
    """The rotated twin's action: direction ``d -> (d + g) % 4``, object unchanged."""
    k = _group_tensor(g, action.shape[0], action.device) if torch.is_tensor(g) else g % C4_ORDER
    obj, d = action // NUM_DIRECTIONS, action % NUM_DIRECTIONS
    return obj * NUM_DIRECTIONS + (d + k) % NUM_DIRECTIONS


def action_one_hot(action: torch.Tensor, num_objects: int, dtype: torch.dtype = torch.float32,
                   ) -> torch.Tensor:
    """``[B, K, 4]``: the direction one-hot on the acting object's slot, zeros elsewhere."""
    return F.one_hot(action.long(), num_objects * NUM_DIRECTIONS).to(dtype).view(
        -1, num_objects, NUM_DIRECTIONS)


# --------------------------------------------------------------------------------------
# C4 building blocks
# --------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def c4_space() -> gspaces.GSpace0D:
    """The C4 group acting on no base space (fibers only): escnn's home for nn.Linear."""
    return gspaces.no_base_space(egroup.cyclic_group(C4_ORDER))


def regular_type(fields: int) -> enn.FieldType:
    space = c4_space()
    return enn.FieldType(space, fields * [space.regular_repr])


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


class _EscnnLinear(TransientExpansionMixin, enn.Linear):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
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
        self.in_type, self.out_type = regular_type(in_fields), regular_type(out_fields)
        self.linear = _EscnnLinear(self.in_type, self.out_type, bias=bias, initialize=False,
                                   recompute=True)
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


def plain_mlp(in_dim: int, hidden_dim: int, out_dim: int) -> nn.Sequential:
    """C-SWM's (non-equivariant) MLP: Linear, ReLU, Linear, LayerNorm, ReLU, Linear."""
    return nn.Sequential(
        nn.Linear(in_dim, hidden_dim), nn.ReLU(),
        nn.Linear(hidden_dim, hidden_dim), nn.LayerNorm(hidden_dim), nn.ReLU(),
        nn.Linear(hidden_dim, out_dim))


@lru_cache(maxsize=8)
def orbit_indices(size: int) -> torch.Tensor:
    """``[R, 4]`` flat cell indices: entry ``(r, i)`` is the cell of the mask seen at orbit
    representative ``r`` after rotating the mask by ``-i`` (``torch.rot90(m, -i)``).

    One row per C4 orbit of the ``size x size`` grid (7 orbits for 5x5: the centre and six
    orbits of four cells).
    """
    check_positive_int("size", size)
    grid = torch.arange(size * size).view(size, size)
    rots = [torch.rot90(grid, -i, dims=(0, 1)).reshape(-1) for i in range(C4_ORDER)]
    seen: set[int] = set()
    rows = []
    for p in range(size * size):
        if p in seen:
            continue
        row = [int(r[p]) for r in rots]
        seen.update(row)
        rows.append(row)
    return torch.tensor(rows, dtype=torch.long)


def orbit_stack(masks: torch.Tensor) -> torch.Tensor:
    """Masks ``[..., H, H]`` -> regular C4 fields ``[..., R, 4]`` (one field per orbit).

    ``out[..., r, i] = rot90(m, -i)[rep_r]``, so ``orbit_stack(rot90(m, k)) ==
    roll(orbit_stack(m), k, -1)``.
    """
    size = masks.shape[-1]
    if masks.dim() < 2 or masks.shape[-2] != size:
        raise ValueError(f"orbit_stack needs square masks [..., H, H], got {tuple(masks.shape)}")
    idx = orbit_indices(size).to(masks.device)
    return masks.flatten(-2)[..., idx]


class ObjectGNN(nn.Module):
    """C-SWM's fully connected graph network over object slots; returns the per-node delta.

    Generic in the feature type: node features are ``[B, K, F, *fiber]`` and every MLP maps
    the feature axis (dim 2) of ``[N..., F, *fiber]``.  Edge ``(i, j)``, ``i != j``, gets
    ``edge_mlp(cat(z_i, z_j))``; node ``i`` gets ``node_mlp(cat(z_i, a_i, sum_j edge(i, j)))``.
    With shared weights across objects the network is S_K-equivariant; with C4-equivariant
    MLPs on regular fields it is also C4-equivariant.
    """

    def __init__(self, edge_mlp: nn.Module, node_mlp: nn.Module, num_objects: int):
        super().__init__()
        if check_positive_int("num_objects", num_objects) < 2:
            raise ValueError(f"ObjectGNN needs at least 2 objects, got {num_objects}")
        self.edge_mlp, self.node_mlp, self.num_objects = edge_mlp, node_mlp, num_objects
        pairs = [(i, j) for i in range(num_objects) for j in range(num_objects) if i != j]
        self.register_buffer("src", torch.tensor([p[0] for p in pairs]), persistent=False)
        self.register_buffer("dst", torch.tensor([p[1] for p in pairs]), persistent=False)

    def forward(self, nodes: torch.Tensor, action_nodes: torch.Tensor) -> torch.Tensor:
        b, k = nodes.shape[:2]
        if k != self.num_objects:
            raise ValueError(f"expected {self.num_objects} object slots, got {k}")
        edges = self.edge_mlp(torch.cat([nodes[:, self.src], nodes[:, self.dst]], dim=2))
        agg = edges.view(b, k, k - 1, *edges.shape[2:]).sum(2)  # edges are grouped by source
        return self.node_mlp(torch.cat([nodes, action_nodes, agg], dim=2))


# --------------------------------------------------------------------------------------
# memory-lean conv stacks at full image resolution
# --------------------------------------------------------------------------------------
def _bn_fields(x: torch.Tensor, fields: int) -> torch.Tensor:
    """``[B, C, H, W]`` (channels_last) -> the ``[B * H * W * (C // fields), fields]`` view
    whose columns are the batch-norm channels (channel ``c`` belongs to column ``c % fields``)."""
    return x.permute(0, 2, 3, 1).reshape(-1, fields)


def _bn_momentum(bn: nn.modules.batchnorm._BatchNorm) -> float:
    """The running-stats factor of one forward of ``bn``, counting the batch as
    ``_BatchNorm.forward`` does."""
    if not (bn.training and bn.track_running_stats):
        return 0.0
    bn.num_batches_tracked.add_(1)  # type: ignore[union-attr, operator]
    return 1.0 / float(bn.num_batches_tracked) if bn.momentum is None else bn.momentum


class _BatchNormReLUConv(torch.autograd.Function):
    """``conv2d(relu(batch_norm(x)), weight, bias)`` that saves only ``x`` for backward.

    The memory trick: autograd would keep both the conv output ``x`` (for the batch norm) and
    the ReLU output ``y`` (for the ReLU and the next conv), two ``[B, C, 50, 50]`` float
    tensors per layer (327 MB each for ``sen`` at batch 1024, 655 MB for ``full``), the bulk
    of a Blocks training step's memory.  Here backward recomputes ``y = relu(bn(x))`` from
    ``x`` and the saved batch statistics (one elementwise pass; no conv is recomputed) and
    calls ATen's convolution, ReLU (threshold) and batch-norm backward kernels, as autograd
    would; only the batch norm's input gradient is assembled in place from that kernel's
    reductions, which saves one more full-size allocation (on CPU each fresh one costs page
    faults).  Values and gradients match the plain modules to float rounding, and unlike
    activation checkpointing nothing runs forward twice: the running statistics are updated
    exactly once, in forward, as the plain ``BatchNorm2d`` does.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, bn_weight: torch.Tensor, bn_bias: torch.Tensor,
                weight: torch.Tensor, bias: torch.Tensor | None, bn: Any, padding: Any,
                ) -> torch.Tensor:
        fields, eps = bn_weight.shape[0], bn.eps
        training = bn.training or bn.running_mean is None
        running = ((bn.running_mean, bn.running_var) if not bn.training or bn.track_running_stats
                   else (None, None))
        x = x.contiguous(memory_format=torch.channels_last)
        z, mean, stat = torch.native_batch_norm(_bn_fields(x, fields), bn_weight, bn_bias,
                                                *running, training, _bn_momentum(bn), eps)
        if not training:  # eval mode: normalised with (a copy of) the running statistics
            mean, stat = running[0].clone(), running[1].clone()
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
        x_flat = _bn_fields(x, fields)
        scale = (stat if training else (stat + eps).rsqrt()) * bn_weight
        y = torch.addcmul(bn_bias - mean * scale, x_flat, scale).relu_()  # relu(bn(x)) again
        y = y.view(n, h, w, c).permute(0, 3, 1, 2)
        need = ctx.needs_input_grad
        grad_y, grad_weight, grad_bias = torch.ops.aten.convolution_backward(
            grad_out.contiguous(memory_format=torch.channels_last), y, weight,
            [weight.shape[0]] if has_bias else None, [1, 1], list(_pair(padding)), [1, 1],
            False, [0, 0], 1, [any(need[:3]), need[3], has_bias and need[4]])
        if not any(need[:3]):
            return None, None, None, grad_weight, grad_bias, None, None
        # ReLU backward into y's buffer; then batch-norm backward: ATen's kernel gives the
        # reductions sum(g * x_hat), sum(g) (the affine grads), and grad_x is formed in place:
        # a * (g - mean(g) - x_hat * mean(g * x_hat)) = a * g + k * x + k0, a = weight * invstd
        g = _bn_fields(torch.ops.aten.threshold_backward.grad_input(grad_y, y, 0, grad_input=y),
                       fields)
        del grad_y
        stats = (None, None, mean, stat) if training else (mean, stat, None, None)
        _, grad_bn_weight, grad_bn_bias = torch.ops.aten.native_batch_norm_backward(
            g, x_flat, bn_weight, *stats, training, eps, [False, True, True])
        grad_x = None
        if need[0]:
            if training:
                k = -scale * stat * grad_bn_weight / g.shape[0]
                k0 = -scale * grad_bn_bias / g.shape[0] - k * mean
                grad_x = torch.addcmul(k0, g, scale, out=g).addcmul_(x_flat, k)
            else:
                grad_x = g.mul_(scale)
            grad_x = grad_x.view(n, h, w, c).permute(0, 3, 1, 2)
        return grad_x, grad_bn_weight, grad_bn_bias, grad_weight, grad_bias, None, None


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


# --------------------------------------------------------------------------------------
# S: symmetric embedding networks (unconstrained CNNs)
# --------------------------------------------------------------------------------------
class ShapesEmbedding(nn.Module):
    """C-SWM's 'small' CNN: 10x10 conv with stride 10 (one grid cell), BN, ReLU, 1x1 conv, sigmoid.

    ``[B, 3, 50, 50] -> [B, K, 5, 5]`` object masks aligned with the grid cells.
    """

    mask_size = GRID_SIZE

    def __init__(self, hidden: int = 32, num_objects: int = NUM_OBJECTS):
        super().__init__()
        check_positive_int("embedding_hidden", hidden)
        cell = IMAGE_SIZE // GRID_SIZE
        self.net = nn.Sequential(
            nn.Conv2d(IMAGE_CHANNELS, hidden, cell, stride=cell), nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, check_positive_int("num_objects", num_objects), 1), nn.Sigmoid())

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs)


def check_mask_size(mask_size: Any) -> int:
    """A mask side that divides the 50-pixel image (so pooling commutes with ``rot90``)."""
    check_positive_int("mask_size", mask_size)
    if IMAGE_SIZE % mask_size:
        raise ValueError(f"mask_size must divide the image size {IMAGE_SIZE}, got {mask_size}")
    return mask_size


class BlocksEmbedding(nn.Module):
    """SEN's cubes CNN (four 3x3 convs at full resolution, BN, ReLU), sigmoid, average pooling.

    ``[B, 3, 50, 50] -> [B, K, m, m]`` with ``m = mask_size``: each object's full-resolution
    sigmoid map averaged over ``50/m``-pixel blocks.  The masks stay local (a cube shows up
    where it is in the image), which is what lets SEN's C4 structure generalise: rotating a
    mask moves the blob to where a rotated scene puts it, roughly, even though the
    perspective camera does not align grid cells with pixel blocks.  A learned global
    resampling to the 5x5 grid fits the training actions as well but loses that locality
    (measured: 29 vs 96 Hits@1 at 10 steps on {up, right, down}, docs/models.md).
    The original code kept the 50x50 maps (``m = 50``); 10 keeps E small.
    """

    def __init__(self, hidden: int = 32, num_objects: int = NUM_OBJECTS, mask_size: int = 10):
        super().__init__()
        check_positive_int("embedding_hidden", hidden)
        self.num_objects = check_positive_int("num_objects", num_objects)
        self.mask_size = check_mask_size(mask_size)
        layers: list[nn.Module] = []
        channels = IMAGE_CHANNELS
        for _ in range(3):
            layers += [nn.Conv2d(channels, hidden, 3, padding=1), nn.BatchNorm2d(hidden),
                       nn.ReLU(inplace=True)]
            channels = hidden
        layers.append(nn.Conv2d(hidden, num_objects, 3, padding=1))
        self.cnn = nn.Sequential(*layers)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """``self.cnn`` on channels_last tensors (faster convs on CPU), its batch-norm, ReLU,
        conv links fused by :func:`bn_relu_conv`: backward keeps the conv outputs only, half
        the activations of the plain modules, for the same values and gradients."""
        convs, bns = self.cnn[0::3], self.cnn[1::3]
        x = convs[0](obs.contiguous(memory_format=torch.channels_last))
        for bn, conv in zip(bns, convs[1:]):
            x = bn_relu_conv(x, bn, conv.weight, conv.bias, conv.padding)
        pool = IMAGE_SIZE // self.mask_size
        return F.avg_pool2d(torch.sigmoid(x), pool).contiguous()   # [B, K, m, m]


def grid_mask_size(env: str, mask_size: int | None) -> int:
    """Side of the object masks of an env: 5 (the grid) on 2D Shapes; ``mask_size`` (default
    10) on 3D Blocks."""
    check_grid_env(env)
    if env == "shapes":
        if mask_size not in (None, GRID_SIZE):
            raise ValueError(f"2D Shapes masks are the {GRID_SIZE}x{GRID_SIZE} grid; "
                             f"mask_size must be {GRID_SIZE} or unset, got {mask_size!r}")
        return GRID_SIZE
    return check_mask_size(10 if mask_size is None else mask_size)


def make_grid_embedding(env: str, hidden: int = 32, num_objects: int = NUM_OBJECTS,
                        mask_size: int | None = None) -> nn.Module:
    """The unconstrained embedding S of an env (shared by ``sen`` and ``none``)."""
    size = grid_mask_size(env, mask_size)
    if env == "shapes":
        return ShapesEmbedding(hidden, num_objects)
    return BlocksEmbedding(hidden, num_objects, size)


# --------------------------------------------------------------------------------------
# E: C4 group-convolution object encoder
# --------------------------------------------------------------------------------------
class C4ObjectEncoder(nn.Module):
    """Per-object C4 group-convolution MLP: masks ``[B, K, H, H]`` -> ``[B, K, latent_dim, 4]``.

    The orbit stack turns each mask into one regular field per C4 orbit of the grid; then
    RegularMLP(orbits -> hidden -> hidden -> latent_dim), weights shared by all objects.
    """

    def __init__(self, grid_size: int = GRID_SIZE, hidden: int = 256, latent_dim: int = 2):
        super().__init__()
        self.grid_size = check_positive_int("grid_size", grid_size)
        self.num_orbits = orbit_indices(grid_size).shape[0]
        self.mlp = RegularMLP(self.num_orbits, check_positive_int("encoder_hidden", hidden),
                              check_positive_int("latent_dim", latent_dim))

    def forward(self, masks: torch.Tensor) -> torch.Tensor:
        if masks.dim() != 4 or masks.shape[-2:] != (self.grid_size, self.grid_size):
            raise ValueError(f"C4ObjectEncoder needs masks [B, K, {self.grid_size}, "
                             f"{self.grid_size}], got {tuple(masks.shape)}")
        return self.mlp(orbit_stack(masks))


# --------------------------------------------------------------------------------------
# world models
# --------------------------------------------------------------------------------------
class GridWorldModel(WorldModel):
    """Shared plumbing of the grid-world models: S, E, a GNN delta transition, per-object latents.

    Subclasses set ``self.embedding`` (S), ``self.encoder`` (E), ``self.dynamics`` (an
    :class:`ObjectGNN`) and :meth:`_action_nodes`.  The embedding space V is the same for
    every grid model (K square masks), so :meth:`act_on_embedding` lives here.
    """

    num_objects: int = NUM_OBJECTS
    per_object_latents = True  # the loss averages the energy over the K objects
    embedding: nn.Module
    encoder: nn.Module
    dynamics: ObjectGNN

    def __init__(self, env: str, *, gamma: float = 1.0, sigma: float = 0.5):
        super().__init__(check_grid_env(env))
        if not gamma > 0 or not sigma > 0:
            raise ValueError(f"gamma and sigma must be positive, got gamma={gamma}, sigma={sigma}")
        self.gamma, self.sigma = float(gamma), float(sigma)

    # --- the world model ---------------------------------------------------------------
    def embed(self, obs: torch.Tensor) -> torch.Tensor:
        check_obs(obs)
        return self.embedding(obs)

    def encode_embedding(self, v: torch.Tensor) -> torch.Tensor:
        m = self.embedding.mask_size
        if v.dim() != 4 or tuple(v.shape[1:]) != (self.num_objects, m, m):
            raise ValueError(f"grid embeddings must be [B, {self.num_objects}, {m}, {m}], "
                             f"got {tuple(v.shape)}")
        return self.encoder(v)

    def transition(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        if z.dim() < 3 or z.shape[1] != self.num_objects:
            raise ValueError(f"grid latents must be [B, {self.num_objects}, ...], "
                             f"got {tuple(z.shape)}")
        check_action(action, z.shape[0], self.num_objects)
        return z + self.dynamics(z, self._action_nodes(action, z.dtype))

    def _action_nodes(self, action: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        raise NotImplementedError

    # --- symmetry ----------------------------------------------------------------------
    def act_on_embedding(self, v: torch.Tensor, g: int | torch.Tensor) -> torch.Tensor:
        """C4 on V: rotate every object mask by ``g * 90`` degrees CCW (``torch.rot90``)."""
        return rotate_grid(v, g)


@register_method("sen", envs=GRID_ENVS)
class GridSEN(GridWorldModel):
    """SEN on the grid worlds: CNN masks (S), C4 group-convolution encoder (E), C4 GNN (T).

    Widths (defaults = the paper's, SEN repo ``scripts/cubes.sl``): ``embedding_hidden``
    channels of S, ``encoder_hidden`` and ``transition_hidden`` regular C4 fields (256
    regular fields = 1024 channels, the parameter count of C-SWM's 512-wide MLPs),
    ``latent_dim`` regular fields per object; ``mask_size`` the side of the 3D Blocks masks
    (default 10; 2D Shapes' masks are the 5x5 grid).
    """

    def __init__(self, env: str, *, embedding_hidden: int = 32, encoder_hidden: int = 256,
                 transition_hidden: int = 256, latent_dim: int = 2,
                 mask_size: int | None = None, gamma: float = 1.0, sigma: float = 0.5):
        super().__init__(env, gamma=gamma, sigma=sigma)
        self.latent_dim = check_positive_int("latent_dim", latent_dim)
        hidden = check_positive_int("transition_hidden", transition_hidden)
        self.embedding = self._build_embedding(
            check_positive_int("embedding_hidden", embedding_hidden), mask_size)
        self.encoder = C4ObjectEncoder(self.embedding.mask_size, encoder_hidden, latent_dim)
        self.dynamics = ObjectGNN(
            edge_mlp=RegularMLP(2 * latent_dim, hidden, hidden),
            node_mlp=RegularMLP(latent_dim + 1 + hidden, hidden, latent_dim),
            num_objects=self.num_objects)

    def _build_embedding(self, hidden: int, mask_size: int | None) -> nn.Module:
        return make_grid_embedding(self.env, hidden, self.num_objects, mask_size)

    def _action_nodes(self, action: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        # one regular C4 field per node: e_d on the acting object, zeros elsewhere
        return action_one_hot(action, self.num_objects, dtype).unsqueeze(2)

    def act_on_latent(self, z: torch.Tensor, g: int | torch.Tensor) -> torch.Tensor:
        """C4 on Z: roll every regular field ``[B, K, latent_dim, 4]`` by ``g``."""
        return roll_regular(z, g)

    def describe(self) -> dict[str, Any]:
        m = self.embedding.mask_size
        return {
            "group": "C4 x S5 (C4: 90-degree rotations of the grid; S5: object slots)",
            "embedding": (f"{self.num_objects} object masks [B, {self.num_objects}, {m}, {m}]; "
                          "C4 rotates each mask (torch.rot90 on dims -2, -1), "
                          "S5 permutes mask channels; S is an unconstrained CNN"),
            "encoder": "C4 group-convolution MLP on the orbit-stacked masks (escnn nn.Linear)",
            "latent": (f"[B, {self.num_objects}, {self.latent_dim}, 4]: {self.latent_dim} regular "
                       "C4 fields per object; g acts as torch.roll(z, g, dims=-1)"),
            "action": ("direction one-hot as one regular C4 field on the acting object's node "
                       "(zeros elsewhere); g maps direction d -> (d + g) % 4"),
            "transition": "GNN with C4-equivariant edge/node MLPs, delta prediction",
            "latent_shape": (self.num_objects, self.latent_dim, C4_ORDER),
        }
