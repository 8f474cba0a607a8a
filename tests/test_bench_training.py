"""The training benchmark feeds the models what training feeds them, and its repeated
rounds report what they measured."""
from __future__ import annotations

import json
import statistics

import pytest
import torch

from benchmark.bench_training import main, random_inputs, speedup_summary
from generators.reader import EpisodeFile, TransitionBatches, to_float
from generators.registry import env_names, get_env


def test_random_inputs_have_the_layout_of_training_batches(tiny_files):
    """Shape, dtype and memory layout (strides: channels_last for every env) of the
    benchmark's converted observations equal those of a real training batch, and the
    actions have the batch's dtype and shape."""
    for env in env_names():
        batch = next(iter(TransitionBatches(EpisodeFile(tiny_files[env]), 4,
                                            torch.Generator().manual_seed(0))))
        obs, act, nxt = random_inputs(get_env(env), 4, torch.Generator().manual_seed(0))
        for bench, real in ((to_float(obs), batch["obs"]), (to_float(nxt), batch["next_obs"])):
            assert bench.shape == real.shape, env
            assert bench.dtype == real.dtype == torch.float32, env
            assert bench.stride() == real.stride(), env
            assert bench.is_contiguous(memory_format=torch.channels_last), env
        assert act.shape == batch["action"].shape, env
        assert act.dtype == batch["action"].dtype, env


def test_speedup_summary_of_hand_made_rounds():
    """Each round's ratio is its own two sides' (not a ratio of medians), with the median,
    lowest and highest of those ratios."""
    up = speedup_summary([200.0, 330.0, 190.0], [100.0, 150.0, 100.0])
    assert up["rounds"] == pytest.approx([2.0, 2.2, 1.9])
    assert up["median"] == pytest.approx(2.0)
    assert (up["min"], up["max"]) == (pytest.approx(1.9), pytest.approx(2.2))
    # the ratio of the medians would be 200 / 100 = 2.0 here too; not with an even count
    up = speedup_summary([100.0, 300.0], [100.0, 100.0])
    assert up["median"] == pytest.approx(2.0) and up["rounds"] == [1.0, 3.0]
    with pytest.raises(ValueError, match="one baseline figure per round"):
        speedup_summary([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        speedup_summary([], [])


def test_repeated_rounds_alternate_sides_and_report_medians(tmp_path, capsys):
    """A real benchmark of a small pair against HEAD, 3 rounds of 1 step: every round of
    each side is in the JSON, the sides swap order every round (ABBA), the figures shown
    are the medians of the rounds, the speed-up is the median of the per-round ratios."""
    out = tmp_path / "bench.json"
    main(["--pairs", "shapes:cnn", "--profile", "default", "--steps", "1", "--threads", "1",
          "--baseline", "HEAD", "--repeats", "3", "--json", str(out)])
    report = json.loads(out.read_text())
    assert report["repeats"] == 3 and not out.with_name("bench.json.tmp").exists()
    (row,) = report["rows"]
    current, baseline = row["repeats"], row["baseline"]["repeats"]
    assert len(current) == len(baseline) == 3
    order = [c["started_unix"] < b["started_unix"] for c, b in zip(current, baseline)]
    assert order == [True, False, True]
    speeds = [c["transitions_per_s"] for c in current]
    assert row["transitions_per_s"] == statistics.median(speeds)
    ratios = [c["transitions_per_s"] / b["transitions_per_s"]
              for c, b in zip(current, baseline)]
    assert row["speedup"]["rounds"] == pytest.approx(ratios)
    assert row["speedup"]["median"] == pytest.approx(statistics.median(ratios))
    shown = capsys.readouterr().out.splitlines()[-1].split()
    assert shown[:3] == ["default", "shapes", "cnn"]
    assert shown[-1] == f"{min(ratios):5.2f}-{max(ratios):.2f}x".strip()


def test_bad_repeats_fail_with_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--pairs", "shapes:cnn", "--repeats", "0"])
    assert exc.value.code != 0
    assert "--repeats must be >= 1" in capsys.readouterr().err
