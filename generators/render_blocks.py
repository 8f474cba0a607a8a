"""3D Blocks renderer: five coloured cubes on a plane, oblique perspective camera.

Rendered with pybullet's ER_TINY_RENDERER (software, CPU, deterministic) in DIRECT
mode. Camera, light and image size are fixed at construction. Grid cell (r, c)
of the 5x5 world is the cube centred at world (x, y) = (c - 2, 2 - r), so row r
grows towards -y, as in the 2D image of the same state; rotating the grid state
by 90 degrees is a rotation of the *world* about the z axis, which this oblique
camera does not show as a rotation of the image.
"""
from __future__ import annotations

import os

import numpy as np

# palette of the five cubes (RGB in [0, 1]); object i gets COLOURS[i]
COLOURS = (
    (0.90, 0.10, 0.10),
    (0.10, 0.60, 0.95),
    (0.15, 0.80, 0.20),
    (0.95, 0.80, 0.10),
    (0.70, 0.25, 0.85),
)


class BlocksRenderer:
    """Renders a grid state (n_objects x 2 integer (row, col) array) to uint8 [H, W, 3]."""

    def __init__(self, grid_size: int = 5, n_objects: int = 5, image_size: int = 50,
                 camera_distance: float = 10.5, camera_yaw: float = 30.0,
                 camera_pitch: float = -60.0, fov: float = 40.0):
        if n_objects > len(COLOURS):
            raise ValueError(f"at most {len(COLOURS)} cubes, got {n_objects}")
        import pybullet  # deferred: worker processes import it themselves
        self._p = pybullet
        self.grid_size, self.n_objects, self.size = grid_size, n_objects, image_size
        self._client = pybullet.connect(pybullet.DIRECT)
        p, cid = pybullet, self._client
        half = grid_size / 2.0
        plane = p.createVisualShape(p.GEOM_BOX, halfExtents=[half + 0.1, half + 0.1, 0.05],
                                    rgbaColor=[0.55, 0.55, 0.55, 1], physicsClientId=cid)
        p.createMultiBody(baseVisualShapeIndex=plane, basePosition=[0, 0, -0.05],
                          physicsClientId=cid)
        self._cubes = []
        for i in range(n_objects):
            vis = p.createVisualShape(p.GEOM_BOX, halfExtents=[0.45, 0.45, 0.45],
                                      rgbaColor=list(COLOURS[i]) + [1], physicsClientId=cid)
            self._cubes.append(p.createMultiBody(baseVisualShapeIndex=vis,
                                                 basePosition=[0, 0, 0.45],
                                                 physicsClientId=cid))
        self._view = p.computeViewMatrixFromYawPitchRoll(
            cameraTargetPosition=[0, 0, 0], distance=camera_distance, yaw=camera_yaw,
            pitch=camera_pitch, roll=0, upAxisIndex=2, physicsClientId=cid)
        self._proj = p.computeProjectionMatrixFOV(fov=fov, aspect=1.0, nearVal=0.1,
                                                  farVal=50.0, physicsClientId=cid)
        self._centre = (grid_size - 1) / 2.0

    def cell_to_world(self, rc: np.ndarray) -> np.ndarray:
        rc = np.asarray(rc, dtype=np.float64)
        return np.stack([rc[..., 1] - self._centre, self._centre - rc[..., 0]], axis=-1)

    def render(self, state: np.ndarray) -> np.ndarray:
        p, cid = self._p, self._client
        xy = self.cell_to_world(state)
        for body, (x, y) in zip(self._cubes, xy):
            p.resetBasePositionAndOrientation(body, [float(x), float(y), 0.45], [0, 0, 0, 1],
                                              physicsClientId=cid)
        _, _, rgba, _, _ = p.getCameraImage(
            self.size, self.size, viewMatrix=self._view, projectionMatrix=self._proj,
            renderer=p.ER_TINY_RENDERER, lightDirection=[1.0, 0.5, 2.0], shadow=0,
            physicsClientId=cid)
        return np.asarray(rgba, dtype=np.uint8).reshape(self.size, self.size, 4)[..., :3].copy()

    def close(self) -> None:
        if self._client is not None:
            self._p.disconnect(physicsClientId=self._client)
            self._client = None


_PER_PROCESS: dict[tuple, BlocksRenderer] = {}


def blocks_renderer(**kwargs) -> BlocksRenderer:
    """One renderer (one pybullet client) per process and setting."""
    key = (os.getpid(), tuple(sorted(kwargs.items())))
    if key not in _PER_PROCESS:
        _PER_PROCESS[key] = BlocksRenderer(**kwargs)
    return _PER_PROCESS[key]
