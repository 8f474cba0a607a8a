"""3D Teapot: a grayscale Utah teapot rotated by elements of SO(3).

State ``R`` in SO(3) (the teapot's orientation, model -> world), action ``a`` in
SO(3), dynamics ``R' = a R`` (the action rotates the teapot about world axes
through its centre). Symmetry: SO(3) acting on the left, ``g . R = g R`` and
``g . a = g a g^-1``, so that ``(g a g^-1)(g R) = g (a R)``.

Mesh
----
Newell's 32 bicubic Bezier patches (``data/utah_teapot_bezier.json``, z up) are
evaluated on a regular ``MESH_RESOLUTION x MESH_RESOLUTION`` grid of quads per
patch (6 x 6, two triangles a quad: about 3 px a quad at 64 x 64, smooth enough
with interpolated normals and twice as fast as 8 x 8). Coincident vertices along
patch seams are welded (coordinates rounded to 1e-6), triangles that collapse at
the patch poles (lid knob top, bottom centre) are dropped: 1177 vertices, 2256
triangles. The winding is counter-clockwise seen from outside for all 32 patches
(Newell's data are consistently oriented). Per-vertex normals are the
area-weighted mean of the adjacent face normals (smooth shading across seams).
The mesh is centred at the centre of its bounding box and scaled so that its
farthest vertex lies on the unit sphere; every rotation about the origin
therefore keeps it inside the unit ball.
TinyRenderer culls back faces and the teapot is not closed (gap between lid and
rim, spout opening), so the renderer draws it two-sided: a second copy with
reversed winding and negated normals is the inside surface (otherwise one sees the
white background through the lid gap).

Camera, light, image
--------------------
pybullet's CPU TinyRenderer (``ER_TINY_RENDERER``, DIRECT mode: deterministic),
64 x 64 pixels, perspective camera at ``(4, 0, 0)`` looking at the origin, up
``+z``, vertical field of view 32 degrees. The unit ball subtends a half-angle of
``asin(1/4) = 14.5`` degrees, so it projects into a disc of radius ~28.8 px: every
orientation stays in frame with a ~3 px background margin. Image axes: right is
world ``+y``, up is world ``+z``, the viewing axis is world ``x`` (TinyRenderer
puts it on pixel index (row 31, column 32)).
Directional light towards ``(1, -1, 1)`` (from the camera side, upper left),
ambient 0.3, diffuse 0.7, no specular, no shadows; teapot colour gray 0.8 so
that lit pixels (<= 204) never reach the white background (255).
Grayscale: ``(299 R + 587 G + 114 B + 500) // 1000`` in integers (ITU-R BT.601
weights), stored as ``(64, 64, 1)`` uint8.

Axes of the traversal sets (TH@1)
---------------------------------
``yaw`` = world ``z`` (the image's vertical axis), ``pitch`` = world ``y`` (the
image's horizontal axis), ``roll`` = world ``x`` (the viewing axis: an in-plane
rotation of the image). Each traversal step is the rotation by ``2 pi / 30``
about that axis, applied on the left like every action.

Randomness
----------
``episode`` draws from ``np.random.default_rng(seed)`` in this order: ``R0``
(Haar), the ``T`` actions (Haar for ``large``; a uniform index into the six small
rotations for ``small``), the twin element ``g`` (Haar), then the ``K`` hard
negative perturbations. Hard negatives are ``q R_1``, ``q`` a rotation about a
uniform random axis by an angle uniform in ``[angle/2, angle]`` (see
:func:`generators.so3.small_rotations`). ``extras`` draws the ``N`` traversal start
poses (Haar) from its own seed; the same start poses are used for all three axes.
Rendering uses the stored float32 poses, so re-rendering a stored state reproduces
its stored image byte for byte.
"""
from __future__ import annotations

import functools
import json
import math
import os
from dataclasses import dataclass
from math import comb
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from generators import so3
from generators.registry import ActionSpace, EnvSpec, Symmetry, check_option_keys, register_env

VERSION = "2"   # 2: one twin g per file; hard negatives at exact angles 2pi/n
DATA_FILE = Path(__file__).resolve().parent / "data" / "utah_teapot_bezier.json"

MESH_RESOLUTION = 6          # quads per side of each Bezier patch
IMAGE_SIZE = 64
CAMERA_DISTANCE = 4.0        # camera at (CAMERA_DISTANCE, 0, 0), looking at the origin
CAMERA_FOV_DEG = 32.0        # vertical field of view
LIGHT_DIRECTION = (1.0, -1.0, 1.0)
LIGHT_AMBIENT, LIGHT_DIFFUSE, LIGHT_SPECULAR = 0.3, 0.7, 0.0
TEAPOT_GRAY = 0.8
GRAY_WEIGHTS = (299, 587, 114)  # per mille, ITU-R BT.601
BACKGROUND = 255                 # TinyRenderer clears to white
_GRAY_WEIGHTS = np.array(GRAY_WEIGHTS, dtype=np.uint32)
RENDER_DEFAULTS = {  # keyword arguments of TeapotRenderer
    "image_size": IMAGE_SIZE,
    "camera_distance": CAMERA_DISTANCE,
    "fov_deg": CAMERA_FOV_DEG,
    "light_direction": LIGHT_DIRECTION,
    "ambient": LIGHT_AMBIENT,
    "diffuse": LIGHT_DIFFUSE,
    "specular": LIGHT_SPECULAR,
    "gray": TEAPOT_GRAY,
    "mesh_resolution": MESH_RESOLUTION,
}

ACTION_SETS = ("large", "small")
STEP_ANGLE = 2.0 * math.pi / 30.0   # small actions and traversal steps
TRAVERSAL_AXES = (("yaw", "z"), ("pitch", "y"), ("roll", "x"))
STEP_TURNS = 30                     # 2pi/30: one small-action step, the HH@1 negatives' angle
DEFAULT_OPTIONS = {
    "hard_negatives": 0,
    "hard_negative_turns": [STEP_TURNS],   # negatives turned by exactly 2pi/n, for each n
    "traversals": 0,
    "traversal_steps": 30,
}


# --- mesh ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class TeapotMesh:
    """Triangle mesh of the teapot in the unit ball (read-only arrays)."""

    vertices: np.ndarray   # (V, 3) float64
    normals: np.ndarray    # (V, 3) float64, unit, outward
    triangles: np.ndarray  # (F, 3) int32, counter-clockwise seen from outside


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def bezier_patches() -> tuple[np.ndarray, np.ndarray]:
    """Newell's control points ``(306, 3)`` and patches ``(32, 16)`` (0-based indices)."""
    data = json.loads(DATA_FILE.read_text())
    points = np.asarray(data["points"], dtype=np.float64)
    patches = np.asarray(data["patches"], dtype=np.int64) - 1
    if points.shape != (306, 3) or patches.shape != (32, 16):
        raise ValueError(f"unexpected teapot data shapes {points.shape}, {patches.shape}")
    return points, patches


@functools.lru_cache(maxsize=None)
def teapot_mesh(resolution: int = MESH_RESOLUTION) -> TeapotMesh:
    """Tessellated, welded, centred and unit-ball scaled teapot (cached per process)."""
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 1:
        raise ValueError(f"mesh resolution must be a positive int, got {resolution!r}")
    points, patches = bezier_patches()
    n = resolution
    t = np.linspace(0.0, 1.0, n + 1)
    basis = np.stack([comb(3, i) * t**i * (1.0 - t) ** (3 - i) for i in range(4)], axis=1)
    control = points[patches].reshape(len(patches), 4, 4, 3)
    # surface points S[p, u, v] = sum_ij B_i(u) B_j(v) P[p, i, j]
    surface = np.einsum("ui,vj,pijc->puvc", basis, basis, control).reshape(-1, 3)

    grid = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
    a = grid[:-1, :-1].ravel()          # (u, v)
    b = grid[1:, :-1].ravel()           # (u + 1, v)
    c = grid[1:, 1:].ravel()            # (u + 1, v + 1)
    d = grid[:-1, 1:].ravel()           # (u, v + 1)
    quad_tris = np.concatenate([np.stack([a, c, b], 1), np.stack([a, d, c], 1)])
    offsets = np.arange(len(patches))[:, None, None] * (n + 1) ** 2
    triangles = (quad_tris[None] + offsets).reshape(-1, 3)

    # weld seam vertices, drop triangles collapsed at the poles
    _, first, inverse = np.unique(np.round(surface, 6), axis=0, return_index=True,
                                  return_inverse=True)
    vertices = surface[first]
    triangles = inverse.reshape(-1)[triangles]
    distinct = ((triangles[:, 0] != triangles[:, 1]) & (triangles[:, 1] != triangles[:, 2])
                & (triangles[:, 0] != triangles[:, 2]))
    triangles = triangles[distinct]

    corners = vertices[triangles]
    face_normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    nonzero = np.linalg.norm(face_normals, axis=1) > 0.0
    triangles, face_normals = triangles[nonzero], face_normals[nonzero]
    normals = np.zeros_like(vertices)
    for k in range(3):  # area-weighted (|cross| = 2 * area)
        np.add.at(normals, triangles[:, k], face_normals)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)

    vertices = vertices - (vertices.min(axis=0) + vertices.max(axis=0)) / 2.0
    vertices = vertices / np.linalg.norm(vertices, axis=1).max()
    return TeapotMesh(_readonly(vertices), _readonly(normals),
                      _readonly(triangles.astype(np.int32)))


# --- renderer -----------------------------------------------------------------------------
class TeapotRenderer:
    """Renders teapot orientations (3x3 rotation matrices) to ``(S, S, 1)`` uint8 images.

    Settings are fixed at construction. The pybullet client (DIRECT mode, CPU
    TinyRenderer) is created lazily on the first render and re-created in a forked
    child, so each process has its own.
    """

    def __init__(self, image_size: int = IMAGE_SIZE, camera_distance: float = CAMERA_DISTANCE,
                 fov_deg: float = CAMERA_FOV_DEG,
                 light_direction: Sequence[float] = LIGHT_DIRECTION,
                 ambient: float = LIGHT_AMBIENT, diffuse: float = LIGHT_DIFFUSE,
                 specular: float = LIGHT_SPECULAR, gray: float = TEAPOT_GRAY,
                 mesh_resolution: int = MESH_RESOLUTION) -> None:
        if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 8:
            raise ValueError(f"image_size must be an int >= 8, got {image_size!r}")
        if not 0.0 < fov_deg < 180.0:
            raise ValueError(f"fov_deg must be in (0, 180), got {fov_deg!r}")
        if not camera_distance > 1.0:
            raise ValueError(f"camera_distance must exceed 1 (the teapot's radius), got {camera_distance!r}")
        if math.asin(1.0 / camera_distance) >= math.radians(fov_deg) / 2.0:
            raise ValueError("the unit ball does not fit the field of view; "
                             "increase camera_distance or fov_deg")
        light = [float(x) for x in light_direction]
        if len(light) != 3 or not any(light):
            raise ValueError(f"light_direction must be a non-zero 3-vector, got {light_direction!r}")
        if not 0.0 < gray <= 1.0:
            raise ValueError(f"gray must be in (0, 1], got {gray!r}")
        self.image_size = image_size
        self.camera_distance = float(camera_distance)
        self.fov_deg = float(fov_deg)
        self.light_direction = tuple(light)
        self.ambient, self.diffuse, self.specular = float(ambient), float(diffuse), float(specular)
        self.gray = float(gray)
        self.mesh_resolution = mesh_resolution
        self.mesh = teapot_mesh(mesh_resolution)
        self._p = None
        self._client: int | None = None
        self._pid: int | None = None
        self._body: int | None = None

    def settings(self) -> dict:
        """The construction settings as a JSON-able dict."""
        return {
            "image_size": self.image_size,
            "camera_distance": self.camera_distance,
            "fov_deg": self.fov_deg,
            "light_direction": list(self.light_direction),
            "ambient": self.ambient,
            "diffuse": self.diffuse,
            "specular": self.specular,
            "gray": self.gray,
            "mesh_resolution": self.mesh_resolution,
        }

    def _connect(self) -> None:
        import pybullet  # deferred: importing this module must not need pybullet
        p = self._p = pybullet
        cid = self._client = p.connect(p.DIRECT)
        self._pid = os.getpid()
        # two-sided: the inside is a copy with reversed winding and negated normals,
        # seen through the lid gap and the spout opening (TinyRenderer culls back faces)
        mesh = self.mesh
        vertices = np.concatenate([mesh.vertices, mesh.vertices])
        normals = np.concatenate([mesh.normals, -mesh.normals])
        triangles = np.concatenate([mesh.triangles, mesh.triangles[:, ::-1] + len(mesh.vertices)])
        shape = p.createVisualShape(
            shapeType=p.GEOM_MESH, vertices=vertices.tolist(),
            indices=triangles.reshape(-1).tolist(), normals=normals.tolist(),
            rgbaColor=[self.gray, self.gray, self.gray, 1.0], specularColor=[0.0, 0.0, 0.0],
            physicsClientId=cid)
        if shape < 0:
            raise RuntimeError("pybullet could not create the teapot mesh")
        self._body = p.createMultiBody(baseMass=0.0, baseVisualShapeIndex=shape,
                                       physicsClientId=cid)
        d = self.camera_distance
        self._view = p.computeViewMatrix([d, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0],
                                         physicsClientId=cid)
        self._proj = p.computeProjectionMatrixFOV(self.fov_deg, 1.0, 0.1, d + 2.0,
                                                  physicsClientId=cid)

    def _ensure_client(self) -> None:
        if self._client is None or self._pid != os.getpid():
            self._connect()

    def render(self, rotation: np.ndarray) -> np.ndarray:
        """Image ``(S, S, 1)`` uint8 of the teapot with orientation ``rotation`` (3x3)."""
        rotation = np.asarray(rotation, dtype=np.float64)
        if rotation.shape != (3, 3):
            raise ValueError(f"render expects a 3x3 rotation matrix, got shape {rotation.shape}")
        return self.render_many(rotation[None])[0]

    def render_many(self, rotations: np.ndarray) -> np.ndarray:
        """Images ``(N, S, S, 1)`` uint8 of a batch of rotations ``(N, 3, 3)``."""
        rotations = np.asarray(rotations, dtype=np.float64)
        if rotations.ndim != 3 or rotations.shape[1:] != (3, 3):
            raise ValueError(f"render_many expects rotations of shape (N, 3, 3), got {rotations.shape}")
        if not so3.is_rotation(rotations, atol=1e-4):
            raise ValueError("render_many expects rotation matrices (orthogonal, det +1)")
        quats = so3.matrix_to_quaternion(rotations)
        out = np.empty((len(rotations), self.image_size, self.image_size, 1), dtype=np.uint8)
        for i, quat in enumerate(quats):
            out[i] = self._render_quaternion(quat.tolist())
        return out

    def _render_quaternion(self, quat: list[float]) -> np.ndarray:
        self._ensure_client()
        p, cid, s = self._p, self._client, self.image_size
        p.resetBasePositionAndOrientation(self._body, [0.0, 0.0, 0.0], quat, physicsClientId=cid)
        _, _, rgba, _, _ = p.getCameraImage(
            s, s, viewMatrix=self._view, projectionMatrix=self._proj,
            lightDirection=list(self.light_direction), lightColor=[1.0, 1.0, 1.0],
            lightDistance=10.0, shadow=0, lightAmbientCoeff=self.ambient,
            lightDiffuseCoeff=self.diffuse, lightSpecularCoeff=self.specular,
            renderer=p.ER_TINY_RENDERER, flags=p.ER_NO_SEGMENTATION_MASK, physicsClientId=cid)
        rgb = np.asarray(rgba, dtype=np.uint8).reshape(s, s, 4)[..., :3].astype(np.uint32)
        return (((rgb @ _GRAY_WEIGHTS) + 500) // 1000).astype(np.uint8)[..., None]

    def close(self) -> None:
        """Disconnect this process's pybullet client (a later render reconnects)."""
        if self._client is not None and self._pid == os.getpid():
            self._p.disconnect(physicsClientId=self._client)
        self._client = self._pid = self._body = None


_RENDERERS: dict[tuple, TeapotRenderer] = {}


def get_renderer(**settings) -> TeapotRenderer:
    """The process-wide renderer for these settings (see :data:`RENDER_DEFAULTS`).

    One renderer, hence one pybullet client, per process and setting; the client
    is created on the first render.
    """
    unknown = sorted(set(settings) - set(RENDER_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown renderer setting(s) {unknown}; allowed: {list(RENDER_DEFAULTS)}")
    merged = {**RENDER_DEFAULTS, **settings}
    key = tuple(sorted((k, tuple(v) if isinstance(v, (list, tuple)) else v)
                       for k, v in merged.items()))
    if key not in _RENDERERS:
        _RENDERERS[key] = TeapotRenderer(**merged)
    return _RENDERERS[key]


# --- actions ------------------------------------------------------------------------------
def small_action_set() -> np.ndarray:
    """The six rotations by ``+-2 pi / 30`` about x, y, z, in that order: ``(6, 3, 3)`` float64."""
    return np.stack([so3.axis_rotation(axis, sign * STEP_ANGLE)
                     for axis in ("x", "y", "z") for sign in (1.0, -1.0)])


def sample_actions(rng: np.random.Generator, n: int, actions: str) -> np.ndarray:
    """``n`` actions ``(n, 3, 3)`` of the named action set."""
    if actions == "large":
        return so3.haar_rotations(rng, n)
    if actions == "small":
        return small_action_set()[rng.integers(0, 6, size=n)]
    raise ValueError(f"teapot actions must be one of {', '.join(ACTION_SETS)}, got {actions!r}")


# --- config -------------------------------------------------------------------------------
def _count(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"teapot option {name} must be an integer, got {value!r}")
    if int(value) < low:
        raise ValueError(f"teapot option {name} must be >= {low}, got {value}")
    return int(value)


def make_config(actions: str | None, options: Mapping) -> dict:
    """Validate the action set (``"large"`` default, or ``"small"``) and the options.

    Options: ``hard_negatives`` (K, int >= 0, default 0), ``hard_negative_turns`` (a list of
    integers n >= 2, default ``[30]``: for each n, K negatives per transition, the true next
    pose turned by exactly ``2 pi / n`` about Haar-random axes), ``traversals`` (int >= 0,
    default 0), ``traversal_steps`` (int >= 1, default 30). Returns a JSON-able dict with
    every value resolved, the fixed rendering settings included.  The twin's group element
    is drawn once per file (:func:`file_config`).
    """
    actions = "large" if actions is None else actions
    if actions not in ACTION_SETS:
        raise ValueError(f"teapot actions must be one of {', '.join(ACTION_SETS)}, got {actions!r}")
    opts = {**DEFAULT_OPTIONS, **check_option_keys("teapot", options, DEFAULT_OPTIONS)}
    turns = opts["hard_negative_turns"]
    if (not isinstance(turns, (list, tuple)) or not turns
            or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2
                   for n in turns) or len(set(turns)) != len(turns)):
        raise ValueError("teapot option hard_negative_turns must be a list of distinct integers "
                         f"n >= 2 (angles 2pi/n), got {turns!r}")
    return {
        "actions": actions,
        "hard_negatives": _count("hard_negatives", opts["hard_negatives"], 0),
        "hard_negative_turns": [int(n) for n in turns],
        "traversals": _count("traversals", opts["traversals"], 0),
        "traversal_steps": _count("traversal_steps", opts["traversal_steps"], 1),
        "step_angle": STEP_ANGLE,
        "traversal_axes": {name: axis for name, axis in TRAVERSAL_AXES},
        "render": _render_settings(),
    }


def file_config(seed: np.random.SeedSequence, config: dict) -> dict:
    """``config`` with the file's twin group element ``twin_g``: one Haar-random rotation per
    file, drawn from the file's own seed (SPEC section 5: every twin of a file uses one g)."""
    g = so3.haar_rotations(np.random.default_rng(seed), 1)[0]
    return {**config, "twin_g": g.astype(np.float32).astype(np.float64).tolist()}


def twin_element(config: Mapping) -> np.ndarray:
    """The file's twin element ``g`` (float64, exactly the float32 that is stored)."""
    if "twin_g" not in config:
        raise ValueError("teapot config has no twin_g: make it with make_config, then "
                         "file_config (generate() does both)")
    g = np.asarray(config["twin_g"], dtype=np.float64)
    if g.shape != (3, 3) or not so3.is_rotation(g, atol=1e-5):
        raise ValueError("teapot config twin_g must be a 3x3 rotation matrix")
    return g


def _render_settings() -> dict:
    settings = {k: list(v) if isinstance(v, tuple) else v for k, v in RENDER_DEFAULTS.items()}
    return {"renderer": "pybullet ER_TINY_RENDERER", **settings,
            "gray_weights": list(GRAY_WEIGHTS)}


def _checked(config: Mapping) -> dict:
    """Re-validate a config (e.g. read back from a file) and return the resolved one."""
    if not isinstance(config, Mapping) or "actions" not in config:
        raise ValueError("teapot config must be a dict made by make_config")
    resolved = make_config(config["actions"], {k: config[k] for k in DEFAULT_OPTIONS if k in config})
    if "twin_g" in config:
        resolved["twin_g"] = config["twin_g"]
    def canonical(value: object) -> str:
        return json.dumps(value, sort_keys=True, default=lambda o: np.asarray(o).tolist())

    if any(k in config and canonical(config[k]) != canonical(v)
           for k, v in resolved.items() if k not in DEFAULT_OPTIONS):
        raise ValueError("teapot config does not match this generator version's fixed settings")
    return resolved


def _renderer(config: dict) -> TeapotRenderer:
    return get_renderer(**{k: config["render"][k] for k in RENDER_DEFAULTS})


# --- episodes and extras ------------------------------------------------------------------
def _render_stored(renderer: TeapotRenderer, poses64: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cast poses to float32 (what is stored) and render exactly those."""
    poses32 = poses64.astype(np.float32)
    flat = poses32.reshape(-1, 3, 3).astype(np.float64)
    images = renderer.render_many(flat)
    return poses32, images.reshape(poses64.shape[:-2] + images.shape[1:])


def episode(seed: np.random.SeedSequence, steps: int, config: dict) -> dict[str, np.ndarray]:
    """One episode of ``steps`` transitions (see :mod:`generators.registry` for the keys)."""
    config = _checked(config)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    steps = int(steps)
    rng = np.random.default_rng(seed)
    renderer = _renderer(config)

    r0 = so3.haar_rotations(rng, 1)[0]
    actions = sample_actions(rng, steps, config["actions"])
    states = np.empty((steps + 1, 3, 3), dtype=np.float64)
    states[0] = r0
    for t in range(steps):
        states[t + 1] = actions[t] @ states[t]
    g = twin_element(config)
    twin_states = twin_state(states, g)
    twin_actions = twin_action(actions, g)

    state32, obs = _render_stored(renderer, states)
    twin_state32, twin_obs = _render_stored(renderer, twin_states)
    out = {
        "obs": obs,
        "action": actions.astype(np.float32),
        "state/rotation": state32,
        "twin/g": g.astype(np.float32),
        "twin/obs": twin_obs,
        "twin/action": twin_actions.astype(np.float32),
        "twin/state/rotation": twin_state32,
    }
    k = config["hard_negatives"]
    for n in config["hard_negative_turns"] if k > 0 else ():
        q = so3.exp_map(so3.random_unit_vectors(rng, k) * (2.0 * math.pi / n))
        hard32, hard_obs = _render_stored(renderer, q @ states[1])
        out[f"extras/hardneg/turn{n}/state"] = hard32
        out[f"extras/hardneg/turn{n}/obs"] = hard_obs
    return out


def traversal_states(starts: np.ndarray, axis: str, steps: int) -> np.ndarray:
    """Poses ``(N, steps + 1, 3, 3)``: ``rot(axis, k * 2pi/30) @ start`` for ``k = 0..steps``.

    Computed in closed form (not by repeated products) with the step index taken
    modulo 30, so step 30 is exactly the start pose.
    """
    turns = round(2.0 * math.pi / STEP_ANGLE)  # 30 steps make a full turn
    rotations = so3.axis_rotation(axis, (np.arange(steps + 1) % turns) * STEP_ANGLE)
    return np.einsum("kij,njl->nkil", rotations, np.asarray(starts, dtype=np.float64))


def extras(seed: np.random.SeedSequence, config: dict) -> dict[str, np.ndarray]:
    """Traversal sets for TH@1 (``{}`` when ``traversals`` is 0).

    Keys, for axis in yaw (z), pitch (y), roll (x): ``traversal/<axis>/state``
    ``(N, steps + 1, 3, 3)`` float32, ``traversal/<axis>/obs`` ``(N, steps + 1, 64, 64, 1)``
    uint8 and ``traversal/<axis>/action`` ``(steps, 3, 3)`` float32 (the same rotation
    by 2 pi / 30 at every step).
    """
    config = _checked(config)
    n, steps = config["traversals"], config["traversal_steps"]
    if n == 0:
        return {}
    rng = np.random.default_rng(seed)
    renderer = _renderer(config)
    starts = so3.haar_rotations(rng, n)
    out: dict[str, np.ndarray] = {}
    for name, axis in TRAVERSAL_AXES:
        state32, obs = _render_stored(renderer, traversal_states(starts, axis, steps))
        step = so3.axis_rotation(axis, STEP_ANGLE).astype(np.float32)
        out[f"traversal/{name}/state"] = state32
        out[f"traversal/{name}/obs"] = obs
        out[f"traversal/{name}/action"] = np.broadcast_to(step, (steps, 3, 3)).copy()
    return out


def twin_state(rotation: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The twin's pose: ``g R``."""
    return np.asarray(g) @ np.asarray(rotation)


def twin_action(action: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The twin's action: ``g a g^-1``."""
    g = np.asarray(g)
    return g @ np.asarray(action) @ np.swapaxes(g, -1, -2)


SPEC = register_env(EnvSpec(
    name="teapot", env_id="senbench/Teapot-v1", version=VERSION,
    frame_shape=(IMAGE_SIZE, IMAGE_SIZE, 1), frame_stack=1,
    action=ActionSpace("rotation", shape=(3, 3)),
    symmetry=Symmetry(group="SO(3)", element="(3, 3) float32 Haar-random rotation",
                      act_on_state=twin_state, act_on_action=twin_action),
    make_config=make_config, episode=episode, extras=extras, file_config=file_config,
    eval_extras=("hard_negatives", "traversals"),
    traversal_axes=tuple(name for name, _ in TRAVERSAL_AXES),
    ee_units="absolute",
    default_splits={
        "train": {"episodes": 100000, "steps": 1, "seed": 31, "actions": "large"},
        "eval": {"episodes": 10000, "steps": 1, "seed": 32, "actions": "large",
                 "options": {"hard_negatives": 10, "hard_negative_turns": [120, 60, 30, 15],
                             "traversals": 30}}},
))
