"""Validation of model hyper-parameters given in params.yaml (widths of layer stacks)."""
from __future__ import annotations

from typing import Sequence


def widths(value: Sequence[int] | int, n: int, name: str) -> tuple[int, ...]:
    """``n`` positive layer widths from a list of ``n`` ints or one int repeated.

    Raises ValueError naming the hyper-parameter otherwise.
    """
    if isinstance(value, bool):
        raise ValueError(f"{name} must be {n} positive widths, got {value!r}")
    if isinstance(value, int):
        value = (value,) * n
    try:
        out = tuple(int(w) for w in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {n} positive widths, got {value!r}") from None
    if len(out) != n or min(out) < 1:
        raise ValueError(f"{name} must be {n} positive widths, got {out}")
    return out
