"""Dynamics, rotated twin and renderers of the grid worlds (2D Shapes, 3D Blocks)."""
from __future__ import annotations

import numpy as np
import pytest

from generators.gridworld import (DIRECTIONS, GridWorldEnv, episode, parse_directions,
                                  rotate_action, rotate_state, step_state)
from generators.reader import EpisodeFile
from generators.registry import get_env


def act(obj: int, direction: str) -> int:
    return obj * 4 + DIRECTIONS.index(direction)


def test_moves_and_walls():
    state = np.array([[0, 0], [2, 2], [4, 4]])
    # up from row 0 is a wall: unchanged
    assert np.array_equal(step_state(state, act(0, "up"), 5), state)
    assert np.array_equal(step_state(state, act(0, "left"), 5), state)
    assert np.array_equal(step_state(state, act(2, "down"), 5), state)
    assert np.array_equal(step_state(state, act(2, "right"), 5), state)
    moved = step_state(state, act(1, "up"), 5)
    assert moved[1].tolist() == [1, 2] and np.array_equal(moved[[0, 2]], state[[0, 2]])
    assert step_state(state, act(1, "left"), 5)[1].tolist() == [2, 1]
    assert step_state(state, act(1, "down"), 5)[1].tolist() == [3, 2]
    assert step_state(state, act(1, "right"), 5)[1].tolist() == [2, 3]


def test_move_into_object_is_blocked():
    state = np.array([[2, 2], [1, 2], [2, 3]])
    assert np.array_equal(step_state(state, act(0, "up"), 5), state)
    assert np.array_equal(step_state(state, act(0, "right"), 5), state)
    assert step_state(state, act(0, "down"), 5)[0].tolist() == [3, 2]


def test_rotation_is_ccw_and_commutes_with_dynamics():
    # (r, c) -> (W-1-c, r): the top-right corner goes to the top-left corner (CCW)
    assert rotate_state(np.array([[0, 4]]), 5).tolist() == [[0, 0]]
    assert np.array_equal(rotate_state(np.array([[1, 3]]), 5, k=4), [[1, 3]])
    rng = np.random.default_rng(0)
    for _ in range(200):
        cells = rng.choice(25, size=5, replace=False)
        state = np.stack(np.divmod(cells, 5), axis=-1)
        a = int(rng.integers(20))
        lhs = step_state(rotate_state(state, 5), int(rotate_action(a)), 5)
        rhs = rotate_state(step_state(state, a, 5), 5)
        assert np.array_equal(lhs, rhs)
    # rotating the world CCW turns "up" into "left"
    assert DIRECTIONS[int(rotate_action(act(0, "up"))) % 4] == "left"


def test_rotation_matches_pixels_of_2d_render():
    """The twin state's image of a rotation-symmetric sprite set equals np.rot90 of the image."""
    env = GridWorldEnv("shapes", n_objects=1)  # object 0 is a circle: symmetric under C4
    for r, c in [(0, 1), (3, 4), (2, 2)]:
        state = np.array([[r, c]])
        img = env.render_state(state)
        assert np.array_equal(env.render_state(rotate_state(state, 5)), np.rot90(img))


@pytest.mark.parametrize("env_name", ["shapes", "blocks"])
def test_twin_is_rendered_rotated_state(tiny_grid_files, env_name):
    renderer = "shapes" if env_name == "shapes" else "cubes"
    env = GridWorldEnv(renderer)
    with EpisodeFile(tiny_grid_files[env_name]) as ds:
        states, twin_states = ds.array("state/grid"), ds.array("twin/state/grid")
        obs, twin_obs = ds.array("obs"), ds.array("twin/obs")
        actions, twin_actions = ds.array("action"), ds.array("twin/action")
        assert np.all(ds.array("twin/g") == 1)
    for e in range(states.shape[0]):
        for t in range(states.shape[1]):
            rotated = np.stack([4 - states[e, t, :, 1], states[e, t, :, 0]], axis=-1)
            assert np.array_equal(twin_states[e, t], rotated)
            assert np.array_equal(twin_obs[e, t], env.render_state(rotated))
            assert np.array_equal(obs[e, t], env.render_state(states[e, t]))
        obj, d = np.divmod(actions[e], 4)
        assert np.array_equal(twin_actions[e], obj * 4 + (d + 1) % 4)
        # the recorded transitions follow the dynamics
        for t in range(actions.shape[1]):
            assert np.array_equal(states[e, t + 1], step_state(states[e, t], actions[e, t], 5))


def test_blocks_twin_is_not_a_pixel_rotation():
    env = GridWorldEnv("cubes")
    state = np.array([[0, 0], [0, 4], [2, 2], [4, 4], [4, 1]])
    img = env.render_state(state)
    twin = env.render_state(rotate_state(state, 5))
    assert not np.array_equal(twin, np.rot90(img))


def test_renderers_are_deterministic_and_distinguish_states():
    for renderer in ("shapes", "cubes"):
        env = GridWorldEnv(renderer)
        a = np.array([[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]])
        b = a.copy()
        b[0] = [0, 1]
        img = env.render_state(a)
        assert img.dtype == np.uint8 and img.shape == (50, 50, 3)
        assert np.array_equal(img, env.render_state(a.copy()))
        assert not np.array_equal(img, env.render_state(b))


def test_shapes_by_object_index():
    env = GridWorldEnv("shapes")
    state = np.array([[0, 0], [0, 2], [0, 4], [2, 0], [2, 2]])
    img = env.render_state(state)
    areas = [int((img[r * 10:(r + 1) * 10, c * 10:(c + 1) * 10].sum(-1) > 0).sum())
             for r, c in state]
    # circle, triangle, square, circle, triangle: same shape, same area; shapes differ
    assert areas[0] == areas[3] and areas[1] == areas[4]
    assert len({areas[0], areas[1], areas[2]}) == 3


def test_gymnasium_env_reset_seed():
    import gymnasium
    import generators.gridworld  # noqa: F401  (registers the ids)
    env = gymnasium.make("senbench/Shapes-v1")
    o1, i1 = env.reset(seed=3)
    o2, i2 = env.reset(seed=3)
    assert np.array_equal(o1, o2) and np.array_equal(i1["state"], i2["state"])
    assert len({tuple(p) for p in i1["state"]}) == 5
    obs, reward, terminated, truncated, info = env.step(0)
    assert obs.shape == (50, 50, 3) and not terminated
    with pytest.raises(ValueError):
        env.unwrapped.step(20)


def test_limited_actions_only_allowed_directions():
    config = get_env("blocks").make_config("up,right,down", {})
    seed = np.random.SeedSequence(7)
    for child in seed.spawn(20):
        ep = episode(child, 5, config)
        dirs = set((ep["action"] % 4).tolist())
        assert DIRECTIONS.index("left") not in dirs
    config = get_env("shapes").make_config("up", {})
    actions = np.concatenate([episode(c, 3, config)["action"] for c in seed.spawn(20)])
    assert set((actions % 4).tolist()) == {0}
    assert len(set((actions // 4).tolist())) > 1  # all objects still move


def test_config_rejects_bad_input():
    with pytest.raises(ValueError, match="direction"):
        parse_directions("up,north")
    with pytest.raises(ValueError, match="unknown option"):
        get_env("shapes").make_config(None, {"colour": 3})
    with pytest.raises(ValueError):
        get_env("shapes").make_config(None, {"grid_size": 0})
