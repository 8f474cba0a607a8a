"""The `paper` profile builds the paper code's networks: parameter counts of S, E and T of every
3D Blocks and Reacher model against SPEC section 3 (measured from the paper code's modules),
within 1%; and the paper's geometry (full-resolution masks, 3x3 stride-2 convs, trivial
fields) runs and acts as the paper's does."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from benchmark.describe import describe
from benchmark.registry import build_model, count_parameters
from benchmark.train import train_settings
from benchmark.params import load_params

ROOT = Path(__file__).resolve().parents[1]

# SPEC section 3: (env, method) -> (S, E, T) parameters of the paper code's modules
PAPER_COUNTS = {
    ("blocks", "sen"): (21_029, 905_218, 1_060_098),
    ("blocks", "none"): (21_029, 1_545_218, 1_059_330),
    ("blocks", "full"): (13_205, 905_218, 1_060_098),
    ("reacher", "sen"): (50_696, 3_686_431, 274_762),
    ("reacher", "none"): (50_696, 5_289_476, 269_316),
    ("reacher", "full"): (66_284, 3_747_247, 274_762),
}


def _split_counts(model) -> tuple[int, int, int]:
    s, e = count_parameters(model.embedding), count_parameters(model.encoder)
    return s, e, count_parameters(model) - s - e


@pytest.mark.parametrize("env, method", sorted(PAPER_COUNTS))
def test_paper_profile_parameter_counts(env, method):
    """Built as `senbench describe --profile paper` builds them (params.yaml's paper section)."""
    params = load_params(ROOT / "params.yaml", "paper")
    _, hparams = train_settings(params, env, method)
    with torch.random.fork_rng():
        model = build_model(method, env, **hparams)
    ours, paper = _split_counts(model), PAPER_COUNTS[(env, method)]
    for part, a, b in zip("SET", ours, paper):
        assert abs(a - b) <= 0.01 * b, (part, a, b)
    assert abs(sum(ours) - sum(paper)) <= 0.01 * sum(paper)
    if (env, method) != ("reacher", "full"):   # escnn's dilated basis: S is +0.87%
        assert ours == paper
    info = describe(env, method, ROOT / "params.yaml", "paper")
    assert info["parameters"] == sum(ours)


def test_paper_geometry_runs():
    with torch.random.fork_rng():
        blocks = build_model("sen", "blocks", embedding_hidden=2, encoder_hidden=2,
                             transition_hidden=2)
        reacher = build_model("sen", "reacher", embedding_hidden=(2,) * 6,
                              encoder_hidden=(2,) * 5, transition_hidden=(2, 2))
    v = blocks.embed(torch.rand(2, 3, 50, 50))
    assert v.shape == (2, 5, 50, 50)                      # full-resolution masks
    assert reacher.embedding[0].kernel_size == (3, 3) and reacher.embedding[-1].stride == (2, 2)
    obs = torch.rand(2, 6, 128, 128)
    v = reacher.embed(obs)
    assert v.shape == (2, 8, 31, 31)
    # the paper's action on V: 8 trivial fields, a quarter turn rotates each channel's grid
    assert torch.equal(reacher.act_on_embedding(v, 1), torch.rot90(v, 1, dims=(-2, -1)))
    z = reacher.encode_embedding(v)
    assert reacher.transition(z, torch.zeros(2, 2)).shape == z.shape == (2, 32)
    none = build_model("none", "reacher", embedding_hidden=(2,) * 6, encoder_hidden=(4,) * 5,
                       transition_hidden=(4, 4))
    assert none.encode(obs).shape == (2, 4)                # the paper's 4-number latent


def test_default_profile_row_groups_within_25_percent_parameters():
    """params.yaml's promise for the default profile: within each table's row group (one env
    and training split of `runs:`), no method has more than 1.25x the parameters of another,
    so a narrowed baseline is not what a table compares."""
    params = load_params(ROOT / "params.yaml", "default")
    groups: dict[tuple[str, str], dict[str, int]] = {}
    with torch.random.fork_rng():
        for row in params["runs"]:
            _, hparams = train_settings(params, row["env"], row["method"])
            model = build_model(row["method"], row["env"], **hparams)
            groups.setdefault((row["env"], row["split"]), {})[row["method"]] = \
                count_parameters(model)
    assert len(groups) == 5
    for group, counts in groups.items():
        assert len(counts) == 3, group
        assert max(counts.values()) <= 1.25 * min(counts.values()), (group, counts)
