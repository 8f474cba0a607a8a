"""Evaluation end to end on real files with an oracle model whose answers are known,
and the analysis stage on hand-made metrics JSON."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from benchmark.analyse import analyse
from benchmark.evaluate import evaluate
from benchmark.registry import WorldModel
from generators.generate import generate
from generators.reader import EpisodeFile
from generators.render_shapes import COLOURS

MOVES = torch.tensor([[-1, 0], [0, -1], [1, 0], [0, 1]])


class ShapesOracle(WorldModel):
    """Reads object cells off 2D Shapes pixels by colour; the true dynamics as transition."""

    def __init__(self):
        super().__init__("shapes")

    def embed(self, obs):  # [B, 5 objects, 5, 5] occupancy masks
        img = (obs * 255).round().permute(0, 2, 3, 1)  # [B, 50, 50, 3]
        colours = torch.tensor(COLOURS, dtype=img.dtype)
        hit = (img[:, :, :, None, :] == colours).all(-1)  # [B, 50, 50, 5]
        return hit.reshape(-1, 5, 10, 5, 10, 5).any(2).any(3).permute(0, 3, 1, 2).float()

    def encode_embedding(self, v):  # [B, 5, 2] (row, col)
        flat = v.flatten(2).argmax(-1)
        return torch.stack([flat // 5, flat % 5], dim=-1).float()

    def transition(self, z, action):
        obj, d = action // 4, action % 4
        idx = torch.arange(len(z))
        target = z[idx, obj] + MOVES[d]
        inside = ((target >= 0) & (target <= 4)).all(-1)
        free = ~((z == target[:, None]).all(-1)).any(-1)
        nxt = z.clone()
        ok = inside & free
        nxt[idx[ok], obj[ok]] = target[ok]
        return nxt

    def act_on_embedding(self, v, g):
        return torch.stack([torch.rot90(x, int(k), dims=(-2, -1)) for x, k in zip(v, g)])


@pytest.fixture(scope="module")
def shapes_eval(tmp_path_factory):
    path = tmp_path_factory.mktemp("eval") / "eval.h5"
    generate("shapes", "eval", 40, 10, 3, path, progress=False)
    return path


def test_oracle_scores_perfectly(shapes_eval):
    with EpisodeFile(shapes_eval) as ds:
        m = evaluate(ShapesOracle(), ds, torch.device("cpu"))
    for h in (1, 10):
        assert m[f"hits@1_{h}step"] == 100.0 and m[f"mrr_{h}step"] == 100.0
        assert m[f"die_model_{h}step"] == pytest.approx(0.0, abs=1e-9)
    assert m["ee_s"] == 0.0 and m["die_s"] == pytest.approx(0.0, abs=1e-9)


class FrozenOracle(ShapesOracle):
    """Ignores actions: predictions are the start states."""

    def transition(self, z, action):
        return z


def test_frozen_model_gets_the_ranks_computed_from_states(shapes_eval):
    """Predictions = start states: the ranks follow from the stored states alone."""
    with EpisodeFile(shapes_eval) as ds:
        m = evaluate(FrozenOracle(), ds, torch.device("cpu"))
        states = ds.array("state/grid").astype(np.float64)
    for h in (1, 10):
        pred, target = states[:, 0].reshape(40, -1), states[:, h].reshape(40, -1)
        d = np.linalg.norm(target[:, None] - pred[None], axis=-1)   # [target i, pred j]
        ranks = 1 + (d < np.diag(d)[:, None]).sum(1)
        assert m[f"hits@1_{h}step"] == pytest.approx(100 * np.mean(ranks == 1))
        assert m[f"mrr_{h}step"] == pytest.approx(100 * np.mean(1 / ranks))
    assert m["mrr_10step"] < 100.0
    assert m["ee_s"] == 0.0  # the embedding is the oracle's, still exactly equivariant


def _metrics_json(path, env, split, method, seed, h1, parameters=1000):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "env": env, "method": method, "seed": seed, "profile": "default",
        "hardware": "test CPU", "train_split": split, "parameters": parameters,
        "train_data_digest": "a" * 64, "eval_data_digest": "b" * 64,
        "metrics": {"hits@1_10step": h1, "mrr_10step": h1, "ee_s": 0.5,
                    "die_model_10step": 0.002},
    }))


def test_analyse_builds_tables_from_json(tmp_path):
    metrics = tmp_path / "metrics"
    for seed, h1 in ((0, 90.0), (1, 100.0)):
        _metrics_json(metrics / f"blocks-limited-sen/seed{seed}.json", "blocks", "limited",
                      "sen", seed, h1)
    _metrics_json(metrics / "blocks-limited-mine/seed0.json", "blocks", "limited", "mine", 0, 42.0)
    (metrics / "notes.json").write_text("{}")  # not a metrics file: ignored
    written = analyse(metrics, tmp_path / "results")
    md = (tmp_path / "results" / "table2_limited_actions.md").read_text()
    assert "95.0 ± 7.1" in md          # mean and sample std over the two seeds
    assert "| 99.9 |" in md             # the paper's number beside ours
    assert "mine" in md and "42.0" in md  # a new method gets a row
    assert md.index("Ours (SEN)") < md.index("mine")
    import pandas as pd
    table = pd.read_csv(tmp_path / "results" / "table2_limited_actions.csv")
    row = table[table["method"] == "sen"].iloc[0]
    assert row["seeds"] == 2 and row["die_model_10step_mean"] == pytest.approx(2.0)
    assert row["train_data_digest"] == "a" * 64
    assert len(written) == 9


def test_analyse_errors(tmp_path):
    with pytest.raises(ValueError, match="no metrics"):
        analyse(tmp_path, tmp_path / "out")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="malformed"):
        analyse(tmp_path, tmp_path / "out")


class TeapotOracle(WorldModel):
    """Looks each rendered image up in the eval file's own (image -> stored pose) table;
    ``z = R``, ``T(R, a) = a R``, ``rho_V(g) R = g R``: an exactly equivariant world model."""

    def __init__(self, ds: EpisodeFile):
        super().__init__("teapot")
        self.poses: dict[bytes, np.ndarray] = {}
        pairs = [("obs", "state/rotation"), ("twin/obs", "twin/state/rotation"),
                 ("extras/hardneg/obs", "extras/hardneg/state")]
        pairs += [(f"extras/traversal/{a}/obs", f"extras/traversal/{a}/state")
                  for a in ("yaw", "pitch", "roll")]
        for obs_key, state_key in pairs:
            images, states = ds.array(obs_key), ds.array(state_key)
            for img, rot in zip(images.reshape(-1, 64, 64, 1), states.reshape(-1, 3, 3)):
                self.poses[img.tobytes()] = rot

    def embed(self, obs):
        images = (obs * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
        return torch.from_numpy(np.stack([self.poses[img.tobytes()] for img in images]))

    def encode_embedding(self, v):
        return v

    def transition(self, z, action):
        return action @ z

    def act_on_embedding(self, v, g):
        return g @ v


def test_teapot_oracle_scores_perfectly_with_one_g_per_episode(tmp_path):
    """Every Teapot twin has its own Haar-random g: DIE pairs must still share one g."""
    path = tmp_path / "teapot_eval.h5"
    generate("teapot", "eval", 12, 1, 4, path, actions="large", progress=False,
             options={"hard_negatives": 3, "traversals": 2})
    with EpisodeFile(path) as ds:
        oracle = TeapotOracle(ds)
        assert len({g.tobytes() for g in ds.array("twin/g")}) == 12        # one g per episode
        m = evaluate(oracle, ds, torch.device("cpu"))
    assert m["hits@1_1step"] == 100.0 and m["hh@1_1step"] == 100.0
    assert m["th@1_yaw"] == m["th@1_pitch"] == m["th@1_roll"] == 100.0
    assert m["ee_s"] < 1e-5 and m["die_s"] < 1e-5 and m["die_model_1step"] < 1e-5


def test_die_partners_only_across_episodes_that_share_g():
    from benchmark.evaluate import die_partners
    same = die_partners(torch.ones(8, dtype=torch.long))
    assert sorted(same.tolist()) == list(range(8))
    assert torch.equal(same, die_partners(torch.full((8,), 3)))           # fixed pairing
    assert die_partners(torch.arange(8)) is None
    rotations = torch.eye(3).expand(4, 3, 3).clone()
    assert die_partners(rotations) is not None
    rotations[2] = rotations[2].flip(0)
    assert die_partners(rotations) is None


def test_a_mistyped_table_column_fails_when_tables_are_built():
    from benchmark.metrics import UnknownMetricError
    from benchmark.tables import Column, Table, check_tables
    good = Table("t", "t", (("shapes", "train", "S"),), (Column("hits@1_10step", "H@1"),), ())
    check_tables((good,))
    for bad_key in ("hits@1_10steps", "hh@1_10step", "th@1_spin"):
        bad = Table("t", "t", (("shapes", "train", "S"),), (Column(bad_key, "x"),), ())
        with pytest.raises(UnknownMetricError, match=bad_key):
            check_tables((bad,))
    ref = Table("t", "t", (("shapes", "train", "S"),), (Column("mrr_1step", "MRR"),), (),
                paper={("S", "sen"): {"mrr_1stepp": 1.0}})
    with pytest.raises(UnknownMetricError, match="mrr_1stepp"):
        check_tables((ref,))
