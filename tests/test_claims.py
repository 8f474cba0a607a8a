"""The claims check (benchmark/claims.py) on hand-made seed means with known answers."""
from __future__ import annotations

import pandas as pd

from benchmark.claims import CLAIMS, check_claims, claims_markdown


def _runs(values: dict[tuple[str, str, str], dict[str, list[float]]]) -> pd.DataFrame:
    rows = []
    for (env, split, method), metrics in values.items():
        n = len(next(iter(metrics.values())))
        for seed in range(n):
            rows.append({"env": env, "train_split": split, "method": method, "seed": seed,
                         **{k: v[seed] for k, v in metrics.items()}})
    return pd.DataFrame(rows)


def test_claims_use_seed_means_and_report_missing_rows():
    runs = _runs({
        ("shapes", "limited", "sen"): {"hits@1_10step": [100.0, 80.0, 95.0]},   # mean 91.67
        ("shapes", "limited", "full"): {"hits@1_10step": [100.0, 70.0, 95.0]},  # mean 88.33
        ("shapes", "limited", "cnn"): {"hits@1_10step": [30.0, 31.0, 29.0]},    # mean 30
        ("blocks", "limited", "sen"): {"hits@1_10step": [85.0, 85.0, 85.0]},
        ("blocks", "limited", "none"): {"hits@1_10step": [65.0, 65.0, 65.0]},   # exactly 20 below
        ("blocks", "limited", "full"): {"hits@1_10step": [85.0, 85.0, 85.0]},   # equal: not above
    })
    checked = check_claims(runs).set_index("claim")
    assert checked.loc["sen H@1 (10 step) >= 90", "met"] == True  # noqa: E712
    assert "91.67" in checked.loc["sen H@1 (10 step) >= 90", "numbers"]
    assert checked.loc["full H@1 (10 step) >= 90", "met"] == False  # noqa: E712
    assert checked.loc["cnn H@1 (10 step) <= 30", "met"] == True  # noqa: E712
    assert checked.loc["sen H@1 (10 step) at least 20 above none", "met"] == True  # noqa: E712
    assert checked.loc["sen H@1 (10 step) above full", "met"] == False  # noqa: E712
    teapot = checked.loc["sen TH@1 >= 90 on each axis"]
    assert teapot["met"] is None and "not checked" in teapot["numbers"]
    assert len(checked) == len(CLAIMS)
    text = claims_markdown(check_claims(runs), "seeds [0, 1, 2]")
    assert "4 of 12 claims hold" in text


def test_teapot_axis_mean_and_ee_claims():
    teapot = {"th@1_yaw": [90.0], "th@1_pitch": [95.0], "th@1_roll": [100.0],
              "hh@1_1step": [50.0], "ee_s": [0.3]}
    none = {"th@1_yaw": [60.0], "th@1_pitch": [65.0], "th@1_roll": [70.0],
            "hh@1_1step": [50.0], "ee_s": [1.5]}
    runs = _runs({("teapot", "train", "sen"): teapot, ("teapot", "train", "none"): none,
                  ("teapot", "train", "hvae"): {"ee_s": [1.49]}})
    checked = check_claims(runs).set_index("claim")
    assert checked.loc["sen TH@1 >= 90 on each axis", "met"] == True  # noqa: E712
    # axis means 95 vs 65: exactly 30 above
    assert checked.loc["sen TH@1, mean of the 3 axes, at least 30 above none", "met"] == True  # noqa: E712
    assert checked.loc["sen HH@1 (2pi/30 negatives) at least none's", "met"] == True  # noqa: E712
    assert checked.loc["sen EE(S) <= 0.3 (paper units)", "met"] == True  # noqa: E712
    assert checked.loc["none and hvae EE(S) >= 1.5", "met"] == False  # noqa: E712
