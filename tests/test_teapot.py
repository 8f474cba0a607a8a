"""3D Teapot generator: mesh geometry, rendering, SO(3) dynamics, twin, hard negatives, traversals."""
from __future__ import annotations

import json
import math
import multiprocessing as mp

import numpy as np
import pytest

from generators import so3, teapot
from generators.registry import get_env

SIZE = teapot.IMAGE_SIZE


@pytest.fixture(scope="module")
def renderer() -> teapot.TeapotRenderer:
    return teapot.get_renderer()


@pytest.fixture(scope="module")
def config() -> dict:
    return _file_config(None, {"hard_negatives": 6, "hard_negative_turns": [60, 30],
                                     "traversals": 2})


def _file_config(actions, options) -> dict:
    """A file's config: make_config, then the file's twin element (seed 99)."""
    return teapot.SPEC.resolve_config(actions, options, 99)


def _seed(n: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(1234, spawn_key=(n,))


# --- mesh ------------------------------------------------------------------------------------
def test_mesh_is_centred_in_the_unit_ball():
    mesh = teapot.teapot_mesh()
    v = mesh.vertices
    assert np.linalg.norm(v, axis=1).max() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(v.min(axis=0) + v.max(axis=0), 0.0, atol=1e-12)
    # the teapot is wider (spout to handle, x) than deep (y) and than tall (z)
    extent = v.max(axis=0) - v.min(axis=0)
    assert extent[0] > extent[1] > extent[2]
    n = teapot.MESH_RESOLUTION  # 32 patches of n x n quads, minus the collapsed pole triangles
    assert mesh.triangles.shape == (32 * n * n * 2 - 8 * n, 3)
    assert teapot.teapot_mesh() is mesh  # cached


def test_mesh_winding_is_consistent_and_outward():
    mesh = teapot.teapot_mesh()
    tri = mesh.triangles
    assert np.all((tri[:, 0] != tri[:, 1]) & (tri[:, 1] != tri[:, 2]) & (tri[:, 0] != tri[:, 2]))
    # every directed edge occurs once: neighbouring triangles traverse shared edges oppositely
    directed = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    assert len(np.unique(directed, axis=0)) == len(directed)
    # outward orientation: positive enclosed volume (divergence theorem) ...
    a, b, c = (mesh.vertices[tri[:, k]] for k in range(3))
    volume = np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0
    assert volume > 0.1
    # ... and the normals at the top of the knob / the bottom point up / down
    z = mesh.vertices[:, 2]
    assert mesh.normals[np.argmax(z), 2] > 0.99
    assert mesh.normals[np.argmin(z), 2] < -0.99
    np.testing.assert_allclose(np.linalg.norm(mesh.normals, axis=1), 1.0, atol=1e-12)


# --- renderer --------------------------------------------------------------------------------
def test_render_is_deterministic_and_pose_dependent(renderer):
    rots = so3.haar_rotations(np.random.default_rng(0), 8)
    first = renderer.render_many(rots)
    assert first.shape == (8, SIZE, SIZE, 1) and first.dtype == np.uint8
    assert renderer.render(rots[3]).tobytes() == first[3].tobytes()
    assert renderer.render_many(rots).tobytes() == first.tobytes()
    distinct = {im.tobytes() for im in first}
    assert len(distinct) == 8
    # a small rotation already changes the image
    nudged = renderer.render(so3.axis_rotation("z", 0.05) @ rots[0])
    assert nudged.tobytes() != first[0].tobytes()


def test_every_orientation_stays_in_frame(renderer):
    rots = so3.haar_rotations(np.random.default_rng(1), 400)
    images = renderer.render_many(rots)[..., 0]
    border = np.concatenate([images[:, :2].reshape(400, -1), images[:, -2:].reshape(400, -1),
                             images[:, :, :2].reshape(400, -1), images[:, :, -2:].reshape(400, -1)],
                            axis=1)
    assert np.all(border == teapot.BACKGROUND)
    coverage = (images != teapot.BACKGROUND).mean(axis=(1, 2))
    assert coverage.min() > 0.10 and coverage.max() < 0.40  # a good part of the frame
    # shading carries information: a wide range of gray levels on the teapot
    teapot_pixels = images[images != teapot.BACKGROUND]
    assert np.percentile(teapot_pixels, 95) - np.percentile(teapot_pixels, 5) > 80


def test_silhouette_matches_pinhole_projection_of_the_mesh(renderer):
    """Camera at (d, 0, 0) looking at the origin; image right = +y, up = +z; x' = R x."""
    d, fov = teapot.CAMERA_DISTANCE, math.radians(teapot.CAMERA_FOV_DEG)
    focal = (SIZE / 2) / math.tan(fov / 2)
    for rot in so3.haar_rotations(np.random.default_rng(2), 12):
        p = teapot.teapot_mesh().vertices @ rot.T
        col = SIZE / 2 + focal * p[:, 1] / (d - p[:, 0])
        row = SIZE / 2 - focal * p[:, 2] / (d - p[:, 0])
        mask = renderer.render(rot)[..., 0] != teapot.BACKGROUND
        rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
        assert abs(rows.min() - row.min()) < 1.5 and abs(rows.max() + 1 - row.max()) < 1.5
        assert abs(cols.min() - col.min()) < 1.5 and abs(cols.max() + 1 - col.max()) < 1.5


def test_roll_is_an_in_plane_rotation_of_the_silhouette(renderer):
    """Roll (about the viewing axis x) turns the silhouette in the image plane.

    TinyRenderer puts the optical axis on pixel index (31, 32), not on the array
    centre (31.5, 31.5), so np.rot90 matches after a one-column shift.
    """
    def iou(a, b):
        return (a & b).sum() / (a | b).sum()

    for rot in so3.haar_rotations(np.random.default_rng(3), 3):
        mask = renderer.render(rot)[..., 0] != teapot.BACKGROUND
        rolled = renderer.render(so3.axis_rotation("x", math.pi / 2) @ rot)[..., 0]
        rolled = rolled != teapot.BACKGROUND
        assert iou(rolled, np.roll(np.rot90(mask, 1), 1, axis=1)) > 0.97  # right (+y) -> up (+z)
        assert max(iou(rolled, np.roll(np.rot90(mask, -1), s, axis=(0, 1)))
                   for s in [(0, 0), (0, 1), (1, 0), (-1, 0), (0, -1)]) < 0.9


def test_render_rejects_non_rotations(renderer):
    with pytest.raises(ValueError):
        renderer.render(np.eye(3) * 2.0)
    with pytest.raises(ValueError):
        renderer.render(np.diag([1.0, 1.0, -1.0]))
    with pytest.raises(ValueError):
        renderer.render_many(np.eye(3))


def test_one_renderer_per_process_and_setting(renderer):
    assert teapot.get_renderer() is renderer
    assert teapot.get_renderer(image_size=SIZE, light_direction=[1.0, -1.0, 1.0]) is renderer
    with pytest.raises(ValueError):
        teapot.get_renderer(colour="red")
    with pytest.raises(ValueError):
        teapot.TeapotRenderer(camera_distance=2.0, fov_deg=30.0)  # unit ball out of frame


def _render_in_child(rotation: np.ndarray) -> bytes:
    return teapot.get_renderer().render(rotation).tobytes()


def test_forked_workers_get_their_own_client_and_same_pixels(renderer):
    rots = so3.haar_rotations(np.random.default_rng(4), 4)
    expected = [renderer.render(r).tobytes() for r in rots]  # parent client is live
    with mp.get_context("fork").Pool(2) as pool:
        assert pool.map_async(_render_in_child, list(rots)).get(timeout=60) == expected


# --- actions and config ----------------------------------------------------------------------
def test_small_action_set_is_the_six_axis_rotations():
    acts = teapot.small_action_set()
    assert acts.shape == (6, 3, 3) and so3.is_rotation(acts, atol=1e-12)
    np.testing.assert_allclose(so3.geodesic_angle(np.eye(3), acts), 2 * math.pi / 30, atol=1e-9)
    axes = so3.log_map(acts) / (2 * math.pi / 30)
    expected = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]])
    np.testing.assert_allclose(axes, expected, atol=1e-9)
    # closed under inversion: each action's inverse is in the set
    for a in acts:
        assert min(np.abs(a.T - b).max() for b in acts) < 1e-12


def test_make_config_defaults_and_json():
    cfg = teapot.make_config(None, {})
    assert cfg["actions"] == "large"
    assert (cfg["hard_negatives"], cfg["traversals"], cfg["traversal_steps"]) == (0, 0, 30)
    assert json.loads(json.dumps(cfg)) == cfg
    assert teapot.make_config("small", {"traversals": 3})["traversals"] == 3


@pytest.mark.parametrize("actions, options", [
    ("medium", {}),
    ("large", {"colour": 1}),
    ("large", {"hard_negatives": -1}),
    ("large", {"hard_negatives": 2.5}),
    ("large", {"hard_negatives": True}),
    ("large", {"hard_negative_angle": 0.1}),       # retired: negatives are at 2pi/n
    ("large", {"hard_negative_turns": [1]}),
    ("large", {"hard_negative_turns": []}),
    ("large", {"hard_negative_turns": [30, 30]}),
    ("large", {"hard_negative_turns": 30}),
    ("large", {"traversals": -3}),
    ("large", {"traversal_steps": 0}),
    ("large", ["hard_negatives"]),
])
def test_make_config_rejects_bad_input(actions, options):
    with pytest.raises(ValueError):
        teapot.make_config(actions, options)


def test_registered_spec():
    spec = get_env("teapot")
    assert spec is teapot.SPEC
    assert (spec.env_id, spec.frame_stack, spec.version) == ("senbench/Teapot-v1", 1, teapot.VERSION)


# --- episodes --------------------------------------------------------------------------------
def test_episode_shapes_dynamics_and_stored_renders(renderer):
    steps = 3
    ep = teapot.episode(_seed(0), steps, _file_config(None, {}))
    shapes = {
        "obs": ((steps + 1, SIZE, SIZE, 1), np.uint8),
        "action": ((steps, 3, 3), np.float32),
        "state/rotation": ((steps + 1, 3, 3), np.float32),
        "twin/g": ((3, 3), np.float32),
        "twin/obs": ((steps + 1, SIZE, SIZE, 1), np.uint8),
        "twin/action": ((steps, 3, 3), np.float32),
        "twin/state/rotation": ((steps + 1, 3, 3), np.float32),
    }
    assert set(ep) == set(shapes)
    for key, (shape, dtype) in shapes.items():
        assert ep[key].shape == shape and ep[key].dtype == dtype, key
    r, a = ep["state/rotation"].astype(np.float64), ep["action"].astype(np.float64)
    assert so3.is_rotation(r, atol=1e-6) and so3.is_rotation(a, atol=1e-6)
    np.testing.assert_allclose(a @ r[:-1], r[1:], atol=1e-6)  # R_{t+1} = a_t R_t
    # stored images are exactly the renders of the stored poses
    assert renderer.render_many(r).tobytes() == ep["obs"].tobytes()
    twin_r = ep["twin/state/rotation"].astype(np.float64)
    assert renderer.render_many(twin_r).tobytes() == ep["twin/obs"].tobytes()
    assert not np.array_equal(ep["obs"], ep["twin/obs"])


def test_twin_is_the_left_action_of_g():
    ep = teapot.episode(_seed(1), 4, _file_config(None, {}))
    g = ep["twin/g"].astype(np.float64)
    r, a = ep["state/rotation"].astype(np.float64), ep["action"].astype(np.float64)
    tr, ta = ep["twin/state/rotation"].astype(np.float64), ep["twin/action"].astype(np.float64)
    assert so3.is_rotation(g, atol=1e-6)
    np.testing.assert_allclose(tr, g @ r, atol=1e-6)
    np.testing.assert_allclose(ta, g @ a @ g.T, atol=1e-6)
    # (g a g^-1)(g R) = g (a R)
    np.testing.assert_allclose(ta @ tr[:-1], g @ (a @ r[:-1]), atol=1e-6)
    np.testing.assert_allclose(ta @ tr[:-1], tr[1:], atol=1e-6)


def test_small_actions_come_from_the_small_set():
    ep = teapot.episode(_seed(2), 20, _file_config("small", {}))
    acts = teapot.small_action_set()
    dist = np.abs(ep["action"][:, None].astype(np.float64) - acts[None]).max(axis=(2, 3))
    assert np.all(dist.min(axis=1) < 1e-6)
    assert len(set(dist.argmin(axis=1))) > 3  # several different ones are drawn


def test_large_actions_are_spread_over_so3():
    ep = teapot.episode(_seed(3), 60, _file_config("large", {}))
    angles = so3.geodesic_angle(np.eye(3), ep["action"].astype(np.float64))
    assert angles.max() > 2.0 and angles.mean() > 1.5  # Haar mean angle is ~2.21


def test_episodes_are_deterministic_per_seed_and_differ_across_seeds(config):
    a = teapot.episode(_seed(4), 1, config)
    b = teapot.episode(_seed(4), 1, config)
    c = teapot.episode(_seed(5), 1, config)
    assert set(a) == set(b) == set(c)
    for key in a:
        assert a[key].tobytes() == b[key].tobytes(), key
        if key != "twin/g":   # the twin's g belongs to the file, not the episode
            assert a[key].tobytes() != c[key].tobytes(), key
    assert a["twin/g"].tobytes() == c["twin/g"].tobytes()


def test_hard_negatives_are_turned_by_exactly_2pi_over_n_about_random_axes(config):
    ep = teapot.episode(_seed(6), 1, config)
    k = config["hard_negatives"]
    nxt = ep["state/rotation"][1].astype(np.float64)
    true_image = ep["obs"][1]
    axes = []
    for n in config["hard_negative_turns"]:
        hard = ep[f"extras/hardneg/turn{n}/state"].astype(np.float64)
        obs = ep[f"extras/hardneg/turn{n}/obs"]
        assert hard.shape == (k, 3, 3) and obs.shape == (k, SIZE, SIZE, 1)
        np.testing.assert_allclose(so3.geodesic_angle(nxt, hard), 2 * np.pi / n, atol=2e-6)
        rel = hard @ nxt.T                         # the turn q, with hard = q @ next pose
        axes.append(np.stack([so3.vee(r - r.T) for r in rel]))   # 2 sin(angle) * axis
        for image in obs:
            assert not np.array_equal(image, true_image)
    axes = np.concatenate(axes)
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    assert len({tuple(np.round(a, 6)) for a in axes}) == len(axes)   # random, distinct axes
    # the finer the turn, the closer the negatives' images are to the true next image
    diffs = [np.abs(ep[f"extras/hardneg/turn{n}/obs"].astype(int) - true_image.astype(int)).mean()
             for n in sorted(config["hard_negative_turns"], reverse=True)]
    assert diffs == sorted(diffs)


def test_one_twin_element_per_file(tmp_path):
    from generators.generate import generate
    from generators.reader import EpisodeFile
    path = tmp_path / "t.h5"
    generate("teapot", "eval", 5, 1, 3, path, progress=False)
    with EpisodeFile(path) as ds:
        g = ds.array("twin/g")
        assert len({x.tobytes() for x in g}) == 1
        np.testing.assert_array_equal(g[0], np.asarray(ds.config["twin_g"], dtype=np.float32))
    generate("teapot", "eval", 5, 1, 4, tmp_path / "u.h5", progress=False)
    with EpisodeFile(tmp_path / "u.h5") as ds:
        assert ds.array("twin/g")[0].tobytes() != g[0].tobytes()   # drawn from the file's seed
    with pytest.raises(ValueError, match="twin_g"):
        teapot.episode(_seed(0), 1, teapot.make_config(None, {}))


def test_episode_rejects_bad_steps_and_foreign_config(config):
    with pytest.raises(ValueError):
        teapot.episode(_seed(0), 0, config)
    tampered = json.loads(json.dumps(config))
    tampered["render"]["fov_deg"] = 50.0
    with pytest.raises(ValueError):
        teapot.episode(_seed(0), 1, tampered)


# --- traversals ------------------------------------------------------------------------------
def test_traversals_rotate_about_their_axis_and_return_to_start(config, renderer):
    ex = teapot.extras(np.random.SeedSequence(99), config)
    n, steps = config["traversals"], config["traversal_steps"]
    assert set(ex) == {f"traversal/{a}/{k}" for a in ("yaw", "pitch", "roll")
                       for k in ("state", "obs", "action")}
    starts = None
    for name, axis in (("yaw", 2), ("pitch", 1), ("roll", 0)):
        states = ex[f"traversal/{name}/state"].astype(np.float64)
        obs, action = ex[f"traversal/{name}/obs"], ex[f"traversal/{name}/action"].astype(np.float64)
        assert states.shape == (n, steps + 1, 3, 3) and obs.shape == (n, steps + 1, SIZE, SIZE, 1)
        assert action.shape == (steps, 3, 3)
        step = action[0]
        np.testing.assert_allclose(action, np.broadcast_to(step, action.shape), atol=0)
        np.testing.assert_allclose(step[:, axis], np.eye(3)[axis], atol=1e-7)  # fixes its axis
        assert so3.geodesic_angle(np.eye(3), step) == pytest.approx(2 * math.pi / 30, abs=1e-6)
        np.testing.assert_allclose(step @ states[:, :-1], states[:, 1:], atol=1e-6)
        # thirty steps of 2 pi / 30 bring the teapot back
        np.testing.assert_allclose(np.linalg.matrix_power(step, 30), np.eye(3), atol=1e-5)
        np.testing.assert_allclose(states[:, 30], states[:, 0], atol=1e-6)
        assert obs[:, 30].tobytes() == obs[:, 0].tobytes()
        assert len({im.tobytes() for im in obs[0, :30]}) == 30  # every step looks different
        assert renderer.render_many(states[1, :3]).tobytes() == obs[1, :3].tobytes()
        if starts is None:
            starts = states[:, 0]
        np.testing.assert_array_equal(states[:, 0], starts)  # same start poses for all axes
    again = teapot.extras(np.random.SeedSequence(99), config)
    assert all(again[k].tobytes() == ex[k].tobytes() for k in ex)


def test_no_traversals_by_default():
    assert teapot.extras(np.random.SeedSequence(0), teapot.make_config(None, {})) == {}
