"""The cyclic group C4 of the grid worlds: how a quarter turn acts on masks, regular fields
and actions, and the orbit stack that turns a mask into regular fields.

Conventions (shared with the models, the baselines and the tests):

* Group element ``g = k`` is the scene rotated by ``k * 90`` degrees counter-clockwise,
  i.e. ``torch.rot90(img, k, dims=(-2, -1))``; on masks the same ``torch.rot90``.
* Regular fields follow escnn's ``cyclic_group(4).regular_representation``:
  ``rho(k) e_i = e_{i+k}``, so ``g = k`` acts on a ``[..., 4]`` fiber as
  ``torch.roll(x, k, dims=-1)`` (:func:`roll_regular`).  The orbit stack is built with
  ``rot90(m, -i)`` so that rotating the mask by ``k`` rolls it by ``+k``.
* Grid action ``a = object * 4 + d`` with ``d`` counter-clockwise (0 up, 1 left, 2 down,
  3 right); rotating the scene by ``k`` maps ``d -> (d + k) % 4`` (:func:`rotate_action`),
  which is the same roll of the one-hot.
"""
from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F

from benchmark.models.checks import check_positive_int

C4_ORDER = 4
NUM_DIRECTIONS = 4


def group_tensor(g: int | torch.Tensor, batch_size: int, device: torch.device) -> torch.Tensor:
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
    k = group_tensor(g, x.shape[0], x.device)
    rotated = torch.stack([torch.rot90(x, r, dims=(-2, -1)) for r in range(C4_ORDER)])
    return rotated[k, torch.arange(x.shape[0], device=x.device)]


def roll_regular(z: torch.Tensor, g: int | torch.Tensor) -> torch.Tensor:
    """rho_reg(g) on regular C4 fields ``[B, ..., 4]``: ``out[..., i] = z[..., i - g]``."""
    if z.dim() < 2 or z.shape[-1] != C4_ORDER:
        raise ValueError(f"regular C4 fields need shape [B, ..., 4], got {tuple(z.shape)}")
    if isinstance(g, int) and not isinstance(g, bool):
        return torch.roll(z, g % C4_ORDER, dims=-1)
    k = group_tensor(g, z.shape[0], z.device)
    idx = (torch.arange(C4_ORDER, device=z.device) - k[:, None]).remainder(C4_ORDER)
    idx = idx.view(z.shape[0], *([1] * (z.dim() - 2)), C4_ORDER).expand_as(z)
    return z.gather(-1, idx)


def rotate_action(action: torch.Tensor, g: int | torch.Tensor) -> torch.Tensor:
    """The rotated twin's action: direction ``d -> (d + g) % 4``, object unchanged."""
    k = group_tensor(g, action.shape[0], action.device) if torch.is_tensor(g) else g % C4_ORDER
    obj, d = action // NUM_DIRECTIONS, action % NUM_DIRECTIONS
    return obj * NUM_DIRECTIONS + (d + k) % NUM_DIRECTIONS


def action_one_hot(action: torch.Tensor, num_objects: int, dtype: torch.dtype = torch.float32,
                   ) -> torch.Tensor:
    """``[B, K, 4]``: the direction one-hot on the acting object's slot, zeros elsewhere."""
    return F.one_hot(action.long(), num_objects * NUM_DIRECTIONS).to(dtype).view(
        -1, num_objects, NUM_DIRECTIONS)



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

