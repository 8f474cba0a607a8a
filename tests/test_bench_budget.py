"""benchmark.bench_budget: the per-epoch validation of the kept weights over seeds, and the
subset pass rate it reports."""
from __future__ import annotations

import json
import math

import pytest

from benchmark.bench_budget import main, parse_sets, subset_pass_rate
from benchmark.seed_jobs import parse_seeds

TINY_PARAMS = ("profile: default\nseeds: [0]\n"
               "train:\n  shapes: {epochs: 1, batch_size: 8, lr: 0.001, threads: 1,\n"
               "    models: {cnn: {embedding_hidden: 4, encoder_hidden: 8, transition_hidden: 8}}}\n")


def test_subset_pass_rate_counts_the_subsets_whose_mean_meets_the_threshold():
    values = [100.0, 100.0, 40.0, 100.0]
    # the 4 subsets of 3: three hold the 40 (mean 80), one does not (mean 100)
    assert subset_pass_rate(values, 3, 80.0) == 1.0
    assert subset_pass_rate(values, 3, 80.5) == 0.25
    assert subset_pass_rate(values, 1, 50.0) == 0.75
    assert subset_pass_rate([50.0, 60.0], 2, 55.0) == 1.0
    with pytest.raises(ValueError, match="at least 3"):
        subset_pass_rate([1.0, 2.0], 3, 0.0)


def test_parse_seeds_and_sets():
    assert parse_seeds("0-2,7") == [0, 1, 2, 7]
    assert parse_seeds("3") == [3]
    for bad in ("", "a-b", "-1"):
        with pytest.raises(ValueError, match="--seeds"):
            parse_seeds(bad)
    assert parse_sets(["lr=0.002", "batch_size=64", "lr_schedule=cosine"]) == \
        {"lr": 0.002, "batch_size": 64, "lr_schedule": "cosine"}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_sets(["lr"])


def test_each_epoch_of_the_probe_is_the_run_of_that_many_epochs(tmp_path, tiny_grid_files,
                                                                 capsys):
    """Epoch 1 of a 2-epoch probe reports exactly what a 1-epoch `senbench train` of that
    seed, evaluated on the same file, gets: the kept weights are the pipeline's."""
    from benchmark.evaluate import evaluate_run
    from benchmark.params import load_params
    from benchmark.train import train, train_settings
    data = tiny_grid_files["shapes"]
    params = tmp_path / "params.yaml"
    params.write_text(TINY_PARAMS)
    out = tmp_path / "probe"
    main(["--env", "shapes", "--method", "cnn", "--data", str(data), "--val", str(data),
          "--seeds", "0,1", "--epochs", "2", "--params", str(params), "--metric",
          "hits@1_1step", "--threshold", "50", "--subset", "2", "--out", str(out)])
    summary = json.loads((out / "summary.json").read_text())
    assert [r["epoch"] for r in summary["epochs"]] == [1, 2]
    assert summary["settings"]["epochs"] == 2 and summary["seeds"] == [0, 1]
    for r in summary["epochs"]:
        assert len(r["values"]) == 2 and all(0.0 <= v <= 100.0 for v in r["values"])
        assert math.isclose(r["mean"], sum(r["values"]) / 2)
        assert r["subset_pass_rate"] == float(r["mean"] >= 50)
    assert "hits@1_1step of the kept weights" in capsys.readouterr().out
    before = {f: f.read_bytes() for f in out.rglob("*") if f.is_file()}
    with pytest.raises(SystemExit, match="exists; pass --force"):   # nothing is touched
        main(["--env", "shapes", "--method", "cnn", "--data", str(data), "--val", str(data),
              "--epochs", "1", "--params", str(params), "--out", str(out)])
    assert before == {f: f.read_bytes() for f in out.rglob("*") if f.is_file()}

    settings, hparams = train_settings(load_params(params), "shapes", "cnn")
    for seed in (0, 1):
        run = tmp_path / f"run{seed}"
        train("shapes", "cnn", data, seed, run, settings=settings, hparams=hparams,
              progress=False)
        metrics = evaluate_run(run, data, tmp_path / f"metrics{seed}.json")["metrics"]
        assert summary["epochs"][0]["values"][seed] == metrics["hits@1_1step"]


def test_bad_input_fails_with_one_line(tmp_path, tiny_grid_files):
    data = str(tiny_grid_files["shapes"])
    params = tmp_path / "params.yaml"
    params.write_text(TINY_PARAMS)
    common = ["--env", "shapes", "--method", "cnn", "--data", data, "--epochs", "1",
              "--params", str(params), "--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit, match="no such file"):
        main([*common, "--val", str(tmp_path / "missing.h5")])
    with pytest.raises(SystemExit, match="--subset 3 needs at least 3 seeds"):
        main([*common, "--val", data, "--seeds", "0,1"])
    with pytest.raises(SystemExit, match="unknown train setting"):
        main([*common, "--val", data, "--set", "learning_rate=0.1"])
    # a metric the file cannot give (4-step episodes, no 10-step rollout): the seed fails
    with pytest.raises(SystemExit, match="seed 0 failed.*hits@1_10step not computed"):
        main([*common, "--val", data, "--seeds", "0", "--subset", "1", "--metric",
              "hits@1_10step"])


def test_the_eval_set_is_refused_unless_a_report_is_asked_for(tmp_path, tiny_grid_files,
                                                              capsys):
    """A --val file that is the eval set (split 'eval', or the eval split's root seed in the
    params file) fails with one line and writes nothing; --on-eval runs it and says so."""
    from generators.generate import generate
    train_file = str(tiny_grid_files["shapes"])
    eval_file = tmp_path / "eval.h5"
    generate("shapes", "eval", 4, 4, 7, eval_file, progress=False)
    same_seed = tmp_path / "val_seed7.h5"   # another split name, the eval split's seed
    generate("shapes", "val", 4, 4, 7, same_seed, progress=False)
    params = tmp_path / "params.yaml"
    params.write_text(TINY_PARAMS + "generate:\n  shapes:\n    eval: {episodes: 4, steps: 4, "
                      "seed: 7}\n")
    out = tmp_path / "out"
    common = ["--env", "shapes", "--method", "cnn", "--data", train_file, "--epochs", "1",
              "--seeds", "0", "--subset", "1", "--metric", "hits@1_1step",
              "--params", str(params), "--out", str(out)]
    with pytest.raises(SystemExit, match=r"is the eval set \(its split is 'eval'\)"):
        main([*common, "--val", str(eval_file)])
    with pytest.raises(SystemExit, match="its root seed 7 is the eval split's.*--on-eval"):
        main([*common, "--val", str(same_seed)])
    assert not out.exists()
    main([*common, "--val", str(eval_file), "--on-eval"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["on_eval"] is True and len(summary["epochs"]) == 1
    assert "on the EVAL file (a report: choose nothing from it)" in capsys.readouterr().out
