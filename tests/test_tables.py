"""The paper's reference numbers in benchmark/tables.py against SPEC section 6, their sources,
and the columns the paper does not report."""
from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from benchmark.analyse import markdown, summarise
from benchmark.tables import TABLES

ROOT = Path(__file__).resolve().parents[1]
SPEC = Path(os.environ.get("SENBENCH_SPEC", ROOT.parent / "shared" / "SPEC.md"))
BY_NAME = {t.name: t for t in TABLES}

# SPEC section 6, transcribed: (table, row group, method) -> {metric: value}
EXPECTED = {
    ("table1_teapot", "3D Teapot", "hvae"): {"th@1_yaw": 6.7, "th@1_pitch": 10.0,
                                             "th@1_roll": 3.3, "hh@1_1step": 0.9,
                                             "ee_s": 2.41, "die_model_1step": 0.68},
    ("table1_teapot", "3D Teapot", "none"): {"th@1_yaw": 6.7, "th@1_pitch": 60,
                                             "th@1_roll": 86.7, "hh@1_1step": 93.9,
                                             "ee_s": 2.38, "die_model_1step": 3.41},
    ("table1_teapot", "3D Teapot", "sen"): {"th@1_yaw": 100, "th@1_pitch": 100,
                                            "th@1_roll": 100, "hh@1_1step": 100,
                                            "ee_s": 0.05, "die_model_1step": 0.45},
    ("table2_limited_actions", "2D Shapes {up}", "cnn"): {
        "hits@1_10step": 2.8, "mrr_10step": 5.3, "ee_s": 0.00, "die_model_10step": 0.19},
    ("table2_limited_actions", "2D Shapes {up}", "sen"): {
        "hits@1_10step": 100, "mrr_10step": 99.9, "ee_s": 0.00, "die_model_10step": 0.00},
    ("table2_limited_actions", "2D Shapes {up}", "full"): {
        "hits@1_10step": 100, "mrr_10step": 99.9, "ee_s": 0.00, "die_model_10step": 0.00},
    ("table2_limited_actions", "3D Blocks {up,right,down}", "none"): {
        "hits@1_10step": 52.3, "mrr_10step": 61.8, "ee_s": 0.98, "die_model_10step": 181},
    ("table2_limited_actions", "3D Blocks {up,right,down}", "full"): {
        "hits@1_10step": 83.7, "mrr_10step": 86.0, "ee_s": 0.81, "die_model_10step": 15},
    ("table2_limited_actions", "3D Blocks {up,right,down}", "sen"): {
        "hits@1_10step": 99.9, "mrr_10step": 100, "ee_s": 0.96, "die_model_10step": 5},
    ("table4_reacher_all_actions", "Reacher", "none"): {"hits@10_1step": 100, "mrr_1step": 88.3},
    ("table4_reacher_all_actions", "Reacher", "full"): {"hits@10_1step": 100, "mrr_1step": 95.5},
    ("table4_reacher_all_actions", "Reacher", "sen"): {"hits@10_1step": 100, "mrr_1step": 94.1},
}


def test_references_are_spec_section_6_and_nothing_else():
    found = {(t.name, group, method): ref for t in TABLES for (group, method), ref in t.paper.items()}
    assert found == EXPECTED
    assert not BY_NAME["table3_blocks_all_actions"].paper   # the draft's row is unusable


def _spec_rows(section: str) -> dict[str, list[float]]:
    """First column -> the leading numbers of the other cells, of the Markdown tables."""
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or set(cells[1]) <= set("-: "):
            continue
        nums = [re.match(r"-?\d+(\.\d+)?", c) for c in cells[1:]]
        key = " / ".join(c for c, n in zip(cells, [None] + nums) if n is None)
        rows[key] = [float(n.group(0)) for n in nums if n is not None]
    return rows


@pytest.mark.skipif(not SPEC.is_file(), reason=f"SPEC.md not found at {SPEC}")
def test_transcription_matches_the_spec_file():
    section = SPEC.read_text().split("## 6.")[1].split("## 7.")[0]
    rows = _spec_rows(section)
    t1 = {"hvae": "Homeomorphic VAE", "none": "None", "sen": "Ours (MatMul)"}
    order1 = ("th@1_yaw", "th@1_pitch", "th@1_roll", "hh@1_1step", "ee_s", "die_model_1step")
    for method, label in t1.items():
        ref = EXPECTED[("table1_teapot", "3D Teapot", method)]
        assert rows[label] == [ref[k] for k in order1], label
    order2 = ("hits@1_10step", "mrr_10step", "ee_s", "die_model_10step")
    t2 = {("2D Shapes {up}", "cnn"): "2D Shapes {up} / CNN",
          ("2D Shapes {up}", "sen"): "2D Shapes {up} / Ours/Full",
          ("3D Blocks {up,right,down}", "none"): "3D Blocks {up,right,down} / None",
          ("3D Blocks {up,right,down}", "full"): "3D Blocks {up,right,down} / Full",
          ("3D Blocks {up,right,down}", "sen"): "3D Blocks {up,right,down} / Ours"}
    for (group, method), label in t2.items():
        ref = EXPECTED[("table2_limited_actions", group, method)]
        assert rows[label] == [ref[k] for k in order2], label
    draft = re.search(r"MRR \(1 step\) None ([\d.]+), Full ([\d.]+), Ours ([\d.]+)", section)
    assert [EXPECTED[("table4_reacher_all_actions", "Reacher", m)]["mrr_1step"]
            for m in ("none", "full", "sen")] == [float(x) for x in draft.groups()]
    assert "H@10 (1 step) 100 for all three" in section


def _runs(env, split, methods, **metrics):
    return pd.DataFrame([{"env": env, "train_split": split, "method": m, "seed": 0,
                          "parameters": 1, "profile": "default", "hardware": "cpu",
                          "train_data_digest": "a", "eval_data_digest": "b", **metrics}
                         for m in methods])


def test_csv_cites_sources_and_markdown_says_not_in_paper():
    reacher = BY_NAME["table4_reacher_all_actions"]
    runs = _runs("reacher", "train", ["sen"], **{c.metric: 50.0 for c in reacher.columns})
    summary = summarise(runs, reacher)
    row = summary.iloc[0]
    assert row["mrr_1step_paper"] == 94.1 and "draft" in row["mrr_1step_paper_source"]
    assert math.isnan(row["hits@1_10step_paper"])
    assert row["hits@1_10step_paper_source"] == "not in paper"
    assert "not in paper" in markdown(reacher, summary)
    blocks = BY_NAME["table3_blocks_all_actions"]
    runs = _runs("blocks", "train", ["sen"], **{c.metric: 50.0 for c in blocks.columns})
    summary = summarise(runs, blocks)
    assert all(summary.iloc[0][f"{c.metric}_paper_source"] == "not in paper"
               for c in blocks.columns)
    teapot = BY_NAME["table1_teapot"]
    runs = _runs("teapot", "train", ["sen"], **{c.metric: 1.0 for c in teapot.columns})
    row = summarise(runs, teapot).iloc[0]
    assert all("poster, Table 1" in row[f"{c.metric}_paper_source"] for c in teapot.columns)


def test_aggregate_table_iqm_and_probability_of_improvement_by_hand():
    from benchmark.analyse import aggregate, aggregate_markdown
    t2 = BY_NAME["table2_limited_actions"]
    rows = []
    for env, seeds_sen, seeds_none in (("shapes", (90, 92, 94), (10, 20, 95)),
                                       ("blocks", (80, 82, 84), (50, 60, 70))):
        for method, values in (("sen", seeds_sen), ("none", seeds_none)):
            for seed, v in enumerate(values):
                rows.append({"env": env, "train_split": "limited", "method": method,
                             "seed": seed, "hits@1_10step": float(v)})
    agg = aggregate(pd.DataFrame(rows), (t2,)).set_index("method")
    # IQM of the pooled [80, 82, 84, 90, 92, 94]: trim one from each end -> mean(82..92)
    assert agg.loc["sen", "iqm"] == pytest.approx((82 + 84 + 90 + 92) / 4)
    assert agg.loc["sen", "iqm_ci_low"] <= agg.loc["sen", "iqm"] <= agg.loc["sen", "iqm_ci_high"]
    # P(sen > none): shapes 6 wins of 9 pairs (95 beats all of sen's), blocks 9 of 9
    assert agg.loc["none", "p_improvement"] == pytest.approx((6 / 9 + 1) / 2)
    assert agg.loc["none", "common_settings"] == 2 and math.isnan(agg.loc["sen", "p_improvement"])
    text = aggregate_markdown(aggregate(pd.DataFrame(rows), (t2,)))
    assert "| Ours (SEN) | 2 | 6 | 87.0 [" in text
