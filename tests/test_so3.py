"""Geometry of the SO(3) helpers: Haar sampling, exp/log, quaternions, small rotations."""
from __future__ import annotations

import math

import numpy as np
import pytest

from generators import so3


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_haar_samples_are_proper_rotations():
    r = so3.haar_rotations(_rng(), 2000)
    assert r.shape == (2000, 3, 3) and r.dtype == np.float64
    gram = np.swapaxes(r, 1, 2) @ r
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(3), gram.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(r), 1.0, atol=1e-12)
    assert so3.is_rotation(r)


def test_haar_is_roughly_uniform():
    r = so3.haar_rotations(_rng(1), 8000)
    # E[R] = 0 under Haar measure (each entry has std 1/sqrt(3); 8000 samples: se ~ 0.0065)
    assert np.abs(r.mean(axis=0)).max() < 0.04
    # the rotation angle has density (1 - cos t) / pi on [0, pi]: mean pi/2 + 2/pi
    angles = so3.geodesic_angle(np.eye(3), r)
    assert abs(angles.mean() - (math.pi / 2 + 2 / math.pi)) < 0.03
    # P(angle < pi/2) = (pi/2 - 1) / pi
    assert abs(np.mean(angles < math.pi / 2) - (math.pi / 2 - 1) / math.pi) < 0.02
    # the image of any fixed axis is uniform on the sphere: mean 0, second moment I/3
    z = r[:, :, 2]
    assert np.abs(z.mean(axis=0)).max() < 0.04
    np.testing.assert_allclose(z.T @ z / len(z), np.eye(3) / 3, atol=0.03)


def test_haar_is_deterministic_per_generator_seed():
    a = so3.haar_rotations(_rng(7), 5)
    b = so3.haar_rotations(_rng(7), 5)
    c = so3.haar_rotations(_rng(8), 5)
    assert a.tobytes() == b.tobytes()
    assert not np.allclose(a, c)


def test_hat_vee_and_cross_product():
    rng = _rng(2)
    v, w = rng.standard_normal((2, 10, 3))
    np.testing.assert_allclose(so3.hat(v) @ w[..., None], np.cross(v, w)[..., None], atol=1e-12)
    np.testing.assert_allclose(so3.vee(so3.hat(v)), v, atol=1e-12)


def test_exp_log_round_trip_including_small_and_near_pi_angles():
    rng = _rng(3)
    axes = so3.random_unit_vectors(rng, 300)
    angles = np.concatenate([rng.uniform(0, math.pi - 1e-3, 200), np.full(50, 1e-10),
                             np.full(50, math.pi - 1e-9)])
    r = so3.exp_map(axes * angles[:, None])
    assert so3.is_rotation(r, atol=1e-10)
    np.testing.assert_allclose(so3.exp_map(so3.log_map(r)), r, atol=1e-7)
    np.testing.assert_allclose(np.linalg.norm(so3.log_map(r), axis=-1), angles, atol=1e-7)


def test_axis_rotation_matches_right_hand_rule():
    rx = so3.axis_rotation("x", math.pi / 2)
    np.testing.assert_allclose(rx @ [0, 1, 0], [0, 0, 1], atol=1e-15)
    rz = so3.axis_rotation("z", math.pi / 2)
    np.testing.assert_allclose(rz @ [1, 0, 0], [0, 1, 0], atol=1e-15)
    ry = so3.axis_rotation("y", math.pi / 2)
    np.testing.assert_allclose(ry @ [0, 0, 1], [1, 0, 0], atol=1e-15)
    np.testing.assert_allclose(so3.axis_rotation([0, 0, 2.0], 0.3), so3.exp_map([0, 0, 0.3]),
                               atol=1e-15)
    batch = so3.axis_rotation("y", np.array([0.1, 0.2]))
    assert batch.shape == (2, 3, 3)
    with pytest.raises(ValueError):
        so3.axis_rotation("w", 1.0)
    with pytest.raises(ValueError):
        so3.axis_rotation([0, 0, 0], 1.0)


def test_quaternion_convention_and_round_trip():
    theta = 0.7
    q = so3.matrix_to_quaternion(so3.axis_rotation("z", theta))
    np.testing.assert_allclose(q, [0, 0, math.sin(theta / 2), math.cos(theta / 2)], atol=1e-15)
    r = so3.haar_rotations(_rng(4), 500)
    q = so3.matrix_to_quaternion(r)
    assert np.all(q[:, 3] >= 0)
    np.testing.assert_allclose(np.linalg.norm(q, axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(so3.quaternion_to_matrix(q), r, atol=1e-12)


def test_geodesic_angle_is_the_relative_rotation_angle():
    r = so3.haar_rotations(_rng(5), 20)
    np.testing.assert_allclose(so3.geodesic_angle(r, so3.axis_rotation("x", 0.4) @ r), 0.4,
                               atol=1e-7)
    np.testing.assert_allclose(so3.geodesic_angle(r, r), 0.0, atol=1e-7)


def test_small_rotations_are_close_but_not_identity():
    q = so3.small_rotations(_rng(6), 1000, 0.1)
    assert so3.is_rotation(q, atol=1e-12)
    angles = so3.geodesic_angle(np.eye(3), q)
    assert angles.min() >= 0.05 - 1e-9 and angles.max() <= 0.1 + 1e-9
    # axes spread over the sphere
    axes = so3.log_map(q) / angles[:, None]
    assert np.abs(axes.mean(axis=0)).max() < 0.1


@pytest.mark.parametrize("bad", [0.0, -0.1, 4.0, float("nan")])
def test_small_rotations_reject_bad_scale(bad):
    with pytest.raises(ValueError):
        so3.small_rotations(_rng(), 3, bad)


def test_counts_must_be_non_negative_ints():
    with pytest.raises(ValueError):
        so3.haar_rotations(_rng(), -1)
    with pytest.raises(ValueError):
        so3.haar_rotations(_rng(), 2.5)
    assert so3.haar_rotations(_rng(), 0).shape == (0, 3, 3)
