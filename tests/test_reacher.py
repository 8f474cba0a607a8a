"""Tests of the Reacher generator: physics, geometry of the rotated twin, determinism, config."""
from __future__ import annotations

import json
import multiprocessing

import numpy as np
import pytest

from generators import reacher
from generators.registry import get_env

STEPS = 6


@pytest.fixture(scope="module")
def config() -> dict:
    return reacher.make_config(None, {})


@pytest.fixture(scope="module")
def ep(config) -> dict:
    return reacher.episode(np.random.SeedSequence(11), STEPS, config)


@pytest.fixture(scope="module")
def limited_ep() -> dict:
    cfg = reacher.make_config("limited", {"image_size": 32, "warmup_steps": 5})
    return reacher.episode(np.random.SeedSequence(12), 100, cfg)


def _gym_env():
    from gymnasium.envs.mujoco.reacher_v5 import ReacherEnv
    return ReacherEnv()


def test_registered_spec():
    spec = get_env("reacher")
    assert spec.env_id == "senbench/Reacher-v1"
    assert spec.frame_stack == 2
    assert spec.episode is reacher.episode and spec.make_config is reacher.make_config


def test_make_config_defaults_are_resolved_and_jsonable(config):
    assert json.loads(json.dumps(config)) == config
    assert config["actions"] == "full" and config["warmup_steps"] == 50
    assert config["image_size"] == 128 and config["goal"] == [0.2, 0.2]
    assert config["frame_skip"] == 2 and config["camera"]["elevation"] == -90.0
    assert reacher.make_config("full", {}) == config
    assert reacher.make_config("limited", {})["action_low"] == [-1.0, 0.0]


@pytest.mark.parametrize("actions, options", [
    ("left", {}),
    (None, {"warmup": 3}),
    (None, {"warmup_steps": 0}),
    (None, {"warmup_steps": 2.0}),
    (None, {"warmup_steps": True}),
    (None, {"image_size": 4}),
    (None, {"image_size": 100_000}),
    (None, {"image_size": "128"}),
    (None, [("image_size", 64)]),
])
def test_make_config_rejects_bad_input(actions, options):
    with pytest.raises(ValueError):
        reacher.make_config(actions, options)


def test_episode_rejects_bad_steps(config):
    with pytest.raises(ValueError):
        reacher.episode(np.random.SeedSequence(0), 0, config)


def test_shapes_and_dtypes(ep):
    t = STEPS
    expect = {
        "obs": ((t + 2, 128, 128, 3), np.uint8), "twin/obs": ((t + 2, 128, 128, 3), np.uint8),
        "action": ((t, 2), np.float32), "twin/action": ((t, 2), np.float32),
        "state/qpos": ((t + 1, 4), np.float64), "twin/state/qpos": ((t + 1, 4), np.float64),
        "state/qvel": ((t + 1, 4), np.float64), "twin/state/qvel": ((t + 1, 4), np.float64),
        "state/obs_vector": ((t + 1, 10), np.float64),
        "twin/state/obs_vector": ((t + 1, 10), np.float64),
        "twin/g": ((), np.int64),
    }
    assert set(ep) == set(expect)
    for key, (shape, dtype) in expect.items():
        assert ep[key].shape == shape and ep[key].dtype == dtype, key
    assert int(ep["twin/g"]) == 1
    np.testing.assert_array_equal(ep["twin/action"], ep["action"])


def test_frames_show_the_stored_states(ep, config):
    """Frame t + 1 is the render of state t, so observation t = (frame t, frame t + 1)."""
    for t in range(STEPS + 1):
        expected = reacher.render_state(ep["state/qpos"][t], config)
        np.testing.assert_array_equal(ep["obs"][t + 1], expected)
    # the arm moves between frames (random torques after the warm-up)
    assert all(not np.array_equal(ep["obs"][k], ep["obs"][k + 1]) for k in range(STEPS + 1))


def test_twin_is_the_render_of_the_rotated_state(ep, config):
    qpos, qvel = ep["state/qpos"], ep["state/qvel"]
    rot = qpos.copy()
    rot[:, 0] += np.pi / 2
    rot[:, 2], rot[:, 3] = -qpos[:, 3], qpos[:, 2]
    np.testing.assert_allclose(ep["twin/state/qpos"], rot, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ep["twin/state/qvel"], qvel)  # angular velocities unchanged
    for t in range(STEPS + 1):
        np.testing.assert_array_equal(ep["twin/obs"][t + 1], reacher.render_state(rot[t], config))


def test_twin_image_is_the_rotated_image(ep):
    """Camera centred on the base: rotating the world +90 deg = np.rot90 of the image (CCW)."""
    obs = ep["obs"].astype(np.float64)
    twin = ep["twin/obs"].astype(np.float64)
    rotated = np.rot90(obs, 1, axes=(1, 2))
    err = np.abs(rotated - twin).mean(axis=(1, 2, 3))
    other = np.abs(rotated - twin[::-1]).mean(axis=(1, 2, 3))  # another frame's twin
    clockwise = np.abs(np.rot90(obs, -1, axes=(1, 2)) - twin).mean(axis=(1, 2, 3))
    assert err.max() < 0.5                     # measured ~0.003: only anti-aliased edges differ
    assert np.all(other[other > 0] > 10 * err.max())
    assert clockwise.min() > 10 * err.max()   # the convention is CCW, not CW


def _centroid(mask: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    assert rows.size > 0
    return np.array([rows.mean(), cols.mean()])


def test_image_axes_and_view(config):
    """Rows run along -y and columns along +x; the base is centred; the reach is in view.

    The rot90 test above cannot see a camera turned about its axis (that commutes with the
    world rotation), so the absolute orientation is checked here from the colours:
    the links are blue (B >> R), the goal red (R >> B).
    """
    size = config["image_size"]
    centre = (size - 1) / 2

    def arm(img):
        return img[..., 2].astype(int) - img[..., 0].astype(int) > 60

    def goal(img):
        return img[..., 0].astype(int) - img[..., 2].astype(int) > 100  # not the pink base

    east = reacher.render_state(np.array([0.0, 0.0, 0.2, 0.2]), config)
    north = reacher.render_state(np.array([np.pi / 2, 0.0, 0.2, 0.2]), config)
    r, c = _centroid(arm(east))
    assert c > centre + 0.15 * size and abs(r - centre) < 0.03 * size
    r, c = _centroid(arm(north))
    assert r < centre - 0.15 * size and abs(c - centre) < 0.03 * size
    r, c = _centroid(goal(east))
    assert r < centre - 0.3 * size and c > centre + 0.3 * size   # goal (0.2, 0.2): upper right
    # the fully stretched arm stays inside the frame in every direction
    for angle in np.linspace(0, 2 * np.pi, 16, endpoint=False):
        img = reacher.render_state(np.array([angle, 0.0, 0.2, 0.2]), config)
        mask = arm(img) | (img[..., 1].astype(int) - img[..., 0].astype(int) > 60)  # + fingertip
        rows, cols = np.nonzero(mask)
        assert rows.min() > 2 and cols.min() > 2
        assert rows.max() < size - 3 and cols.max() < size - 3


def test_goal_fixed(ep, limited_ep):
    for e in (ep, limited_ep):
        n = len(e["state/qpos"])
        np.testing.assert_array_equal(e["state/qpos"][:, 2:], np.tile([0.2, 0.2], (n, 1)))
        np.testing.assert_array_equal(e["twin/state/qpos"][:, 2:], np.tile([-0.2, 0.2], (n, 1)))
        np.testing.assert_array_equal(e["state/qvel"][:, 2:], 0.0)
        np.testing.assert_array_equal(e["state/obs_vector"][:, 4:6], e["state/qpos"][:, 2:])
        np.testing.assert_array_equal(e["twin/state/obs_vector"][:, 4:6],
                                      e["twin/state/qpos"][:, 2:])


def test_actions_within_bounds(ep, limited_ep):
    assert np.all(np.abs(ep["action"]) <= 1.0)
    lim = limited_ep["action"]
    assert np.all(lim[:, 0] >= -1) and np.all(lim[:, 0] <= 1)
    assert np.all(lim[:, 1] >= 0) and np.all(lim[:, 1] <= 1)
    assert lim[:, 0].min() < -0.9 and lim[:, 1].max() > 0.9  # the whole range is used
    full = reacher.episode(np.random.SeedSequence(12), 100,
                           reacher.make_config("full", {"image_size": 32, "warmup_steps": 5}))
    assert full["action"][:, 1].min() < -0.9


def test_obs_vector_layout_and_twin_geometry(ep):
    vec, twin = ep["state/obs_vector"], ep["twin/state/obs_vector"]
    q, dq = ep["state/qpos"], ep["state/qvel"]
    np.testing.assert_allclose(vec[:, 0:2], np.cos(q[:, :2]), atol=1e-12)
    np.testing.assert_allclose(vec[:, 2:4], np.sin(q[:, :2]), atol=1e-12)
    np.testing.assert_array_equal(vec[:, 6:8], dq[:, :2])
    # fingertip from forward kinematics: links of 0.1 m and 0.11 m to the fingertip body
    tip = np.stack([0.1 * np.cos(q[:, 0]) + 0.11 * np.cos(q[:, 0] + q[:, 1]),
                    0.1 * np.sin(q[:, 0]) + 0.11 * np.sin(q[:, 0] + q[:, 1])], axis=1)
    np.testing.assert_allclose(vec[:, 8:10], tip - q[:, 2:], atol=1e-9)
    # in the twin, (cos q0, sin q0) and fingertip - goal are rotated by +90 degrees
    np.testing.assert_allclose(twin[:, 0], -vec[:, 2], atol=1e-9)
    np.testing.assert_allclose(twin[:, 2], vec[:, 0], atol=1e-9)
    np.testing.assert_allclose(twin[:, [1, 3, 6, 7]], vec[:, [1, 3, 6, 7]], atol=1e-12)
    np.testing.assert_allclose(twin[:, 8], -vec[:, 9], atol=1e-9)
    np.testing.assert_allclose(twin[:, 9], vec[:, 8], atol=1e-9)


def test_physics_matches_gymnasium_reacher_v5(ep):
    """Replaying the recorded actions in gymnasium's Reacher-v5 gives the recorded states."""
    env = _gym_env()
    assert env.frame_skip == reacher.FRAME_SKIP and env.dt == pytest.approx(0.02)
    env.reset(seed=0)
    env.set_state(ep["state/qpos"][0], ep["state/qvel"][0])
    np.testing.assert_allclose(env._get_obs(), ep["state/obs_vector"][0], atol=1e-12)
    for t, action in enumerate(ep["action"]):
        env.step(action)
        np.testing.assert_allclose(env.data.qpos, ep["state/qpos"][t + 1], rtol=0, atol=1e-12)
        np.testing.assert_allclose(env.data.qvel, ep["state/qvel"][t + 1], rtol=0, atol=1e-10)
    env.close()


def test_dynamics_commute_with_the_rotation(ep):
    """Simulating the twin's first state with the same actions gives the twin's states."""
    env = _gym_env()
    env.reset(seed=0)
    env.set_state(ep["twin/state/qpos"][0], ep["twin/state/qvel"][0])
    for t, action in enumerate(ep["twin/action"]):
        env.step(action)
        np.testing.assert_allclose(env.data.qpos, ep["twin/state/qpos"][t + 1], atol=1e-9)
        np.testing.assert_allclose(env.data.qvel, ep["twin/state/qvel"][t + 1], atol=1e-8)
    env.close()


def test_deterministic_per_seed_and_different_across_seeds(ep, config):
    again = reacher.episode(np.random.SeedSequence(11), STEPS, config)
    for key in ep:
        assert ep[key].tobytes() == again[key].tobytes(), key
    other = reacher.episode(np.random.SeedSequence(13), STEPS, config)
    for key in ("obs", "action", "state/qpos", "twin/obs"):
        assert not np.array_equal(ep[key], other[key]), key


def _small_episode(seed: int) -> dict:
    cfg = reacher.make_config(None, {"image_size": 24, "warmup_steps": 3})
    return reacher.episode(np.random.SeedSequence(seed), 3, cfg)


def test_forked_workers_reproduce_the_parent():
    """Each forked process makes its own renderer and gets the same bytes as the parent."""
    parent = [_small_episode(s) for s in (1, 2)]   # the parent already holds a renderer
    with multiprocessing.get_context("fork").Pool(2) as pool:
        children = pool.map(_small_episode, (1, 2))
    for p, c in zip(parent, children):
        for key in p:
            assert p[key].tobytes() == c[key].tobytes(), key


def test_rotate_state_four_quarter_turns_is_identity():
    rng = np.random.default_rng(0)
    qpos, qvel = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    q4, v4 = reacher.rotate_state(qpos, qvel, 4)
    np.testing.assert_array_equal(q4, qpos)
    q, v = qpos, qvel
    for _ in range(4):
        q, v = reacher.rotate_state(q, v, 1)
    np.testing.assert_allclose(q[:, 0], qpos[:, 0] + 2 * np.pi)
    np.testing.assert_array_equal(q[:, 1:], qpos[:, 1:])
    np.testing.assert_array_equal(v, qvel)
    with pytest.raises(ValueError):
        reacher.rotate_state(np.zeros(3), np.zeros(4))
