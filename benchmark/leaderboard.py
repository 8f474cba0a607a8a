"""``senbench leaderboard``: the results of this repository and of submitted methods, side by side.

    senbench leaderboard --metrics metrics --submissions examples/submission --out results

A submission is a folder with a ``manifest.json`` (``method``, ``code``: where its code lives,
``profile``: the params profile it ran, optional ``authors``) and the metrics JSON files that
``senbench evaluate`` wrote for its runs (any layout below the folder).  A submission is
accepted only if every metrics file

* is a ``senbench evaluate`` result for the manifest's method and profile,
* was trained and evaluated on this repository's datasets of that profile: its train and eval
  data digests equal the committed digests (``digests/<env>.json`` for the default profile,
  ``digests/<profile>/<env>.json`` for the others), and
* reports only registered metric keys (:mod:`benchmark.metrics.registry`);

otherwise the command fails with one line naming the file and the reason, and writes nothing.
The leaderboard scores each setting (a paper table's row group) by its table's headline metric,
mean +- std over seeds, one row per method and source.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.analyse import METHOD_LABELS, collect, headline_scores
from benchmark.metrics import check_metric_key
from benchmark.params import PROFILES
from generators.digests import digests_file
from generators.h5format import write_text_atomic

MANIFEST = "manifest.json"
MANIFEST_KEYS = {"method", "code", "profile"}
RESULT_KEYS = {"env", "method", "seed", "profile", "train_split", "train_data_digest",
               "eval_data_digest", "metrics"}


class SubmissionError(ValueError):
    """A submission that cannot be accepted (one line: which file and why)."""


@dataclass(frozen=True)
class Submission:
    name: str
    manifest: dict
    runs: pd.DataFrame


def committed_digests(profile: str, env: str, root: str | Path = ".") -> dict[str, str]:
    """split -> SHA-256 of the datasets this repository commits for ``profile``."""
    path = digests_file(env, profile, Path(root) / "digests")
    if not path.is_file():
        raise SubmissionError(f"no committed digests for env {env!r}, profile {profile!r} "
                              f"({path} is missing)")
    return json.loads(path.read_text())


def _load_json(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SubmissionError(f"{path}: not readable JSON ({type(exc).__name__})") from None


def load_submission(folder: str | Path, root: str | Path = ".") -> Submission:
    """Read and check one submission folder (raises :class:`SubmissionError`)."""
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise SubmissionError(f"{folder}: no {MANIFEST}")
    manifest = _load_json(manifest_path)
    if not isinstance(manifest, dict) or not MANIFEST_KEYS <= set(manifest):
        raise SubmissionError(f"{manifest_path}: needs the keys {', '.join(sorted(MANIFEST_KEYS))}")
    if manifest["profile"] not in PROFILES:
        raise SubmissionError(f"{manifest_path}: unknown profile {manifest['profile']!r}; "
                              f"choose {', '.join(PROFILES)}")
    files = sorted(p for p in folder.rglob("*.json") if p != manifest_path)
    if not files:
        raise SubmissionError(f"{folder}: no metrics JSON files")
    for path in files:
        _check_result(path, _load_json(path), manifest, root)
    return Submission(folder.name, manifest, collect(folder, exclude=(MANIFEST,)))


def _check_result(path: Path, blob: object, manifest: dict, root: str | Path) -> None:
    if not isinstance(blob, dict) or not RESULT_KEYS <= set(blob):
        raise SubmissionError(f"{path}: not a `senbench evaluate` result (needs "
                              f"{', '.join(sorted(RESULT_KEYS))})")
    for key in ("method", "profile"):
        if blob[key] != manifest[key]:
            raise SubmissionError(f"{path}: {key} {blob[key]!r} differs from the manifest's "
                                  f"{manifest[key]!r}")
    digests = committed_digests(blob["profile"], blob["env"], root)
    for what, split in (("train", blob["train_split"]), ("eval", "eval")):
        got = blob[f"{what}_data_digest"]
        if digests.get(split) != got:
            raise SubmissionError(f"{path}: {what} data digest {str(got)[:16]}... is not this "
                                  f"repository's {blob['env']}/{split} ({blob['profile']} profile)")
    if not isinstance(blob["metrics"], dict):
        raise SubmissionError(f"{path}: metrics must be a mapping")
    for key in blob["metrics"]:
        try:
            check_metric_key(key)
        except KeyError:
            raise SubmissionError(f"{path}: metric {key!r} is not a registered metric key") from None


def leaderboard_rows(sources: list[tuple[str, str, pd.DataFrame]]) -> pd.DataFrame:
    """One row per (setting, method, source): the headline metric's mean, std and seeds."""
    records = []
    for source, code, runs in sources:
        for table, group, method, rows, values in headline_scores(runs):
            records.append({
                "setting": group, "metric": table.headline, "method": method,
                "label": METHOD_LABELS.get(method, method), "source": source,
                "code": code, "profile": ",".join(sorted(set(rows["profile"]))),
                "mean": float(values.mean()),
                "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                "seeds": len(values)})
    frame = pd.DataFrame(records)
    if not frame.empty:
        order: dict[str, int] = {}   # settings in the tables' order (first appearance)
        for r in records:
            order.setdefault(r["setting"], len(order))
        frame = frame.sort_values(["setting", "mean"], key=lambda c: c.map(order)
                                  if c.name == "setting" else -c, kind="stable")
    return frame


def markdown(frame: pd.DataFrame) -> str:
    lines = ["# SEN-Bench leaderboard", ""]
    for setting, sub in frame.groupby("setting", sort=False):
        metric = sub["metric"].iloc[0]
        lines += [f"## {setting} ({metric})", "", "| rank | method | score | seeds | source | "
                  "profile |", "|---|---|---|---|---|---|"]
        for rank, (_, r) in enumerate(sub.iterrows(), start=1):
            score = (f"{r['mean']:.1f} ± {r['std']:.1f}" if r["seeds"] > 1
                     else f"{r['mean']:.1f}")
            source = r["source"] if not r["code"] else f"{r['source']} ({r['code']})"
            lines.append(f"| {rank} | {r['label']} | {score} | {r['seeds']} | {source} | "
                         f"{r['profile']} |")
        lines.append("")
    lines += ["Scores: each setting's headline metric in percent (mean ± sample std over "
              "seeds). Submissions are accepted only on this repository's datasets (equal "
              "digests) and registered metric keys; see docs/submitting.md.", ""]
    return "\n".join(lines)


def build_leaderboard(metrics_dir: str | Path, submissions: list[str | Path],
                      out_dir: str | Path, root: str | Path = ".") -> Path:
    """Check every submission, then write ``<out_dir>/leaderboard.md`` (and ``.csv``)."""
    subs = [load_submission(folder, root) for folder in submissions]   # all checked first
    sources = [("this repository", "", collect(metrics_dir))]
    sources += [(s.name, str(s.manifest["code"]), s.runs) for s in subs]
    frame = leaderboard_rows(sources)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "leaderboard.csv", frame.to_csv(index=False))
    write_text_atomic(out / "leaderboard.md", markdown(frame))
    return out / "leaderboard.md"
