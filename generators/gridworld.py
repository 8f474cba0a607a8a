"""The grid world of 2D Shapes and 3D Blocks, as a Gymnasium environment.

Five objects on a 5x5 grid. Action ``a = object * 4 + direction`` with the four
directions in counter-clockwise order::

    0 up (-1, 0)   1 left (0, -1)   2 down (+1, 0)   3 right (0, +1)

so the 90 degree counter-clockwise rotation of the world, ``(r, c) -> (W-1-c, r)``,
maps direction ``d`` to ``(d + 1) % 4``: the generator of C4 is a cyclic shift of
the direction one-hot (its regular representation). A move into the wall or into
another object leaves the state unchanged. Gymnasium ids: ``senbench/Shapes-v1``,
``senbench/Blocks-v1``.
"""
from __future__ import annotations

import numpy as np
import gymnasium
from gymnasium import spaces

from generators.registry import ActionSpace, EnvSpec, Symmetry, check_option_keys, register_env

DIRECTIONS = ("up", "left", "down", "right")
MOVES = np.array([[-1, 0], [0, -1], [1, 0], [0, 1]], dtype=np.int64)
RENDERERS = ("shapes", "cubes")
VERSION = "1"


# --- dynamics and symmetry, as pure functions of the state --------------------------------
def step_state(state: np.ndarray, action: int, grid_size: int) -> np.ndarray:
    """Next grid state; blocked moves (wall or other object) leave it unchanged."""
    obj, direction = divmod(int(action), 4)
    if not 0 <= obj < len(state):
        raise ValueError(f"action {action} names object {obj}, only {len(state)} exist")
    target = state[obj] + MOVES[direction]
    if np.any(target < 0) or np.any(target >= grid_size):
        return state.copy()
    if np.any(np.all(np.delete(state, obj, axis=0) == target, axis=1)):
        return state.copy()
    nxt = state.copy()
    nxt[obj] = target
    return nxt


def rotate_state(state: np.ndarray, grid_size: int, k: int = 1) -> np.ndarray:
    """Grid coordinates rotated k times by 90 degrees CCW: (r, c) -> (W-1-c, r)."""
    out = np.asarray(state, dtype=np.int64).copy()
    for _ in range(k % 4):
        out = np.stack([grid_size - 1 - out[..., 1], out[..., 0]], axis=-1)
    return out


def rotate_action(action, k: int = 1):
    """The action's direction turned with the world: d -> (d + k) % 4, object unchanged."""
    action = np.asarray(action, dtype=np.int64)
    return (action // 4) * 4 + (action % 4 + k) % 4


def parse_directions(actions: str | None) -> tuple[int, ...]:
    """``"up,right,down"`` -> direction indices; None or "all" -> all four."""
    if actions is None or actions == "all":
        return tuple(range(4))
    names = [a.strip() for a in actions.split(",") if a.strip()]
    bad = [a for a in names if a not in DIRECTIONS]
    if bad or not names:
        raise ValueError(f"unknown direction(s) {', '.join(bad) or repr(actions)}; "
                         f"choose from {', '.join(DIRECTIONS)}")
    return tuple(sorted({DIRECTIONS.index(a) for a in names}))


# --- the Gymnasium environment ------------------------------------------------------------
class GridWorldEnv(gymnasium.Env):
    """Objects pushed on a grid; observations are rendered images (uint8, HWC)."""

    metadata = {"render_modes": ["rgb_array"]}

    def __init__(self, renderer: str = "shapes", grid_size: int = 5, n_objects: int = 5,
                 image_size: int = 50):
        if renderer not in RENDERERS:
            raise ValueError(f"unknown renderer {renderer!r}; choose {', '.join(RENDERERS)}")
        if n_objects > grid_size * grid_size:
            raise ValueError(f"{n_objects} objects do not fit a {grid_size}x{grid_size} grid")
        if image_size % grid_size:
            raise ValueError(f"image size {image_size} is not a multiple of grid size {grid_size}")
        self.grid_size, self.n_objects, self.render_mode = grid_size, n_objects, "rgb_array"
        if renderer == "shapes":
            from generators.render_shapes import ShapesRenderer
            self._renderer = ShapesRenderer(grid_size, n_objects, image_size // grid_size)
        else:
            from generators.render_blocks import blocks_renderer
            self._renderer = blocks_renderer(grid_size=grid_size, n_objects=n_objects,
                                             image_size=image_size)
        self.observation_space = spaces.Box(0, 255, (image_size, image_size, 3), np.uint8)
        self.action_space = spaces.Discrete(4 * n_objects)
        self.state = np.zeros((n_objects, 2), dtype=np.int64)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        cells = self.np_random.choice(self.grid_size ** 2, size=self.n_objects, replace=False)
        self.state = np.stack(np.divmod(cells, self.grid_size), axis=-1).astype(np.int64)
        return self.render(), {"state": self.state.copy()}

    def step(self, action):
        if not self.action_space.contains(int(action)):
            raise ValueError(f"action {action} outside [0, {self.action_space.n})")
        self.state = step_state(self.state, int(action), self.grid_size)
        return self.render(), 0.0, False, False, {"state": self.state.copy()}

    def render_state(self, state: np.ndarray) -> np.ndarray:
        return self._renderer.render(state)

    def render(self) -> np.ndarray:
        return self._renderer.render(self.state)


gymnasium.register(id="senbench/Shapes-v1", entry_point=GridWorldEnv,
                   kwargs={"renderer": "shapes"})
gymnasium.register(id="senbench/Blocks-v1", entry_point=GridWorldEnv,
                   kwargs={"renderer": "cubes"})


# --- dataset generation ---------------------------------------------------------------------
_ENVS: dict[tuple, GridWorldEnv] = {}


def _env(config: dict) -> GridWorldEnv:
    key = (config["renderer"], config["grid_size"], config["n_objects"], config["image_size"])
    if key not in _ENVS:
        _ENVS[key] = GridWorldEnv(*key)
    return _ENVS[key]


GRID_SIZE, N_OBJECTS, IMAGE_SIZE = 5, 5, 50  # every model of the suite assumes these
TWIN_G = 1  # the twin of every grid-world file: one quarter turn CCW


def _make_config(renderer: str):
    def make_config(actions: str | None, options: dict) -> dict:
        """The grid world's config: the renderer, the fixed geometry, the directions allowed.

        The grid worlds take no options (``options`` must be empty).
        """
        config = {"renderer": renderer, "grid_size": GRID_SIZE, "n_objects": N_OBJECTS,
                  "image_size": IMAGE_SIZE}
        check_option_keys("the grid world", options, ())
        dirs = parse_directions(actions)
        config["directions"] = [DIRECTIONS[d] for d in dirs]
        return config
    return make_config


def episode(seed: np.random.SeedSequence, steps: int, config: dict) -> dict[str, np.ndarray]:
    """One episode of the random policy over the allowed directions, with its rotated twin."""
    env = _env(config)
    env_seed, policy_seed = seed.spawn(2)
    obs, info = env.reset(seed=int(env_seed.generate_state(1)[0]))
    rng = np.random.default_rng(policy_seed)
    dirs = np.array([DIRECTIONS.index(d) for d in config["directions"]], dtype=np.int64)
    frames, states, actions = [obs], [info["state"]], []
    for _ in range(steps):
        action = int(rng.integers(env.n_objects)) * 4 + int(dirs[rng.integers(len(dirs))])
        obs, _, _, _, info = env.step(action)
        frames.append(obs)
        states.append(info["state"])
        actions.append(action)
    states_arr = np.stack(states)
    actions_arr = np.asarray(actions, dtype=np.int64)
    twin_states = twin_state(states_arr, TWIN_G)
    return {
        "obs": np.stack(frames),
        "action": actions_arr,
        "state/grid": states_arr,
        "twin/obs": np.stack([env.render_state(s) for s in twin_states]),
        "twin/action": rotate_action(actions_arr, TWIN_G),
        "twin/state/grid": twin_states,
        "twin/g": np.int64(TWIN_G),
    }


def twin_state(state: np.ndarray, g: int) -> np.ndarray:
    """The rotated twin's grid state: ``g`` quarter turns CCW of the 5x5 grid."""
    return rotate_state(state, GRID_SIZE, int(g))


def _grid_splits(seed: int, limited: str) -> dict:
    """The paper's dataset sizes (SPEC section 2); ``seed`` is the first of three."""
    return {"train": {"episodes": 1000, "steps": 100, "seed": seed},
            "eval": {"episodes": 10000, "steps": 10, "seed": seed + 1},
            "limited": {"episodes": 100000, "steps": 1, "seed": seed + 2, "actions": limited}}


_GRID_COMMON = dict(
    version=VERSION, frame_shape=(IMAGE_SIZE, IMAGE_SIZE, 3), frame_stack=1,
    action=ActionSpace("discrete", n=4 * N_OBJECTS),
    symmetry=Symmetry(group="C4 x S5", element="int64 power of the 90-degree CCW rotation",
                      act_on_state=twin_state, act_on_action=rotate_action),
    episode=episode)
register_env(EnvSpec(name="shapes", env_id="senbench/Shapes-v1",
                     make_config=_make_config("shapes"), default_splits=_grid_splits(1, "up"),
                     **_GRID_COMMON))
register_env(EnvSpec(name="blocks", env_id="senbench/Blocks-v1",
                     make_config=_make_config("cubes"),
                     default_splits=_grid_splits(11, "up,right,down"), **_GRID_COMMON))
