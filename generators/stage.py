"""DVC stage ``generate@<env>``: every split of one environment, as params.yaml says.

    python -m generators.stage --env shapes --out data/shapes [--params params.yaml]
                               [--profile paper] [--digests digests/paper/shapes.json]

writes ``<out>/<split>.h5`` for each split of ``generate.<env>`` and, with
``--digests FILE``, a small JSON of split -> SHA-256 that the repository commits,
so anyone who regenerates a dataset can compare checksums.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from benchmark.errors import run_reporting_errors
from benchmark.params import ParamsError, load_params, section
from benchmark.plugins import load_module
from generators.generate import generate
from generators.h5format import write_text_atomic
from generators.registry import get_env

SPLIT_KEYS = {"episodes", "steps", "seed", "actions", "options"}


def generate_env(env: str, params: dict, out_dir: str | Path, workers: int = 1,
                 progress: bool = True, digests_file: str | Path | None = None,
                 ) -> dict[str, str]:
    """Generate all splits of ``env`` into ``out_dir``; returns split -> digest."""
    spec = get_env(env)  # unknown env -> one-line error before anything is written
    splits = (params.get("generate") or {}).get(env)
    if splits is None:  # no section in params.yaml: the env's own default splits
        splits = {name: dict(cfg) for name, cfg in spec.default_splits.items()}
    if not isinstance(splits, dict) or not splits:
        raise ParamsError(f"params: generate.{env} must map split names to settings")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    digests = {}
    for split, cfg in splits.items():
        unknown = set(cfg) - SPLIT_KEYS
        if unknown:
            raise ParamsError(f"params: generate.{env}.{split}: unknown key(s) "
                              f"{', '.join(sorted(unknown))}")
        digests[split] = generate(env, split, section(cfg, "episodes"), section(cfg, "steps"),
                                  section(cfg, "seed"), out_dir / f"{split}.h5",
                                  actions=cfg.get("actions"), options=cfg.get("options") or {},
                                  workers=workers, force=True, progress=progress)
    if digests_file is not None:
        write_text_atomic(digests_file, json.dumps(digests, indent=2, sort_keys=True) + "\n")
    return digests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--digests", default=None, help="write split -> SHA-256 JSON here")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--profile", default=None, help="default: params.yaml's `profile`")
    args = parser.parse_args(argv)

    def run() -> None:
        params = load_params(args.params, args.profile)
        for module in params["plugins"]:   # envs registered outside the package
            load_module(module)
        for split, digest in generate_env(args.env, params, args.out, args.workers,
                                          digests_file=args.digests).items():
            print(f"{digest}  {args.out}/{split}.h5")
    return run_reporting_errors("generate", run)


if __name__ == "__main__":
    sys.exit(main())
