"""DVC stage ``analyse``: the result tables, built only from metrics JSON files.

    senbench analyse --metrics metrics --out results

For each table of :mod:`benchmark.tables` it writes ``results/<table>.md`` (ours as
mean +- std over seeds next to the paper's number) and ``results/<table>.csv`` (every
number: mean, std, seeds, paper reference, profile, hardware, dataset digests), plus
``results/all_runs.csv`` with one row per evaluated run.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from benchmark.tables import METHOD_LABELS, TABLES, Table, env_table
from generators.h5format import write_text_atomic

RUN_KEYS = ("env", "method", "seed", "profile", "hardware", "train_split", "parameters",
            "train_data_digest", "eval_data_digest")


def collect(metrics_dir: str | Path) -> pd.DataFrame:
    """One row per metrics JSON below ``metrics_dir``."""
    rows = []
    paths = sorted(Path(metrics_dir).rglob("*.json"))
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
                rec[f"{col.metric}_paper"] = table.paper.get((group, method), {}).get(
                    col.metric, float("nan"))
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
            cells.append("-" if math.isnan(paper) else f"{paper:g}")
        lines.append("| " + " | ".join(cells) + " |")
    profiles = ", ".join(sorted(set(summary["profile"])))
    hardware = "; ".join(sorted(set(summary["hardware"])))
    lines += ["", f"Ours: mean ± std over seeds (sample std), profile `{profiles}`, "
                  f"evaluated on {hardware}. {table.note}",
              "Every number, with parameter counts and dataset digests, is in the CSV beside "
              "this file.", ""]
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
    all_runs = out / "all_runs.csv"
    write_text_atomic(all_runs, runs.sort_values(["env", "train_split", "method", "seed"])
           .to_csv(index=False))
    written.append(all_runs)
    return written
