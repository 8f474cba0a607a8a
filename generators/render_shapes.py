"""2D Shapes renderer: one sprite per object on a black 50x50 canvas, 10 px a cell.

The shape follows the object index (0 circle, 1 triangle, 2 square, then again),
the colour is fixed per object. Sprites are rasterised once with 4x4 super-sampling
and thresholded, so rendering is a few array copies and exactly reproducible.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

SHAPES = ("circle", "triangle", "square")
# RGB colours of the five objects (uint8)
COLOURS = np.array([[230, 25, 75], [60, 180, 75], [0, 130, 200], [255, 225, 25],
                    [145, 30, 180]], dtype=np.uint8)


@lru_cache(maxsize=None)
def sprite(shape: str, cell: int) -> np.ndarray:
    """Boolean [cell, cell] mask of a shape centred in its cell (read-only)."""
    ss = 4
    coords = (np.arange(cell * ss) + 0.5) / ss  # sub-pixel centres in [0, cell)
    y, x = np.meshgrid(coords, coords, indexing="ij")
    c = cell / 2.0
    if shape == "circle":
        inside = (x - c) ** 2 + (y - c) ** 2 <= (0.45 * cell) ** 2
    elif shape == "triangle":  # apex up, base at the bottom of the cell
        top, bottom = 0.08 * cell, 0.92 * cell
        half_width = 0.45 * cell * (y - top) / (bottom - top)
        inside = (y >= top) & (y <= bottom) & (np.abs(x - c) <= half_width)
    elif shape == "square":
        inside = (np.abs(x - c) <= 0.4 * cell) & (np.abs(y - c) <= 0.4 * cell)
    else:
        raise ValueError(f"unknown shape {shape!r}")
    coverage = inside.reshape(cell, ss, cell, ss).mean(axis=(1, 3))
    mask = coverage >= 0.5
    mask.setflags(write=False)
    return mask


class ShapesRenderer:
    """Renders a grid state (n_objects x 2 integer (row, col) array) to uint8 [H, W, 3]."""

    def __init__(self, grid_size: int = 5, n_objects: int = 5, cell: int = 10):
        if n_objects > len(COLOURS):
            raise ValueError(f"at most {len(COLOURS)} objects, got {n_objects}")
        self.grid_size, self.n_objects, self.cell = grid_size, n_objects, cell
        self.size = grid_size * cell
        self._sprites = [sprite(SHAPES[i % len(SHAPES)], cell) for i in range(n_objects)]

    def render(self, state: np.ndarray) -> np.ndarray:
        img = np.zeros((self.size, self.size, 3), dtype=np.uint8)
        c = self.cell
        for i, (r, col) in enumerate(np.asarray(state, dtype=np.int64)):
            patch = img[r * c:(r + 1) * c, col * c:(col + 1) * c]
            patch[self._sprites[i]] = COLOURS[i]
        return img
