"""Tests of benchmark.statistics on hand-made scores with known answers: IQM, P(X > Y),
bootstrap intervals (containment, narrowing, stratification, the small-n rules), seeded
determinism and bad input."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from benchmark.statistics import (
    Interval,
    bootstrap_rng,
    iqm,
    iqm_ci,
    mean_ci,
    probability_of_improvement,
    scores_by_setting,
    win_rate,
)

FAST = {"n_resamples": 2000}


def _normal(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(50.0, 5.0, size=n)


# ----------------------------------------------------------------------------- IQM

def test_iqm_of_one_to_eight_is_the_mean_of_the_middle_half():
    assert iqm(np.arange(1, 9)) == (3 + 4 + 5 + 6) / 4
    assert iqm([8, 1, 7, 2, 6, 3, 5, 4]) == 4.5          # order does not matter


def test_iqm_ignores_the_outer_quarters():
    assert iqm([2, 3, -1000, 1000]) == 2.5                # cuts one from each end of four
    assert iqm([0, 10, 10, 10, 10, 10, 10, 99]) == 10.0   # cuts two from each end of eight


# ----------------------------------------------------------------------------- P(X > Y)

def test_win_rate_extremes():
    assert win_rate([5, 6, 7], [1, 2, 3]) == 1.0          # X dominates
    assert win_rate([1, 2, 3], [5, 6, 7]) == 0.0
    assert win_rate([1, 2, 3], [1, 2, 3]) == 0.5          # identical samples
    assert win_rate([4, 4], [4, 4, 4]) == 0.5             # all ties count 1/2


def test_win_rate_small_case_with_ties_by_hand():
    # x=1 beats nothing; x=2 ties 2 and 2 (1/2 + 1/2); x=3 beats 2 and 2: 3 of 9 pairs
    x, y = [1, 2, 3], [2, 2, 4]
    assert win_rate(x, y) == pytest.approx(3 / 9, abs=1e-15)
    assert win_rate(x, y) == pytest.approx(stats.mannwhitneyu(x, y).statistic / 9, abs=1e-15)


def test_probability_of_improvement_averages_settings_both_ran():
    x = {"a": [5, 6, 7], "b": [1, 2, 3], "c": [1, 2, 3], "only_x": [0, 0]}
    y = {"a": [1, 2, 3], "b": [1, 2, 3], "c": [2, 2, 4], "only_y": [9]}
    result = probability_of_improvement(x, y, **FAST)
    assert result.estimate == pytest.approx((1.0 + 0.5 + 3 / 9) / 3, abs=1e-15)
    assert result.low <= result.estimate <= result.high


def test_probability_of_improvement_of_a_dominating_method_is_one_with_a_point_interval():
    x = {"a": [90, 95, 99], "b": [80, 81]}
    y = {"a": [10, 20, 30], "b": [5, 6, 7]}
    assert probability_of_improvement(x, y, **FAST).as_tuple() == (1.0, 1.0, 1.0)
    assert probability_of_improvement(y, x, **FAST).as_tuple() == (0.0, 0.0, 0.0)


def test_probability_of_improvement_against_itself_is_one_half():
    x = {"a": list(_normal(5, 1)), "b": list(_normal(3, 2))}
    result = probability_of_improvement(x, x, **FAST)
    assert result.estimate == 0.5
    assert result.low < 0.5 < result.high


# ----------------------------------------------------------------------------- intervals

def test_mean_ci_contains_the_mean_and_narrows_with_more_seeds():
    few, many = mean_ci(_normal(5, 0), **FAST), mean_ci(_normal(500, 0), **FAST)
    for ci in (few, many):
        assert ci.low < ci.estimate < ci.high
    assert few.estimate == pytest.approx(np.mean(_normal(5, 0)), abs=1e-12)
    assert (many.high - many.low) < 0.3 * (few.high - few.low)
    # sd 5 over 500 seeds: half-width about 1.96 * 5 / sqrt(500) = 0.44
    assert (many.high - many.low) / 2 == pytest.approx(1.96 * 5 / math.sqrt(500), rel=0.2)


def test_mean_ci_is_scipy_percentile_bootstrap_with_the_documented_generator():
    x = _normal(6, 3)
    ours = mean_ci(x, n_resamples=3000, seed=7)
    theirs = stats.bootstrap((x,), np.mean, n_resamples=3000, batch=1000, vectorized=True,
                             method="percentile", confidence_level=0.95,
                             rng=np.random.Generator(np.random.PCG64(np.random.SeedSequence(7))))
    assert (ours.low, ours.high) == (theirs.confidence_interval.low,
                                     theirs.confidence_interval.high)


def test_small_n_rules_one_seed_gives_nan_constant_scores_give_a_point():
    one = mean_ci([0.7])
    assert one.estimate == 0.7 and math.isnan(one.low) and math.isnan(one.high)
    const = mean_ci([0.25, 0.25, 0.25])
    assert const.as_tuple() == (0.25, 0.25, 0.25)
    single_seeds = iqm_ci({"a": [1.0], "b": [2.0], "c": [3.0]})
    assert single_seeds.estimate == 2.0 and math.isnan(single_seeds.low)
    pi = probability_of_improvement({"a": [1.0]}, {"a": [1.0]})
    assert pi.estimate == 0.5 and math.isnan(pi.high)


def test_iqm_ci_resamples_within_settings_not_across_them():
    # each setting is constant, so every stratified resample is the data itself; a pooled
    # bootstrap over the four scores would give intervals of width up to 10
    assert iqm_ci({"a": [0.0, 0.0], "b": [10.0, 10.0]}).as_tuple() == (5.0, 5.0, 5.0)
    # a one-seed setting is held fixed: only "b" varies, so the IQM stays within b's range
    ci = iqm_ci({"a": [100.0], "b": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]}, **FAST)
    assert ci.estimate == iqm([100, 1, 2, 3, 4, 5, 6, 7]) == 4.5
    assert 1.0 <= ci.low <= ci.estimate <= ci.high <= 7.0


def test_iqm_ci_narrows_with_more_seeds_per_setting():
    few = iqm_ci({s: _normal(3, s) for s in range(4)}, **FAST)
    many = iqm_ci({s: _normal(60, s) for s in range(4)}, **FAST)
    for ci in (few, many):
        assert ci.low <= ci.estimate <= ci.high
    assert (many.high - many.low) < 0.5 * (few.high - few.low)


def test_seeded_determinism_same_bytes_twice_other_seed_other_interval():
    def run(seed):
        cells = [mean_ci(_normal(4, 1), seed=seed, **FAST),
                 iqm_ci({"a": _normal(3, 2), "b": _normal(5, 3)}, seed=seed, **FAST),
                 probability_of_improvement({"a": _normal(3, 4)}, {"a": _normal(3, 5)},
                                            seed=seed, **FAST)]
        return np.array([c.as_tuple() for c in cells]).tobytes()
    assert run(11) == run(11)
    assert run(11) != run(12)
    seq = np.random.SeedSequence(11)
    assert mean_ci(_normal(4, 1), seed=seq, **FAST) == mean_ci(_normal(4, 1), seed=11, **FAST)


def test_no_global_random_state_is_touched():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    mean_ci(_normal(4, 1), **FAST)
    assert np.array_equal(np.random.get_state()[1], before)


def test_intervals_raise_no_warnings_on_degenerate_bootstrap_distributions():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probability_of_improvement({"a": [3.0, 4.0]}, {"a": [1.0, 2.0]}, **FAST)
        mean_ci([1.0, 1.0, 2.0], **FAST)


# ----------------------------------------------------------------------------- from the runs

def test_scores_by_setting_groups_one_method_in_seed_order():
    runs = pd.DataFrame({
        "env": ["shapes", "shapes", "blocks", "blocks", "shapes"],
        "train_split": ["limited", "limited", "train", "train", "limited"],
        "method": ["sen", "sen", "sen", "sen", "cnn"],
        "seed": [1, 0, 0, 1, 0],
        "hits@1_10step": [91.0, 90.0, 50.0, float("nan"), 3.0],
    })
    got = scores_by_setting(runs, "sen", "hits@1_10step")
    assert list(got) == [("blocks", "train"), ("shapes", "limited")]
    assert got[("shapes", "limited")].tolist() == [90.0, 91.0]
    assert got[("blocks", "train")].tolist() == [50.0]          # the NaN run is left out
    with pytest.raises(ValueError, match="no runs of method 'hvae'"):
        scores_by_setting(runs, "hvae", "hits@1_10step")
    with pytest.raises(ValueError, match="no column 'mrr_1step'"):
        scores_by_setting(runs, "sen", "mrr_1step")


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, message", [
    (lambda: mean_ci([]), "no scores"),
    (lambda: mean_ci([1.0, float("nan")]), "finite"),
    (lambda: mean_ci([[1.0, 2.0]]), "1-D"),
    (lambda: mean_ci(["a", "b"]), "not an array of numbers"),
    (lambda: mean_ci([1.0, 2.0], confidence=1.5), "confidence"),
    (lambda: mean_ci([1.0, 2.0], n_resamples=0), "n_resamples"),
    (lambda: mean_ci([1.0, 2.0], seed=-1), "seed"),
    (lambda: iqm([]), "no scores"),
    (lambda: iqm_ci({}), "no settings"),
    (lambda: iqm_ci([1.0, 2.0]), "mapping"),
    (lambda: iqm_ci({"a": [1.0, float("inf")]}), r"scores_by_setting\['a'\]"),
    (lambda: probability_of_improvement({"a": [1.0]}, {"b": [1.0]}), "no setting in common"),
    (lambda: win_rate([], [1.0]), "x: no scores"),
])
def test_bad_input_is_a_one_line_value_error(call, message):
    with pytest.raises(ValueError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_interval_is_a_plain_value():
    assert Interval(1.0, 0.5, 1.5).as_tuple() == (1.0, 0.5, 1.5)
    assert isinstance(bootstrap_rng(3), np.random.Generator)
