"""Input checks shared by every model: positive widths, observations, actions, group elements.

Observations and actions are checked against the env's registered spec
(:mod:`generators.registry`): one ``check_obs`` and one ``check_action`` for every env.
"""
from __future__ import annotations

from typing import Any, Callable

import torch

from generators.registry import ActionSpace, EnvSpec


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` if it is a positive int, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def check_obs(obs: torch.Tensor, spec: EnvSpec,
              size_ok: Callable[[int], bool] | None = None, size_rule: str = "") -> torch.Tensor:
    """Float observations ``[B, C, H, W]`` with ``(C, H, W) = spec.obs_shape``.

    ``size_ok`` relaxes the spatial size: any square ``H = W`` for which it is true is
    accepted (``size_rule`` says which in the error), e.g. Reacher models that run on
    other image sizes than the datasets'.
    """
    c, h, w = spec.obs_shape
    if size_ok is None:
        ok = torch.is_tensor(obs) and obs.dim() == 4 and tuple(obs.shape[1:]) == (c, h, w)
        want = f"[B, {c}, {h}, {w}]"
    else:
        ok = (torch.is_tensor(obs) and obs.dim() == 4 and obs.shape[1] == c
              and obs.shape[2] == obs.shape[3] and size_ok(int(obs.shape[2])))
        want = f"[B, {c}, H, H] with {size_rule}"
    if not ok or not obs.is_floating_point():
        got = (f"{tuple(obs.shape)} {obs.dtype}" if torch.is_tensor(obs)
               else type(obs).__name__)
        raise ValueError(f"{spec.name} observations must be float {want} in [0, 1], got {got}")
    return obs


def check_action(action: torch.Tensor, batch_size: int, space: ActionSpace,
                 name: str = "actions") -> torch.Tensor:
    """Actions of an :class:`ActionSpace`: int ``[B]`` in ``[0, n)``, or float ``[B, *shape]``."""
    shape = (batch_size, *space.shape)
    if not torch.is_tensor(action) or tuple(action.shape) != shape:
        got = tuple(action.shape) if torch.is_tensor(action) else type(action).__name__
        raise ValueError(f"{name} must be a tensor of shape {list(shape)}, got {got}")
    if space.kind == "discrete":
        if action.is_floating_point() or action.is_complex() or action.dtype == torch.bool:
            raise ValueError(f"{name} must be integers, got {action.dtype}")
        if action.numel() and (int(action.min()) < 0 or int(action.max()) >= space.n):
            raise ValueError(f"{name} must lie in [0, {space.n}), "
                             f"got range [{int(action.min())}, {int(action.max())}]")
    elif not action.is_floating_point():
        raise ValueError(f"{name} must be floating point, got {action.dtype}")
    return action
