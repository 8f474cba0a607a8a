"""The paper's qualitative claims, checked on the seed means of the metrics JSON files.

Each :class:`Claim` names its inequality over metric means (mean over the seeds of one
(env, training split, method) row) and reports the numbers it compared, met or not; a
claim whose rows are missing is reported as not checked.  ``senbench analyse`` writes
them to ``results/claims.md``.  The thresholds are the issue "Three seeds in the default
profile" (docs/metrics.md): qualitative shapes of the paper's tables, never tuned to pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

Mean = Callable[[str, str, str, str], float]
AXES = ("yaw", "pitch", "roll")


class MissingRow(LookupError):
    """A claim's (env, split, method) row or metric has no runs."""


@dataclass(frozen=True)
class Claim:
    """``check(mean)`` returns (the numbers compared, as text; whether the claim holds)."""

    setting: str
    text: str
    check: Callable[[Mean], tuple[str, bool]]


def _at_least(value: float, bound: float, label: str) -> tuple[str, bool]:
    return f"{label} {value:.2f} >= {bound:g}", value >= bound


def _at_most(value: float, bound: float, label: str) -> tuple[str, bool]:
    return f"{label} {value:.2f} <= {bound:g}", value <= bound


def _all(*parts: tuple[str, bool]) -> tuple[str, bool]:
    return "; ".join(p[0] for p in parts), all(p[1] for p in parts)


def _teapot_th(mean: Mean, method: str) -> float:
    return sum(mean("teapot", "train", method, f"th@1_{a}") for a in AXES) / len(AXES)


CLAIMS: tuple[Claim, ...] = (
    Claim("2D Shapes {up}", "sen H@1 (10 step) >= 90",
          lambda m: _at_least(m("shapes", "limited", "sen", "hits@1_10step"), 90, "sen")),
    Claim("2D Shapes {up}", "full H@1 (10 step) >= 90",
          lambda m: _at_least(m("shapes", "limited", "full", "hits@1_10step"), 90, "full")),
    Claim("2D Shapes {up}", "cnn H@1 (10 step) <= 30",
          lambda m: _at_most(m("shapes", "limited", "cnn", "hits@1_10step"), 30, "cnn")),
    Claim("3D Blocks {up,right,down}", "sen H@1 (10 step) >= 80",
          lambda m: _at_least(m("blocks", "limited", "sen", "hits@1_10step"), 80, "sen")),
    Claim("3D Blocks {up,right,down}", "sen H@1 (10 step) at least 20 above none",
          lambda m: _at_least(m("blocks", "limited", "sen", "hits@1_10step")
                              - m("blocks", "limited", "none", "hits@1_10step"), 20,
                              "sen - none")),
    Claim("3D Blocks {up,right,down}", "sen H@1 (10 step) above full",
          lambda m: (lambda d: (f"sen - full {d:.2f} > 0", d > 0))(
              m("blocks", "limited", "sen", "hits@1_10step")
              - m("blocks", "limited", "full", "hits@1_10step"))),
    Claim("3D Teapot", "sen TH@1 >= 90 on each axis",
          lambda m: _all(*(_at_least(m("teapot", "train", "sen", f"th@1_{a}"), 90, a)
                           for a in AXES))),
    Claim("3D Teapot", "sen TH@1, mean of the 3 axes, at least 30 above none",
          lambda m: _at_least(_teapot_th(m, "sen") - _teapot_th(m, "none"), 30, "sen - none")),
    Claim("3D Teapot", "sen HH@1 (2pi/30 negatives) at least none's",
          lambda m: _at_least(m("teapot", "train", "sen", "hh@1_1step")
                              - m("teapot", "train", "none", "hh@1_1step"), 0, "sen - none")),
    Claim("3D Teapot", "sen EE(S) <= 0.3 (paper units)",
          lambda m: _at_most(m("teapot", "train", "sen", "ee_s"), 0.3, "sen")),
    Claim("3D Teapot", "none and hvae EE(S) >= 1.5",
          lambda m: _all(_at_least(m("teapot", "train", "none", "ee_s"), 1.5, "none"),
                         _at_least(m("teapot", "train", "hvae", "ee_s"), 1.5, "hvae"))),
    Claim("Reacher", "sen and full H@10 (1 step) >= 90",
          lambda m: _all(_at_least(m("reacher", "train", "sen", "hits@10_1step"), 90, "sen"),
                         _at_least(m("reacher", "train", "full", "hits@10_1step"), 90, "full"))),
)


def seed_means(runs: pd.DataFrame) -> Mean:
    """``mean(env, split, method, key)``: the mean over seeds (MissingRow when absent)."""
    def mean(env: str, split: str, method: str, key: str) -> float:
        rows = runs[(runs["env"] == env) & (runs["train_split"] == split)
                    & (runs["method"] == method)]
        if key not in rows or rows[key].isna().all():
            raise MissingRow(f"{env}/{split}/{method}: {key}")
        return float(rows[key].mean())
    return mean


def check_claims(runs: pd.DataFrame, claims: tuple[Claim, ...] = CLAIMS) -> pd.DataFrame:
    """One row per claim: setting, claim, seeds, the numbers compared, met (True / False /
    None when its rows are missing)."""
    mean = seed_means(runs)
    records = []
    for claim in claims:
        try:
            numbers, met = claim.check(mean)
        except MissingRow as exc:
            numbers, met = f"not checked: no runs of {exc}", None
        records.append({"setting": claim.setting, "claim": claim.text, "numbers": numbers,
                        "met": met})
    return pd.DataFrame(records)


def claims_markdown(checked: pd.DataFrame, seeds: str) -> str:
    lines = ["# The paper's claims on this profile's seed means", "",
             "| setting | claim | seed means compared | met |", "|---|---|---|---|"]
    for row in checked.itertuples():
        met = "-" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(f"| {row.setting} | {row.claim} | {row.numbers} | {met} |")
    held = int((checked["met"] == True).sum())  # noqa: E712 (None stays out)
    lines += ["", f"{held} of {len(checked)} claims hold ({seeds}). Metrics as in the tables "
              "(docs/metrics.md); thresholds from the paper's tables, never tuned.", ""]
    return "\n".join(lines)
