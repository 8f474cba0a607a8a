"""Reacher generator: gymnasium's MuJoCo reacher arm seen from above, goal fixed at (0.2, 0.2).

Physics
-------
The model is gymnasium's ``Reacher-v5`` XML (``gymnasium/envs/mujoco/assets/reacher.xml``),
compiled unchanged and driven directly through ``mujoco.MjModel`` / ``mujoco.MjData`` with the
physics of gymnasium's ``reacher_v5.py``: RK4, timestep 0.01 s, ``frame_skip = 2`` (one env step
is ``ctrl = action; mj_step(model, data, nstep=2)``, dt = 0.02 s), two motors with gear 200 and
control range [-1, 1].  Given the same initial state and actions the joint trajectory is
bit-identical to ``gymnasium.make("Reacher-v5")`` (checked in ``tests/test_reacher.py``).

Episode (``rng = np.random.default_rng(seed)``)
-------------------------------------------------
1. Reset as gymnasium does: ``qpos = qpos0 + U(-0.1, 0.1)^4`` then the goal overwritten by the
   fixed ``(0.2, 0.2)``; ``qvel = U(-0.005, 0.005)^4`` with the goal's velocity set to 0.
2. ``warmup_steps`` (default 50) unrecorded steps, then ``T`` recorded steps, of a random
   policy: torques uniform in ``[-1, 1]^2`` (``actions="full"``), or with the second joint's
   torque uniform in ``[0, 1]`` (``actions="limited"``).  All ``warmup_steps + T`` actions are
   drawn in one call after the reset draws, and the float32 action is what is applied.
3. Frames: ``obs[k]`` is the render of the state after step ``warmup_steps - 1 + k`` (counting
   steps from 1), so ``obs[0]`` is the last frame before the end of the warm-up and observation
   ``t = obs[t : t + 2]`` (previous frame, current frame).  ``state/*[t]`` is the state shown by
   ``obs[t + 1]``.

State arrays are float64 ground truth: ``state/qpos`` (joint0, joint1, goal x, goal y),
``state/qvel`` and ``state/obs_vector``, the 10-vector of gymnasium's Reacher-v5 layout
``(cos q0, cos q1, sin q0, sin q1, goal x, goal y, dq0, dq1, fingertip - goal (x, y))``.
One deliberate difference: gymnasium reads the fingertip position that ``mj_step`` left in
``data.xpos``, i.e. the kinematics of the last RK4 sub-step's start (off by ~1e-6 m); here the
kinematics are recomputed (``mj_forward``) for the stored state, so that frames, state and
obs_vector describe the same configuration, for the data and its twin alike.

Rotated twin
------------
``twin/g = 1``: the world rotated by +pi/2 about the arm's base: ``q0 + pi/2``, goal
``(x, y) -> (-y, x)``, joint angular velocities unchanged (they are rotation invariant; the
original SEN code rotated them like a planar vector, which we consider a bug).  Actions are
unchanged.  Every twin state is the rotation of the stored state, re-rendered (frames) and
re-evaluated (``mj_forward``) from the rotated ``qpos``; it is not re-simulated.

Camera and orientation convention
---------------------------------
A fixed free camera looks straight down (``elevation = -90``) at the base, with ``azimuth = 90``
so that image columns run along +x and image rows along -y.  Rotating the world by +pi/2 about
the base therefore rotates the image counter-clockwise, like ``np.rot90(img, 1)`` (up to
aliasing).  The view spans ``+-0.25`` m at the floor: the arm's whole reachable disc
(radius 0.22 m with the fingertip) and the four D4 images of the goal; the arena walls at
``+-0.3`` m are out of view.  The only light is MuJoCo's headlight (on the camera axis, so
symmetric under the rotation) with ambient 0.3, diffuse 0.5 and no specular term: the default
specular highlight is interpolated over the floor's triangles and leaves a background gradient
that is not rotation symmetric.  With these settings the twin frame equals ``np.rot90`` of the
frame up to a few anti-aliased edge pixels (mean absolute difference ~0.003 of 255).

Rendering stack and reproducibility
-----------------------------------
Reference bytes were produced with MuJoCo 4.0.0 (Python bindings), ``MUJOCO_GL=egl`` on Mesa
22.3.6 llvmpipe (LLVM 15, software rasterizer), 4x multisampling (the model's default
``offsamples``).  The same state renders to identical pixels on that stack.  Frame bytes may
differ on other GPU drivers / Mesa versions; states and actions must not (CPU MuJoCo is
deterministic).  ``MUJOCO_GL`` is set to ``egl`` and ``LP_NUM_THREADS`` to ``0`` when unset,
before ``mujoco`` is imported: llvmpipe then renders in the calling thread, which gives the same
bytes as its threaded mode and survives ``fork``.  Each process creates its renderer lazily, so a
forking multiprocessing pool works even when the parent rendered first (tested); with a GPU EGL
driver prefer the ``spawn`` start method.
"""
from __future__ import annotations

import hashlib
import math
import os
from importlib import resources

os.environ.setdefault("MUJOCO_GL", "egl")
# Mesa llvmpipe: rasterize in the calling thread.  Its worker threads do not survive fork(), so
# with them a forked pool worker hangs forever in its first render; one thread per process is
# also what a pool of one worker per core wants (measured: no slower at 128x128).
os.environ.setdefault("LP_NUM_THREADS", "0")

import mujoco  # noqa: E402  (must follow the MUJOCO_GL default)
import numpy as np  # noqa: E402

from generators.registry import ActionSpace, EnvSpec, Symmetry, check_option_keys, register_env  # noqa: E402

__all__ = [
    "GOAL",
    "FRAME_SKIP",
    "make_config",
    "episode",
    "rotate_state",
    "render_state",
    "obs_vector",
    "model_xml",
]

GOAL: tuple[float, float] = (0.2, 0.2)
FRAME_SKIP = 2                      # gymnasium Reacher-v5 default
TIMESTEP = 0.01                     # from the XML (checked at model build)
INIT_QPOS_NOISE = 0.1               # gymnasium reset_model: U(-0.1, 0.1) on qpos
INIT_QVEL_NOISE = 0.005             # gymnasium reset_model: U(-0.005, 0.005) on qvel
DEFAULT_WARMUP_STEPS = 50
DEFAULT_IMAGE_SIZE = 128
VIEW_HALF_WIDTH = 0.25              # metres visible either side of the base, at the floor
CAMERA_FOVY = 45.0                  # degrees; MuJoCo's default free-camera field of view
# Headlight without specular: MuJoCo's default specular term is evaluated per vertex on the
# floor's triangulation and leaves a gradient that is not symmetric under rotations.
HEADLIGHT = {"ambient": 0.3, "diffuse": 0.5, "specular": 0.0}
MAX_IMAGE_SIZE = 1024
ACTION_SETS = {
    "full": ((-1.0, -1.0), (1.0, 1.0)),
    "limited": ((-1.0, 0.0), (1.0, 1.0)),
}
_OPTION_KEYS = ("warmup_steps", "image_size")


def model_xml() -> str:
    """The text of gymnasium's reacher.xml (the Reacher-v5 model)."""
    path = resources.files("gymnasium.envs.mujoco") / "assets" / "reacher.xml"
    return path.read_text()


def _positive_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"reacher option {name} must be an integer, got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"reacher option {name} must be in [{low}, {high}], got {value}")
    return int(value)


def make_config(actions: str | None, options: dict) -> dict:
    """Validate ``actions`` ("full" or "limited", default "full") and ``options``.

    Options: ``warmup_steps`` (int >= 1, default 50) and ``image_size`` (int, default 128).
    Returns a JSON-able dict with every value resolved (goal, physics and camera included).
    """
    actions = "full" if actions is None else actions
    if actions not in ACTION_SETS:
        raise ValueError(f"reacher actions must be one of {sorted(ACTION_SETS)}, got {actions!r}")
    options = check_option_keys("reacher", options, _OPTION_KEYS)
    warmup = _positive_int("warmup_steps", options.get("warmup_steps", DEFAULT_WARMUP_STEPS),
                           1, 100_000)
    size = _positive_int("image_size", options.get("image_size", DEFAULT_IMAGE_SIZE),
                         8, MAX_IMAGE_SIZE)
    low, high = ACTION_SETS[actions]
    distance = VIEW_HALF_WIDTH / math.tan(math.radians(CAMERA_FOVY) / 2)
    return {
        "actions": actions,
        "action_low": list(low),
        "action_high": list(high),
        "warmup_steps": warmup,
        "image_size": size,
        "goal": list(GOAL),
        "frame_skip": FRAME_SKIP,
        "timestep": TIMESTEP,
        "init_qpos_noise": INIT_QPOS_NOISE,
        "init_qvel_noise": INIT_QVEL_NOISE,
        "model": "gymnasium/envs/mujoco/assets/reacher.xml",
        "model_sha256": hashlib.sha256(model_xml().encode()).hexdigest(),
        "camera": {
            "lookat": [0.0, 0.0, 0.0],
            "distance": distance,
            "azimuth": 90.0,
            "elevation": -90.0,
            "fovy": CAMERA_FOVY,
            "view_half_width": VIEW_HALF_WIDTH,
        },
        "headlight": dict(HEADLIGHT),
        "twin_rotation": 1,
    }


class _Sim:
    """One process's MuJoCo model, two MjData (data and twin) and one offscreen renderer."""

    def __init__(self, image_size: int, camera: dict, headlight: dict) -> None:
        model = mujoco.MjModel.from_xml_string(model_xml())
        if model.nq != 4 or model.nv != 4 or model.nu != 2 or model.opt.timestep != TIMESTEP:
            raise ValueError("gymnasium's reacher.xml no longer matches the Reacher-v5 model")
        model.vis.global_.fovy = float(camera["fovy"])
        for name in ("ambient", "diffuse", "specular"):
            getattr(model.vis.headlight, name)[:] = float(headlight[name])
        model.vis.global_.offwidth = max(int(model.vis.global_.offwidth), image_size)
        model.vis.global_.offheight = max(int(model.vis.global_.offheight), image_size)
        self.model = model
        self.data = mujoco.MjData(model)
        self.scratch = mujoco.MjData(model)
        self.renderer = mujoco.Renderer(model, height=image_size, width=image_size)
        cam = mujoco.MjvCamera()
        cam.type = mujoco.mjtCamera.mjCAMERA_FREE
        cam.lookat[:] = camera["lookat"]
        cam.distance = float(camera["distance"])
        cam.azimuth = float(camera["azimuth"])
        cam.elevation = float(camera["elevation"])
        self.camera = cam
        self.fingertip = model.body("fingertip").id
        self.target = model.body("target").id

    def set_state(self, data: mujoco.MjData, qpos: np.ndarray, qvel: np.ndarray) -> None:
        """Load a state into ``data`` (time and controls zeroed) and evaluate it."""
        mujoco.mj_resetData(self.model, data)
        data.qpos[:] = qpos
        data.qvel[:] = qvel
        mujoco.mj_forward(self.model, data)

    def render(self, data: mujoco.MjData, out: np.ndarray) -> None:
        self.renderer.update_scene(data, camera=self.camera)
        self.renderer.render(out=out)

    def obs_vector(self, data: mujoco.MjData) -> np.ndarray:
        theta = data.qpos[:2]
        tip = data.xpos[self.fingertip] - data.xpos[self.target]
        return np.concatenate([np.cos(theta), np.sin(theta), data.qpos[2:], data.qvel[:2], tip[:2]])


_SIMS: dict[tuple, _Sim] = {}
_SIMS_PID: int | None = None
_INHERITED: list[_Sim] = []   # renderers copied from a parent process: kept alive, never used


def _sim(config: dict) -> _Sim:
    """The process's simulator for this image size and camera, created on first use."""
    global _SIMS_PID
    if _SIMS_PID != os.getpid():
        if _SIMS and os.environ.get("LP_NUM_THREADS") != "0":
            raise RuntimeError("reacher: this process was forked after rendering with llvmpipe "
                               "threads; use the 'spawn' start method or LP_NUM_THREADS=0")
        _INHERITED.extend(_SIMS.values())  # a GL context is not valid after fork; don't free it
        _SIMS.clear()
        _SIMS_PID = os.getpid()
    camera = config["camera"]
    light = config["headlight"]
    key = (int(config["image_size"]), tuple(camera["lookat"]), camera["distance"],
           camera["azimuth"], camera["elevation"], camera["fovy"],
           light["ambient"], light["diffuse"], light["specular"])
    if key not in _SIMS:
        _SIMS[key] = _Sim(int(config["image_size"]), camera, light)
    return _SIMS[key]


def rotate_state(qpos: np.ndarray, qvel: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Rotate states (``(..., 4)`` arrays) by ``k`` quarter turns about the base.

    First joint angle ``+ k pi/2``, goal position and goal velocity rotated as planar vectors
    (``(x, y) -> (-y, x)`` per quarter turn), joint angular velocities unchanged.
    """
    qpos = np.array(qpos, dtype=np.float64)
    qvel = np.array(qvel, dtype=np.float64)
    if qpos.shape[-1] != 4 or qvel.shape[-1] != 4:
        raise ValueError(f"reacher states have 4 coordinates, got {qpos.shape} and {qvel.shape}")
    k = int(k) % 4
    qpos[..., 0] += k * (np.pi / 2)
    for _ in range(k):
        qpos[..., 2], qpos[..., 3] = -qpos[..., 3].copy(), qpos[..., 2].copy()
        qvel[..., 2], qvel[..., 3] = -qvel[..., 3].copy(), qvel[..., 2].copy()
    return qpos, qvel


def render_state(qpos: np.ndarray, config: dict, qvel: np.ndarray | None = None) -> np.ndarray:
    """Render one state ``qpos`` (4,) with the episode camera: ``(S, S, 3)`` uint8."""
    sim = _sim(config)
    qpos = np.asarray(qpos, dtype=np.float64)
    if qpos.shape != (4,):
        raise ValueError(f"qpos must have shape (4,), got {qpos.shape}")
    sim.set_state(sim.scratch, qpos, np.zeros(4) if qvel is None else qvel)
    size = int(config["image_size"])
    out = np.empty((size, size, 3), dtype=np.uint8)
    sim.render(sim.scratch, out)
    return out


def obs_vector(qpos: np.ndarray, qvel: np.ndarray, config: dict) -> np.ndarray:
    """gymnasium Reacher-v5 observation vector (10,) of one state, kinematics recomputed."""
    sim = _sim(config)
    sim.set_state(sim.scratch, np.asarray(qpos, dtype=np.float64),
                  np.asarray(qvel, dtype=np.float64))
    return sim.obs_vector(sim.scratch)


def episode(seed: np.random.SeedSequence, steps: int, config: dict) -> dict[str, np.ndarray]:
    """Simulate and render one episode of ``steps`` recorded steps (see the module docstring)."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    steps = int(steps)
    sim = _sim(config)
    model, data, twin = sim.model, sim.data, sim.scratch
    warmup = int(config["warmup_steps"])
    frame_skip = int(config["frame_skip"])
    size = int(config["image_size"])
    rng = np.random.default_rng(seed)

    # gymnasium ReacherEnv.reset_model with the goal fixed
    qpos_noise, qvel_noise = config["init_qpos_noise"], config["init_qvel_noise"]
    qpos0 = model.qpos0 + rng.uniform(-qpos_noise, qpos_noise, model.nq)
    qpos0[2:] = config["goal"]
    qvel0 = rng.uniform(-qvel_noise, qvel_noise, model.nv)
    qvel0[2:] = 0.0
    actions = rng.uniform(config["action_low"], config["action_high"], (warmup + steps, 2))
    actions = actions.astype(np.float32)

    # frame k shows s_{warmup - 1 + k}, the state after step warmup - 1 + k (s_0: the reset)
    qpos = np.empty((steps + 2, 4))
    qvel = np.empty((steps + 2, 4))
    obs = np.empty((steps + 2, size, size, 3), dtype=np.uint8)
    obs_vec = np.empty((steps + 1, 10))

    def record(k: int) -> None:
        qpos[k], qvel[k] = data.qpos, data.qvel
        sim.render(data, obs[k])
        if k > 0:
            obs_vec[k - 1] = sim.obs_vector(data)

    sim.set_state(data, qpos0, qvel0)
    if warmup == 1:
        record(0)
    for i, action in enumerate(actions):   # step i + 1 leads to s_{i + 1}
        data.ctrl[:] = action
        mujoco.mj_step(model, data, nstep=frame_skip)
        k = i + 2 - warmup
        if k >= 0:
            mujoco.mj_forward(model, data)  # kinematics of the new state; dynamics unchanged
            record(k)

    twin_qpos, twin_qvel = twin_state((qpos, qvel), config["twin_rotation"])
    twin_obs = np.empty_like(obs)
    twin_vec = np.empty_like(obs_vec)
    for k in range(steps + 2):
        sim.set_state(twin, twin_qpos[k], twin_qvel[k])
        sim.render(twin, twin_obs[k])
        if k > 0:
            twin_vec[k - 1] = sim.obs_vector(twin)

    return {
        "obs": obs,
        "action": actions[warmup:].copy(),
        "state/qpos": qpos[1:],
        "state/qvel": qvel[1:],
        "state/obs_vector": obs_vec,
        "twin/g": np.asarray(int(config["twin_rotation"]), dtype=np.int64),
        "twin/obs": twin_obs,
        "twin/action": twin_action(actions[warmup:], config["twin_rotation"]),
        "twin/state/qpos": twin_qpos[1:],
        "twin/state/qvel": twin_qvel[1:],
        "twin/state/obs_vector": twin_vec,
    }


def twin_state(state: tuple[np.ndarray, np.ndarray], g: int) -> tuple[np.ndarray, np.ndarray]:
    """The twin of a state ``(qpos, qvel)``: :func:`rotate_state` by ``g`` quarter turns."""
    qpos, qvel = state
    return rotate_state(qpos, qvel, int(g))


def twin_action(action: np.ndarray, g: int) -> np.ndarray:
    """Torques are unchanged by a rotation about the base (the twin keeps the action)."""
    return np.asarray(action).copy()


SPEC = register_env(EnvSpec(
    name="reacher",
    env_id="senbench/Reacher-v1",
    version="1",
    frame_shape=(DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE, 3),
    frame_stack=2,
    action=ActionSpace("box", shape=(2,), low=-1.0, high=1.0),
    symmetry=Symmetry(group="D4 x (R^2, +)", element="int64 power of the 90-degree CCW rotation",
                      act_on_state=twin_state, act_on_action=twin_action),
    make_config=make_config,
    episode=episode,
    default_splits={"train": {"episodes": 2000, "steps": 10, "seed": 21},
                    "eval": {"episodes": 1000, "steps": 10, "seed": 22},
                    "limited": {"episodes": 2000, "steps": 10, "seed": 23, "actions": "limited"}},
    paper_batch_size=256,
))
