"""Few-seed statistics after rliable (Agarwal et al., "Deep Reinforcement Learning at the
Edge of the Statistical Precipice", NeurIPS 2021). Definitions and choices: docs/statistics.md.

- :func:`mean_ci`: a table cell, the mean over seeds with a 95% percentile-bootstrap
  confidence interval.
- :func:`iqm` and :func:`iqm_ci`: a method's aggregate over the settings it ran, the
  interquartile mean of all its scores with a stratified-bootstrap interval.
- :func:`win_rate` and :func:`probability_of_improvement`: P(X > Y) of method X over
  method Y, averaged over the settings both ran, with a stratified-bootstrap interval.

Every interval comes from :func:`scipy.stats.bootstrap` (percentile method, as rliable).
Stratified resampling is scipy's multi-sample bootstrap: with ``paired=False`` each sample
is resampled on its own, so passing one sample per setting resamples seeds within each
setting. Randomness comes only from ``numpy.random.Generator(PCG64(SeedSequence(seed)))``
built inside each call: the same inputs and seed give the same bytes, and no global random
state is read or written.

Small samples (a "stratum" is one setting's scores of one method): a stratum with one score
is the same in every resample, so it is held fixed (scipy needs two or more per sample).
When no stratum has two or more scores there is nothing to resample and the interval is
(NaN, NaN): one seed says nothing about the spread over seeds. When every stratum with two
or more scores is constant, every resample equals the data, and the interval is
(estimate, estimate).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95
N_RESAMPLES = 10_000
SEED = 0
BATCH = 1_000          # resamples per vectorised call of the statistic (bounds memory)
IQM_CUT = 0.25         # scipy.stats.trim_mean proportion cut from each end


@dataclass(frozen=True)
class Interval:
    """A point estimate and its bootstrap confidence interval ``[low, high]``."""
    estimate: float
    low: float
    high: float

    def as_tuple(self) -> tuple[float, float, float]:
        return self.estimate, self.low, self.high


# --------------------------------------------------------------------------- input checks

def _scores(values, name: str = "scores") -> np.ndarray:
    """A 1-D float64 array of finite scores, or ValueError."""
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: not an array of numbers") from None
    if x.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of scores, got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{name}: no scores")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: scores must be finite (found NaN or inf)")
    return x


def _strata(by_setting: Mapping[Hashable, object], name: str) -> dict[Hashable, np.ndarray]:
    if not isinstance(by_setting, Mapping):
        raise ValueError(f"{name}: expected a mapping setting -> scores, "
                         f"got {type(by_setting).__name__}")
    if not by_setting:
        raise ValueError(f"{name}: no settings")
    return {key: _scores(v, f"{name}[{key!r}]") for key, v in by_setting.items()}


def _check_options(confidence: float, n_resamples: int) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")


def bootstrap_rng(seed: int | np.random.SeedSequence = SEED) -> np.random.Generator:
    """The generator every interval draws from: ``Generator(PCG64(SeedSequence(seed)))``."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.Generator(np.random.PCG64(seed))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or a SeedSequence, got {seed!r}")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed))))


# --------------------------------------------------------------------------- point estimates

def iqm(scores) -> float:
    """Interquartile mean: the mean of the scores left after cutting the lowest and the
    highest 25% (``scipy.stats.trim_mean(scores, 0.25)``, as rliable; it cuts
    ``floor(0.25 n)`` scores from each end). IQM of 1..8 = mean(3, 4, 5, 6) = 4.5."""
    return float(stats.trim_mean(_scores(scores), IQM_CUT))


def win_rate(x, y) -> float:
    """P(X > Y) in one setting from samples ``x`` (method X's seeds) and ``y`` (Y's):
    ``(1 / (n m)) sum_i sum_j S(x_i, y_j)``, S = 1 if x_i > y_j, 1/2 if equal, 0 otherwise;
    the Mann-Whitney U statistic of ``x`` divided by ``n m``."""
    return float(_win_rate(_scores(x, "x"), _scores(y, "y")))


def _win_rate(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:func:`win_rate` over the last axis, batched over any leading axes."""
    xi, yj = x[..., :, None], y[..., None, :]
    return ((xi > yj) + 0.5 * (xi == yj)).mean(axis=(-2, -1))


# --------------------------------------------------------------------------- the bootstrap

def _stratified_interval(strata: Sequence[np.ndarray],
                         statistic: Callable[[list[np.ndarray]], np.ndarray],
                         confidence: float, n_resamples: int,
                         seed: int | np.random.SeedSequence) -> Interval:
    """Point estimate and percentile-bootstrap interval of ``statistic``, resampling each
    stratum (1-D array) with replacement on its own. ``statistic`` takes the list of
    strata, each with any leading batch axes, and reduces the last axis."""
    _check_options(confidence, n_resamples)
    rng = bootstrap_rng(seed)
    estimate = float(statistic(list(strata)))
    varying = [i for i, s in enumerate(strata) if s.size >= 2]
    if not varying:
        return Interval(estimate, math.nan, math.nan)
    if all(np.all(strata[i] == strata[i][0]) for i in varying):
        return Interval(estimate, estimate, estimate)

    def resampled(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
        batch = samples[0].shape[:-1]
        full = [np.broadcast_to(s, batch + s.shape) for s in strata]
        for i, sample in zip(varying, samples):
            full[i] = sample
        return statistic(full)

    result = stats.bootstrap([strata[i] for i in varying], resampled, n_resamples=n_resamples,
                             batch=BATCH, vectorized=True, paired=False, axis=-1,
                             confidence_level=confidence, method="percentile", rng=rng)
    ci = result.confidence_interval
    return Interval(estimate, float(ci.low), float(ci.high))


def mean_ci(scores, *, confidence: float = CONFIDENCE, n_resamples: int = N_RESAMPLES,
            seed: int | np.random.SeedSequence = SEED) -> Interval:
    """Mean of one cell's scores (one per seed) with its percentile-bootstrap confidence
    interval. One score: (NaN, NaN); constant scores: (mean, mean)."""
    x = _scores(scores)
    return _stratified_interval([x], lambda s: s[0].mean(axis=-1), confidence, n_resamples,
                                seed)


def iqm_ci(scores_by_setting: Mapping[Hashable, object], *, confidence: float = CONFIDENCE,
           n_resamples: int = N_RESAMPLES,
           seed: int | np.random.SeedSequence = SEED) -> Interval:
    """IQM of a method over every setting it ran, with a stratified-bootstrap interval.

    ``scores_by_setting`` maps each setting (e.g. ``(env, train_split)``) to the method's
    scores there, one per seed. The estimate is the IQM of all scores pooled (rliable's
    aggregate IQM over runs x tasks); a resample draws seeds with replacement within each
    setting, keeping its number of scores, and takes the IQM of the pooled resample.
    """
    strata = list(_strata(scores_by_setting, "scores_by_setting").values())

    def statistic(s: list[np.ndarray]) -> np.ndarray:
        return stats.trim_mean(np.concatenate(s, axis=-1), IQM_CUT, axis=-1)

    return _stratified_interval(strata, statistic, confidence, n_resamples, seed)


def probability_of_improvement(x_by_setting: Mapping[Hashable, object],
                               y_by_setting: Mapping[Hashable, object], *,
                               confidence: float = CONFIDENCE, n_resamples: int = N_RESAMPLES,
                               seed: int | np.random.SeedSequence = SEED) -> Interval:
    """P(X > Y): the average over the settings both methods ran of :func:`win_rate` of X's
    scores against Y's there (rliable's probability of improvement), with a stratified
    bootstrap interval that resamples each method's seeds within each setting.

    Settings only one of the two ran are left out; none in common is a ValueError.
    """
    x = _strata(x_by_setting, "x_by_setting")
    y = _strata(y_by_setting, "y_by_setting")
    common = [key for key in x if key in y]
    if not common:
        raise ValueError("x_by_setting and y_by_setting have no setting in common")
    strata = [x[key] for key in common] + [y[key] for key in common]
    m = len(common)

    def statistic(s: list[np.ndarray]) -> np.ndarray:
        return np.mean([_win_rate(s[i], s[m + i]) for i in range(m)], axis=0)

    return _stratified_interval(strata, statistic, confidence, n_resamples, seed)


# --------------------------------------------------------------------------- from the runs

def scores_by_setting(runs: pd.DataFrame, method: str, metric: str,
                      setting: Sequence[str] = ("env", "train_split")
                      ) -> dict[tuple, np.ndarray]:
    """One method's scores of one metric per setting, from a frame with one row per run
    (e.g. :func:`benchmark.analyse.collect`): ``{(env, train_split): scores in seed order}``.
    Runs whose metric is missing (NaN) are left out, and so are settings left empty."""
    missing = [c for c in (*setting, "method", "seed", metric) if c not in runs.columns]
    if missing:
        raise ValueError(f"runs have no column {missing[0]!r}")
    rows = runs[(runs["method"] == method) & runs[metric].notna()]
    if rows.empty:
        raise ValueError(f"no runs of method {method!r} with metric {metric!r}")
    out = {}
    for key, group in rows.sort_values("seed").groupby(list(setting), sort=True):
        out[key if isinstance(key, tuple) else (key,)] = group[metric].to_numpy(np.float64)
    return out
