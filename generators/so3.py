"""NumPy helpers for the rotation group SO(3).

All functions work in float64, accept batches (leading axes ``...``) where it
makes sense, and draw randomness only from an explicit
:class:`numpy.random.Generator`; nothing here touches a global RNG.

Conventions
-----------
* Rotations are 3x3 matrices acting on column vectors, ``x' = R x``.
* A rotation vector ``v`` (axis-angle) has the rotation axis as direction and the
  angle (radians, right-hand rule) as norm; ``exp_map(v)`` is Rodrigues' formula.
* Quaternions are stored ``(x, y, z, w)`` (scalar last), the order pybullet uses.
* Haar (uniform) sampling normalises a 4D standard Gaussian to a unit quaternion,
  which is uniform on S^3 and therefore Haar-uniform on SO(3) (Shoemake 1992).
* ``small_rotations(rng, n, scale)`` draws a uniform random axis and an angle
  uniform in ``[scale / 2, scale]``: close to the identity, but never equal to it
  (used for the Teapot hard negatives).
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "AXES",
    "axis_rotation",
    "exp_map",
    "geodesic_angle",
    "haar_rotations",
    "hat",
    "is_rotation",
    "log_map",
    "matrix_to_quaternion",
    "quaternion_to_matrix",
    "random_unit_vectors",
    "small_rotations",
    "vee",
]

AXES: dict[str, np.ndarray] = {
    "x": np.array([1.0, 0.0, 0.0]),
    "y": np.array([0.0, 1.0, 0.0]),
    "z": np.array([0.0, 0.0, 1.0]),
}


def _check_count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"sample count must be a non-negative int, got {n!r}")
    return int(n)


def hat(v: np.ndarray) -> np.ndarray:
    """Skew-symmetric matrix ``v^`` with ``v^ w = v x w``; shape ``(..., 3) -> (..., 3, 3)``."""
    v = np.asarray(v, dtype=np.float64)
    if v.shape[-1:] != (3,):
        raise ValueError(f"hat expects vectors of shape (..., 3), got {v.shape}")
    out = np.zeros(v.shape[:-1] + (3, 3), dtype=np.float64)
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    out[..., 0, 1], out[..., 0, 2] = -z, y
    out[..., 1, 0], out[..., 1, 2] = z, -x
    out[..., 2, 0], out[..., 2, 1] = -y, x
    return out


def vee(m: np.ndarray) -> np.ndarray:
    """Inverse of :func:`hat` (uses the antisymmetric part); ``(..., 3, 3) -> (..., 3)``."""
    m = np.asarray(m, dtype=np.float64)
    if m.shape[-2:] != (3, 3):
        raise ValueError(f"vee expects matrices of shape (..., 3, 3), got {m.shape}")
    return 0.5 * np.stack(
        [m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]],
        axis=-1,
    )


def exp_map(v: np.ndarray) -> np.ndarray:
    """Rotation matrices from rotation vectors (Rodrigues); ``(..., 3) -> (..., 3, 3)``."""
    v = np.asarray(v, dtype=np.float64)
    k = hat(v)
    theta = np.linalg.norm(v, axis=-1)[..., None, None]
    small = theta < 1e-8
    safe = np.where(small, 1.0, theta)
    # Taylor expansions near zero keep the formula accurate for tiny angles.
    a = np.where(small, 1.0 - theta**2 / 6.0, np.sin(safe) / safe)
    b = np.where(small, 0.5 - theta**2 / 24.0, (1.0 - np.cos(safe)) / safe**2)
    eye = np.broadcast_to(np.eye(3), k.shape)
    return eye + a * k + b * (k @ k)


def axis_rotation(axis: str | np.ndarray, angle: float | np.ndarray) -> np.ndarray:
    """Rotation by ``angle`` (radians, right-hand rule) about ``axis``.

    ``axis`` is ``"x"``, ``"y"``, ``"z"`` or a 3-vector (normalised here).
    A batch of angles gives a batch of matrices ``(..., 3, 3)``.
    """
    if isinstance(axis, str):
        if axis not in AXES:
            raise ValueError(f"unknown axis {axis!r}; choose one of x, y, z")
        u = AXES[axis]
    else:
        u = np.asarray(axis, dtype=np.float64)
        norm = np.linalg.norm(u)
        if u.shape != (3,) or not np.isfinite(norm) or norm == 0.0:
            raise ValueError(f"axis must be 'x', 'y', 'z' or a non-zero 3-vector, got {axis!r}")
        u = u / norm
    angle = np.asarray(angle, dtype=np.float64)
    c, s = np.cos(angle)[..., None, None], np.sin(angle)[..., None, None]
    k = hat(u)
    return np.eye(3) + s * k + (1.0 - c) * (k @ k)


def log_map(r: np.ndarray) -> np.ndarray:
    """Rotation vectors (angle in ``[0, pi]``) of rotation matrices; ``(..., 3, 3) -> (..., 3)``."""
    r = np.asarray(r, dtype=np.float64)
    if r.shape[-2:] != (3, 3):
        raise ValueError(f"log_map expects matrices of shape (..., 3, 3), got {r.shape}")
    cos = np.clip((np.trace(r, axis1=-2, axis2=-1) - 1.0) / 2.0, -1.0, 1.0)
    theta = np.arccos(cos)
    w = vee(r)  # = sin(theta) * axis
    sin = np.sin(theta)
    out = np.empty(r.shape[:-2] + (3,), dtype=np.float64)
    regular = sin > 1e-6
    out[regular] = (w[regular] * (theta[regular] / sin[regular])[..., None])
    small = (~regular) & (theta < 1.0)
    out[small] = w[small]  # theta ~ sin(theta) near zero
    near_pi = (~regular) & (theta >= 1.0)
    if np.any(near_pi):
        # R = 2 u u^T - I at theta = pi: read the axis off the largest diagonal entry.
        m = (r[near_pi] + np.eye(3)) / 2.0
        idx = np.argmax(np.diagonal(m, axis1=-2, axis2=-1), axis=-1)
        cols = np.take_along_axis(m, idx[:, None, None], axis=-1)[..., 0]
        axis = cols / np.linalg.norm(cols, axis=-1, keepdims=True)
        # fix the sign with the (tiny) antisymmetric part when it is informative
        sign = np.where(np.einsum("ni,ni->n", axis, w[near_pi]) < 0.0, -1.0, 1.0)
        out[near_pi] = axis * (sign * theta[near_pi])[:, None]
    return out


def geodesic_angle(r1: np.ndarray, r2: np.ndarray) -> np.ndarray:
    """Angle (radians, in ``[0, pi]``) of the relative rotation ``r1^T r2``."""
    r1 = np.asarray(r1, dtype=np.float64)
    r2 = np.asarray(r2, dtype=np.float64)
    rel = np.swapaxes(r1, -1, -2) @ r2
    cos = np.clip((np.trace(rel, axis1=-2, axis2=-1) - 1.0) / 2.0, -1.0, 1.0)
    return np.arccos(cos)


def is_rotation(r: np.ndarray, atol: float = 1e-6) -> bool:
    """True when every matrix of ``r`` is orthogonal with determinant +1 (within ``atol``)."""
    r = np.asarray(r, dtype=np.float64)
    if r.shape[-2:] != (3, 3):
        return False
    gram = np.swapaxes(r, -1, -2) @ r
    return bool(
        np.allclose(gram, np.eye(3), atol=atol) and np.allclose(np.linalg.det(r), 1.0, atol=atol)
    )


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrices from quaternions ``(x, y, z, w)`` (normalised here)."""
    q = np.asarray(q, dtype=np.float64)
    if q.shape[-1:] != (4,):
        raise ValueError(f"quaternions must have shape (..., 4), got {q.shape}")
    norm = np.linalg.norm(q, axis=-1, keepdims=True)
    if np.any(norm == 0.0):
        raise ValueError("zero quaternion has no rotation")
    x, y, z, w = np.moveaxis(q / norm, -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
            np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
            np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
        ],
        axis=-2,
    )


def matrix_to_quaternion(r: np.ndarray) -> np.ndarray:
    """Unit quaternions ``(x, y, z, w)`` with ``w >= 0`` from rotation matrices (Shepperd's method)."""
    r = np.asarray(r, dtype=np.float64)
    if r.shape[-2:] != (3, 3):
        raise ValueError(f"matrix_to_quaternion expects shape (..., 3, 3), got {r.shape}")
    batch = r.reshape(-1, 3, 3)
    d0, d1, d2 = batch[:, 0, 0], batch[:, 1, 1], batch[:, 2, 2]
    # 4 q_i^2 for i = w, x, y, z; pick the largest for numerical stability.
    sq = np.stack([1 + d0 + d1 + d2, 1 + d0 - d1 - d2, 1 - d0 + d1 - d2, 1 - d0 - d1 + d2], -1)
    best = np.argmax(sq, axis=-1)
    q = np.empty((batch.shape[0], 4), dtype=np.float64)  # (x, y, z, w)
    for i in range(batch.shape[0]):
        m = batch[i]
        s = 2.0 * np.sqrt(max(sq[i, best[i]], 0.0))
        if best[i] == 0:
            q[i] = [(m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, s / 4]
        elif best[i] == 1:
            q[i] = [s / 4, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s, (m[2, 1] - m[1, 2]) / s]
        elif best[i] == 2:
            q[i] = [(m[0, 1] + m[1, 0]) / s, s / 4, (m[1, 2] + m[2, 1]) / s, (m[0, 2] - m[2, 0]) / s]
        else:
            q[i] = [(m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, s / 4, (m[1, 0] - m[0, 1]) / s]
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    q *= np.where(q[:, 3:4] < 0.0, -1.0, 1.0)
    return q.reshape(r.shape[:-2] + (4,))


def random_unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` directions uniform on the unit sphere, shape ``(n, 3)``."""
    n = _check_count(n)
    v = rng.standard_normal((n, 3))
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(norm == 0.0, 1.0, norm)  # a zero draw has probability 0


def haar_rotations(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` Haar-uniform rotations, shape ``(n, 3, 3)`` (normalised Gaussian quaternions)."""
    n = _check_count(n)
    q = rng.standard_normal((n, 4))
    norm = np.linalg.norm(q, axis=-1, keepdims=True)
    q = np.where(norm == 0.0, np.array([0.0, 0.0, 0.0, 1.0]), q)  # probability-0 guard
    return quaternion_to_matrix(q)


def small_rotations(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    """``n`` rotations about uniform random axes by angles uniform in ``[scale/2, scale]``.

    Their geodesic distance to the identity is therefore bounded by ``scale``
    and never zero; shape ``(n, 3, 3)``.
    """
    n = _check_count(n)
    if not np.isfinite(scale) or not 0.0 < scale <= np.pi:
        raise ValueError(f"scale must be an angle in (0, pi], got {scale!r}")
    axes = random_unit_vectors(rng, n)
    angles = scale * (0.5 + 0.5 * rng.random(n))
    return exp_map(axes * angles[:, None])
