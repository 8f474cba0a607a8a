"""A tiny copy of this repository for end-to-end pipeline tests (real git, DVC, generators).

:func:`make_tiny_repo` copies the working tree's files (``git ls-files``: tracked and
untracked-but-not-ignored, so the code under test), drops the recorded results (dvc.lock,
metrics, results, digests: a fresh project), writes a tiny params.yaml (2D Shapes, 2
methods x 2 seeds, 1 epoch, a few dozen episodes; the other envs' datasets, which the
``plots`` stage reads, a handful of frames), and commits it all to a new git repository.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

SOURCE = Path(__file__).resolve().parents[1]
RESULT_DIRS = ("metrics", "results", "digests")

TINY_GENERATE = {
    "shapes": {"train": {"episodes": 4, "steps": 5, "seed": 1},
               "eval": {"episodes": 24, "steps": 10, "seed": 2},
               "limited": {"episodes": 48, "steps": 1, "seed": 3, "actions": "up"}},
    "blocks": {"train": {"episodes": 2, "steps": 2, "seed": 11},
               "eval": {"episodes": 2, "steps": 10, "seed": 12},
               "limited": {"episodes": 2, "steps": 1, "seed": 13, "actions": "up,right,down"}},
    "reacher": {"train": {"episodes": 2, "steps": 2, "seed": 21,
                          "options": {"warmup_steps": 2}},
                "eval": {"episodes": 2, "steps": 10, "seed": 22,
                         "options": {"warmup_steps": 2}},
                "limited": {"episodes": 2, "steps": 2, "seed": 23, "actions": "limited",
                            "options": {"warmup_steps": 2}}},
    "teapot": {"train": {"episodes": 4, "steps": 1, "seed": 31, "actions": "large"},
               "eval": {"episodes": 8, "steps": 1, "seed": 32, "actions": "large",
                        "options": {"hard_negatives": 2, "hard_negative_turns": [30],
                                    "traversals": 2}}},
}


def tiny_params(source_params: Path) -> dict:
    """The repository's params.yaml cut down to the tiny Shapes pipeline."""
    params = yaml.safe_load(source_params.read_text())
    params["profile"] = "default"
    params["seeds"] = [0, 1]
    params["runs"] = [{"env": "shapes", "split": "limited", "method": "sen"},
                      {"env": "shapes", "split": "limited", "method": "cnn"}]
    params["generate"] = TINY_GENERATE
    shapes = params["train"]["shapes"]
    shapes.update(epochs=1, batch_size=16, threads=1)   # 1-thread runs, as the jobs
    params.setdefault("cluster", {})["threads_per_job"] = 1
    shapes["models"] = {"sen": {"embedding_hidden": 4, "encoder_hidden": 8, "transition_hidden": 8},
                        "cnn": {"embedding_hidden": 4, "encoder_hidden": 8, "transition_hidden": 8}}
    return params


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-c", "user.name=senbench-test", "-c",
                          "user.email=test@senbench.invalid", *args], cwd=repo, check=True,
                         capture_output=True, text=True)
    return out.stdout


def make_tiny_repo(dest: Path, source: Path = SOURCE) -> Path:
    """A committed git + DVC repository at ``dest`` holding the tiny pipeline."""
    files = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=source,
                           check=True, capture_output=True).stdout.decode().split("\0")
    dest.mkdir(parents=True, exist_ok=True)
    for rel in filter(None, files):
        src = source / rel
        if not src.is_file() or rel.split("/")[0] in RESULT_DIRS or rel == "dvc.lock":
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    (dest / "params.yaml").write_text(yaml.safe_dump(tiny_params(source / "params.yaml"),
                                                     sort_keys=False))
    if not (dest / ".dvc" / "config").is_file():
        subprocess.run([sys.executable, "-m", "dvc", "init", "-q", "--no-scm"], cwd=dest, check=True)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "tiny pipeline")
    return dest


def stage_env(repo: Path, threads: int) -> dict[str, str]:
    """The environment of a serial ``dvc repro`` comparable with the pipeline's jobs."""
    from benchmark.pipeline.jobs import job_overrides
    return {**os.environ, **job_overrides(repo, threads)}


def dvc(repo: Path, *args: str, threads: int = 1, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo, check=check,
                          capture_output=True, text=True, env=stage_env(repo, threads))


def senbench(repo: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``senbench`` of the code under test (not an installed copy), run in ``repo``."""
    env = {**os.environ, **(env or {})}
    env["PYTHONPATH"] = os.pathsep.join([str(repo)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return subprocess.run([sys.executable, "-m", "benchmark.cli", *args], cwd=repo,
                          capture_output=True, text=True, env=env)


def result_files(repo: Path) -> dict[str, bytes]:
    """Every metrics JSON, table, digest and plot, and the datasets, by relative path."""
    out = {}
    for top in (*RESULT_DIRS, "data"):
        for path in sorted((repo / top).rglob("*")):
            if path.is_file():
                out[str(path.relative_to(repo))] = path.read_bytes()
    return out
