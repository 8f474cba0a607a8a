"""DVC stage ``analyse``: the result tables, built only from metrics JSON files.

    senbench analyse --metrics metrics --out results

For each table of :mod:`benchmark.tables` it writes ``results/<table>.md`` (ours as
mean +- std over seeds next to the paper's number) and ``results/<table>.csv`` (every
number: mean, std, seeds, paper reference, profile, hardware, dataset digests), plus
``results/all_runs.csv`` with one row per evaluated run, and the HH@1 curve (HH@1 against the
hard negatives' angle, mean and std over seeds) as ``results/hh1_curve.csv`` and ``.png``.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd

from benchmark.claims import check_claims, claims_markdown
from benchmark.statistics import iqm_ci, mean_ci, probability_of_improvement
from benchmark.tables import METHOD_LABELS, TABLES, Table, env_table
from generators.h5format import write_text_atomic

RUN_KEYS = ("env", "method", "seed", "profile", "hardware", "train_split", "parameters",
            "train_data_digest", "eval_data_digest")


def collect(metrics_dir: str | Path, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per metrics JSON below ``metrics_dir`` (files named in ``exclude`` skipped)."""
    rows = []
    paths = sorted(p for p in Path(metrics_dir).rglob("*.json") if p.name not in exclude)
    for path in paths:
        try:
            blob = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: malformed metrics JSON ({exc.msg})") from None
        if not isinstance(blob, dict) or "metrics" not in blob:
            continue  # not a metrics file
        row = {k: blob.get(k) for k in RUN_KEYS}
        row["file"] = str(path)
        row.update(blob["metrics"])
        rows.append(row)
    if not rows:
        raise ValueError(f"no metrics JSON files under {metrics_dir}")
    return pd.DataFrame(rows)


def _fmt(mean: float, std: float, n: int, digits: int) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "-"
    if n > 1:
        return f"{mean:.{digits}f} ± {std:.{digits}f}"
    return f"{mean:.{digits}f}"


def summarise(runs: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Mean, std (over seeds) and paper reference of each (group, method, column)."""
    records = []
    for env, split, group in table.groups:
        sub = runs[(runs["env"] == env) & (runs["train_split"] == split)]
        methods = [m for m in table.method_order if m in set(sub["method"])]
        methods += sorted(set(sub["method"]) - set(methods))
        for method in methods:
            mrows = sub[sub["method"] == method]
            rec = {"group": group, "method": method,
                   "label": table.labels.get(method, METHOD_LABELS.get(method, method)),
                   "seeds": len(mrows), "parameters": int(mrows["parameters"].iloc[0]),
                   "profile": ",".join(sorted(set(mrows["profile"].astype(str)))),
                   "hardware": ",".join(sorted(set(mrows["hardware"].astype(str)))),
                   "train_data_digest": ",".join(sorted(set(mrows["train_data_digest"]))),
                   "eval_data_digest": ",".join(sorted(set(mrows["eval_data_digest"])))}
            for col in table.columns:
                values = (mrows[col.metric] * col.scale) if col.metric in mrows else None
                ok = values is not None and values.notna().any()
                rec[f"{col.metric}_mean"] = float(values.mean()) if ok else float("nan")
                rec[f"{col.metric}_std"] = (float(values.std(ddof=1)) if ok and len(values) > 1
                                            else 0.0)
                ci = mean_ci(values.dropna()) if ok else None   # 95% bootstrap CI of the mean
                rec[f"{col.metric}_ci_low"] = ci.low if ci else float("nan")
                rec[f"{col.metric}_ci_high"] = ci.high if ci else float("nan")
                ref = table.paper.get((group, method), {}).get(col.metric, float("nan"))
                rec[f"{col.metric}_paper"] = ref
                rec[f"{col.metric}_paper_source"] = (
                    table.source if not math.isnan(ref) else
                    "not in paper" if col.metric in table.not_in_paper else "")
            records.append(rec)
    return pd.DataFrame(records)


def markdown(table: Table, summary: pd.DataFrame) -> str:
    lines = [f"# {table.title}", ""]
    if summary.empty:
        lines += ["No runs found for this table.", ""]
        return "\n".join(lines)
    header = ["setting", "model", "seeds"]
    for col in table.columns:
        header += [col.label, "paper"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for _, rec in summary.iterrows():
        cells = [rec["group"], rec["label"], str(rec["seeds"])]
        for col in table.columns:
            cells.append(_fmt(rec[f"{col.metric}_mean"], rec[f"{col.metric}_std"], rec["seeds"],
                              col.digits))
            paper = rec[f"{col.metric}_paper"]
            cells.append(f"{paper:g}" if not math.isnan(paper) else
                         "not in paper" if col.metric in table.not_in_paper else "-")
        lines.append("| " + " | ".join(cells) + " |")
    profiles = ", ".join(sorted(set(summary["profile"])))
    hardware = "; ".join(sorted(set(summary["hardware"])))
    source = f"Reference: {table.source}. " if table.source else ""
    lines += ["", f"Ours: mean ± std over seeds (sample std), profile `{profiles}`, "
                  f"evaluated on {hardware}. {source}{table.note}",
              "Every number, with parameter counts and dataset digests, is in the CSV beside "
              "this file.", ""]
    return "\n".join(lines)


CURVE_KEY = re.compile(r"hh@1_1step_turn(\d+)")


def hh1_curve(runs: pd.DataFrame) -> pd.DataFrame:
    """HH@1 against the negatives' angle ``2 pi / n``: mean and std over seeds, one row per
    (env, train split, method, n), from the ``hh@1_1step_turn<n>`` keys of the runs."""
    keys = sorted((k for k in runs.columns if CURVE_KEY.fullmatch(k)),
                  key=lambda k: -int(CURVE_KEY.fullmatch(k).group(1)))
    records = []
    if not keys:
        return pd.DataFrame(columns=["env", "train_split", "method", "turns", "angle_rad",
                                     "angle_deg", "hh@1_mean", "hh@1_std", "seeds"])
    for (env, split, method), sub in runs.groupby(["env", "train_split", "method"], sort=True):
        for key in keys:
            values = sub[key].dropna()
            if values.empty:
                continue
            n = int(CURVE_KEY.fullmatch(key).group(1))
            records.append({"env": env, "train_split": split, "method": method, "turns": n,
                            "angle_rad": 2 * math.pi / n, "angle_deg": 360 / n,
                            "hh@1_mean": float(values.mean()),
                            "hh@1_std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                            "seeds": len(values)})
    return pd.DataFrame(records)


def plot_hh1_curve(curve: pd.DataFrame, path: Path) -> Path:
    """One line per method (mean over seeds) with a band of +- one std, per env and split."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    groups = list(curve.groupby(["env", "train_split"], sort=True)) if not curve.empty else []
    fig, axes = plt.subplots(1, max(len(groups), 1), figsize=(5 * max(len(groups), 1), 3.8),
                             squeeze=False)
    if not groups:
        axes[0, 0].text(0.5, 0.5, "no run with HH@1 curve keys", ha="center", va="center")
        axes[0, 0].set_axis_off()
    for ax, ((env, split), sub) in zip(axes[0], groups):
        for method, m in sub.groupby("method", sort=True):
            m = m.sort_values("angle_deg")
            label = METHOD_LABELS.get(method, method)
            ax.plot(m["angle_deg"], m["hh@1_mean"], marker="o", label=label)
            ax.fill_between(m["angle_deg"], m["hh@1_mean"] - m["hh@1_std"],
                            m["hh@1_mean"] + m["hh@1_std"], alpha=0.2)
        ax.set_xscale("log", base=2)
        ticks = sorted(sub["angle_deg"].unique())
        ax.set_xticks(ticks, [f"2pi/{int(round(360 / t))}" for t in ticks])
        ax.set_ylim(-2, 102)
        ax.set_xlabel("angle of the hard negatives")
        ax.set_ylabel("HH@1 (%)")
        ax.set_title(f"{env} ({split}): HH@1 against the negatives' angle", fontsize=9)
        ax.legend(fontsize=8)
    fig.tight_layout()
    tmp = path.with_name(path.stem + ".tmp" + path.suffix)
    fig.savefig(tmp, dpi=110, metadata={"Software": None})
    plt.close(fig)
    tmp.replace(path)
    return path


def headline_scores(runs: pd.DataFrame, tables: tuple[Table, ...] = TABLES):
    """``(table, row group, method, rows, values)`` for every method of every row group of the
    tables that have a headline metric: its runs there and their headline values (in seed
    order, missing ones dropped; groups without any value are skipped)."""
    for table in tables:
        if not table.headline:
            continue
        for env, split, group in table.groups:
            sub = runs[(runs["env"] == env) & (runs["train_split"] == split)]
            if table.headline not in sub:
                continue
            for method, rows in sub.groupby("method", sort=True):
                values = rows.sort_values("seed")[table.headline].dropna()
                if not values.empty:
                    yield table, group, method, rows, values


def aggregate(runs: pd.DataFrame, tables: tuple[Table, ...] = TABLES,
              reference: str = "sen") -> pd.DataFrame:
    """Per method, over the settings it ran (each paper table's (env, split) groups, scored
    by the table's headline metric, a percentage): the interquartile mean with a stratified
    bootstrap 95% CI, and the probability that ``reference`` improves on it (rliable)."""
    scores: dict[str, dict[tuple, object]] = {}
    for table, group, method, rows, values in headline_scores(runs, tables):
        scores.setdefault(method, {})[(f"{group}: {table.headline}",)] = values.to_numpy(float)
    records = []
    if not scores:
        return pd.DataFrame(columns=["method", "label", "settings", "seeds", "iqm", "iqm_ci_low",
                                     "iqm_ci_high", "p_improvement", "p_ci_low", "p_ci_high",
                                     "common_settings"])
    for method in sorted(scores, key=lambda m: (m != reference, m)):
        iqm = iqm_ci(scores[method])
        rec = {"method": method, "label": METHOD_LABELS.get(method, method),
               "settings": len(scores[method]),
               "seeds": int(sum(len(v) for v in scores[method].values())),
               "iqm": iqm.estimate, "iqm_ci_low": iqm.low, "iqm_ci_high": iqm.high,
               "p_improvement": float("nan"), "p_ci_low": float("nan"),
               "p_ci_high": float("nan"), "common_settings": 0}
        if method != reference and reference in scores:
            common = set(scores[reference]) & set(scores[method])
            if common:
                p = probability_of_improvement(scores[reference], scores[method])
                rec.update(p_improvement=p.estimate, p_ci_low=p.low, p_ci_high=p.high,
                           common_settings=len(common))
        records.append(rec)
    return pd.DataFrame(records)


def aggregate_markdown(agg: pd.DataFrame, reference: str = "sen") -> str:
    def ci(est, low, high, digits):
        if math.isnan(est):
            return "-"
        if math.isnan(low):
            return f"{est:.{digits}f} (CI needs 2+ seeds)"
        return f"{est:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"
    lines = ["# Aggregate over settings (rliable)", "",
             "| method | settings | runs | IQM [95% CI] | "
             f"P({METHOD_LABELS.get(reference, reference)} > method) [95% CI] |",
             "|---|---|---|---|---|"]
    for _, r in agg.iterrows():
        p = ("-" if r["method"] == reference or not r["common_settings"] else
             ci(r["p_improvement"], r["p_ci_low"], r["p_ci_high"], 2)
             + f" over {int(r['common_settings'])}")
        lines.append(f"| {r['label']} | {r['settings']} | {r['seeds']} | "
                     f"{ci(r['iqm'], r['iqm_ci_low'], r['iqm_ci_high'], 1)} | {p} |")
    lines += ["", "Each setting (a paper table's row group) is scored by its table's headline "
              "metric (HH@1 on the Teapot, H@1 at 10 steps on the grid worlds, H@10 at 1 step on "
              "Reacher), in percent. IQM: interquartile mean of all runs of a method; P: "
              "probability of improvement averaged over the settings both ran. CIs: "
              "stratified percentile bootstrap (scipy.stats.bootstrap, 10,000 resamples, seed "
              "0; docs/statistics.md). Per-cell CIs are in each table's CSV.", ""]
    return "\n".join(lines)


def analyse(metrics_dir: str | Path, out_dir: str | Path,
            params_file: str | Path | None = None) -> list[Path]:
    """Write every table (Markdown + CSV) and the per-run CSV; returns the paths written."""
    runs = collect(metrics_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    shown = {(env, split) for table in TABLES for env, split, _ in table.groups}
    extra = []
    for (env, split), sub in runs.groupby(["env", "train_split"], sort=True):
        if (env, split) not in shown:
            keys = [k for k in sub.columns if k not in RUN_KEYS and k != "file"
                    and sub[k].notna().any()]
            extra.append(env_table(env, split, keys))
    for table in (*TABLES, *extra):
        summary = summarise(runs, table)
        md, csv = out / f"{table.name}.md", out / f"{table.name}.csv"
        write_text_atomic(md, markdown(table, summary))
        write_text_atomic(csv, summary.to_csv(index=False))
        written += [md, csv]
    # every declared output is written, empty when no run feeds it (DVC expects them all)
    agg = aggregate(runs)
    agg_md, agg_csv = out / "aggregate.md", out / "aggregate.csv"
    write_text_atomic(agg_md, aggregate_markdown(agg))
    write_text_atomic(agg_csv, agg.to_csv(index=False))
    curve = hh1_curve(runs)
    curve_csv = out / "hh1_curve.csv"
    write_text_atomic(curve_csv, curve.to_csv(index=False))
    written += [agg_md, agg_csv, curve_csv, plot_hh1_curve(curve, out / "hh1_curve.png")]
    claims_md = out / "claims.md"
    seeds = sorted(int(x) for x in runs["seed"].dropna().unique())
    write_text_atomic(claims_md, claims_markdown(check_claims(runs), f"seeds {seeds}"))
    written.append(claims_md)
    all_runs = out / "all_runs.csv"
    write_text_atomic(all_runs, runs.sort_values(["env", "train_split", "method", "seed"])
           .to_csv(index=False))
    written.append(all_runs)
    return written
