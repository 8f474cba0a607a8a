"""Wave logic of `senbench pipeline run` (pure functions of stage names, no DVC)."""
from __future__ import annotations

import pytest

from benchmark.pipeline import PipelineError
from benchmark.pipeline.settings import DEFAULTS, load_settings
from benchmark.pipeline.waves import compute_waves, split_local

# a DAG of the shape of SEN-Bench's dvc.yaml: generate@env -> train -> evaluate -> analyse,
# plots reading the runs and the data
UPSTREAM = {
    "generate@a": [], "generate@b": [],
    "train@0-0": ["generate@a"], "train@0-1": ["generate@a"], "train@1-0": ["generate@b"],
    "evaluate@0-0": ["train@0-0", "generate@a"], "evaluate@0-1": ["train@0-1", "generate@a"],
    "evaluate@1-0": ["train@1-0", "generate@b"],
    "analyse": ["evaluate@0-0", "evaluate@0-1", "evaluate@1-0"],
    "plots": ["train@0-0", "train@0-1", "train@1-0", "generate@a", "generate@b"],
}
ALL = list(UPSTREAM)


def test_full_pipeline_waves_in_dag_order():
    assert compute_waves(ALL, UPSTREAM) == [
        ["generate@a", "generate@b"],
        ["train@0-0", "train@0-1", "train@1-0"],
        ["evaluate@0-0", "evaluate@0-1", "evaluate@1-0", "plots"],
        ["analyse"],
    ]


def test_up_to_date_stages_impose_no_order():
    # data already generated: training is the first wave
    stale = [n for n in ALL if not n.startswith("generate")]
    waves = compute_waves(stale, UPSTREAM)
    assert waves[0] == ["train@0-0", "train@0-1", "train@1-0"]
    assert waves[-1] == ["analyse"]


def test_one_changed_run_only():
    stale = ["train@0-1", "evaluate@0-1", "analyse", "plots"]
    assert compute_waves(stale, UPSTREAM) == [["train@0-1"], ["evaluate@0-1", "plots"],
                                              ["analyse"]]


def test_order_within_a_wave_follows_the_input_order():
    stale = ["generate@b", "generate@a"]
    assert compute_waves(stale, UPSTREAM) == [["generate@b", "generate@a"]]


def test_longest_chain_decides_the_wave():
    up = {"a": [], "b": ["a"], "c": ["a", "b"]}  # c reads a directly and through b
    assert compute_waves(["a", "b", "c"], up) == [["a"], ["b"], ["c"]]


def test_nothing_stale_gives_no_wave():
    assert compute_waves([], UPSTREAM) == []


def test_cycle_is_an_error():
    with pytest.raises(PipelineError, match="cycle"):
        compute_waves(["a", "b"], {"a": ["b"], "b": ["a"]})


def test_every_stage_after_all_its_stale_upstream():
    waves = compute_waves(ALL, UPSTREAM)
    where = {n: k for k, wave in enumerate(waves) for n in wave}
    for name, ups in UPSTREAM.items():
        for up in ups:
            assert where[up] < where[name], (up, name)


def test_split_local_moves_the_final_stages_to_the_driver():
    cluster, local = split_local(compute_waves(ALL, UPSTREAM), ["analyse", "plots"], UPSTREAM)
    assert cluster == [["generate@a", "generate@b"], ["train@0-0", "train@0-1", "train@1-0"],
                       ["evaluate@0-0", "evaluate@0-1", "evaluate@1-0"]]
    assert local == ["plots", "analyse"]  # wave order: plots (wave 2) before analyse (3)


def test_split_local_rejects_cluster_stage_after_a_local_one():
    with pytest.raises(PipelineError, match="train@0-0 runs on the cluster but depends on "
                                            "generate@a"):
        split_local([["generate@a"], ["train@0-0"]], ["generate@*"], UPSTREAM)


def test_split_local_patterns_and_empty_waves_dropped():
    cluster, local = split_local([["generate@a"], ["train@0-0"], ["analyse"]], ["ana*"],
                                 UPSTREAM)
    assert cluster == [["generate@a"], ["train@0-0"]]
    assert local == ["analyse"]


def test_settings_defaults_and_overrides(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("cluster:\n  jobs: 4\n  slurm: {partition: gpu, time: 60}\n")
    cfg = load_settings(params)
    assert cfg["jobs"] == 4 and cfg["threads_per_job"] == DEFAULTS["threads_per_job"]
    assert cfg["slurm"]["partition"] == "gpu" and cfg["slurm"]["time"] == 60
    assert cfg["slurm"]["mem"] == DEFAULTS["slurm"]["mem"]
    assert load_settings(tmp_path / "missing.yaml") == DEFAULTS


@pytest.mark.parametrize("text, match", [
    ("cluster:\n  job: 4\n", "cluster.job: unknown key"),
    ("cluster:\n  slurm: {partitoin: gpu}\n", "cluster.slurm: unknown key"),
    ("cluster: [1]\n", "must be a mapping"),
])
def test_settings_bad_input(tmp_path, text, match):
    params = tmp_path / "params.yaml"
    params.write_text(text)
    with pytest.raises(PipelineError, match=match):
        load_settings(params)
