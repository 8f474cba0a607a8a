"""The ``senbench`` command: generate, verify, describe, train, evaluate, analyse.

Each sub-command is a thin wrapper over a documented function; errors the user can
fix (bad names, bad files, bad parameters) print one line and exit with status 2.
"""
from __future__ import annotations

import argparse
import json
import sys

from benchmark.errors import run_reporting_errors
from benchmark.plugins import load_module
from generators.registry import env_names


def _cmd_generate(args: argparse.Namespace) -> None:
    from generators.generate import generate, parse_options
    digest = generate(args.env, args.split, args.episodes, args.steps, args.seed, args.out,
                      actions=args.actions, options=parse_options(args.set),
                      workers=args.workers, force=args.force, progress=not args.quiet)
    print(f"{digest}  {args.out}")


def _cmd_verify(args: argparse.Namespace) -> None:
    from generators.digests import check_committed_digest
    from generators.reader import EpisodeFile
    for path in args.files:
        with EpisodeFile(path) as ds:
            digest = ds.verify()
            if args.profile is not None:
                source = check_committed_digest(path, ds.env, str(ds.attrs["split"]), digest,
                                                args.profile, args.digests)
                print(f"{digest}  {path}  (= {source})")
            else:
                print(f"{digest}  {path}")


def _cmd_describe(args: argparse.Namespace) -> None:
    from benchmark.describe import describe
    print(json.dumps(describe(args.env, args.method, args.params, args.profile), indent=2))


def _seeds(args: argparse.Namespace, **templates: str | None) -> list[int]:
    """The seeds of a train/evaluate command: ``--seed`` or the params file's ``seeds``."""
    from benchmark.seed_jobs import check_seeds
    if args.seeds_from_params:
        from benchmark.params import load_params
        seeds = load_params(args.params, args.profile)["seeds"]
    else:
        seeds = args.seed
    return check_seeds(seeds, **templates)


def _seeds_at_once(args: argparse.Namespace, seeds: list[int]) -> int:
    """``--jobs``; else, with ``--seeds-from-params``, the params file's
    ``cluster.seeds_at_once``; else every seed at once."""
    if args.jobs is not None:
        return args.jobs
    if args.seeds_from_params:
        from benchmark.pipeline.settings import load_settings
        at_once = load_settings(args.params)["seeds_at_once"]
        if at_once is not None:
            return at_once
    return len(seeds)


def _load_methods() -> None:
    from benchmark.registry import load_builtin_methods
    load_builtin_methods()


# what each seed's run of train / evaluate imports (torch, escnn and the models, about 3.5 s):
# imported once by the command, whose seeds' processes are then forks of it
# (benchmark/seed_jobs.py); torch._dynamo is imported by Adam's first step
_TRAIN_PRELOAD = ("benchmark.train", "torch._dynamo", "dvclive", _load_methods)
_EVALUATE_PRELOAD = ("benchmark.evaluate", _load_methods)


def _load_words(args: argparse.Namespace) -> list[str]:
    """``--load M`` for every plugin module of this command, for its per-seed processes."""
    return [word for module in args.load for word in ("--load", module)]


def _optional(flags: dict[str, object]) -> list[str]:
    """Command-line words of the given options: values, and flags that are on."""
    words: list[str] = []
    for flag, value in flags.items():
        if value is True:
            words.append(flag)
        elif value not in (None, False):
            words += [flag, str(value)]
    return words


def _cmd_train(args: argparse.Namespace) -> None:
    from benchmark.seed_jobs import run_seed_jobs, seed_path
    seeds = _seeds(args, out=args.out)
    if len(seeds) == 1:
        from benchmark.allocator import keep_freed_memory
        from benchmark.train import train_from_params
        keep_freed_memory()
        train_from_params(args.env, args.method, args.data, seeds[0],
                          seed_path(args.out, seeds[0]), params_file=args.params,
                          profile=args.profile, device=args.device, progress=not args.quiet,
                          eval_data=args.eval_data)
        return
    jobs = [(seed, [*_load_words(args), "train", "--env", args.env, "--method", args.method,
                    "--data", args.data, "--seed", str(seed), "--out", seed_path(args.out, seed),
                    *_optional({"--params": args.params, "--profile": args.profile,
                                "--device": args.device, "--eval-data": args.eval_data,
                                "--quiet": args.quiet})])
            for seed in seeds]
    run_seed_jobs(jobs, _seeds_at_once(args, seeds), f"train {args.env}/{args.method}",
                  preload=_TRAIN_PRELOAD)


def _cmd_evaluate(args: argparse.Namespace) -> None:
    from benchmark.seed_jobs import run_seed_jobs, seed_path
    if args.seed is None and not args.seeds_from_params:
        for name, value in (("run", args.run), ("out", args.out), ("summary", args.summary)):
            if value is not None and "{seed}" in value:
                raise ValueError(f"--{name} {value!r} has a {{seed}} field: give --seed or "
                                 "--seeds-from-params")
        seeds = None
    else:
        seeds = _seeds(args, run=args.run, out=args.out, summary=args.summary)
    if seeds is None or len(seeds) == 1:
        from benchmark.allocator import keep_freed_memory
        from benchmark.evaluate import evaluate_run

        def fill(path: str | None) -> str | None:
            return path if path is None or seeds is None else seed_path(path, seeds[0])
        keep_freed_memory()
        metrics = evaluate_run(fill(args.run), args.data, fill(args.out), device=args.device,
                               summary=fill(args.summary))
        if not args.quiet:
            print(json.dumps(metrics, indent=2))
        return
    jobs = [(seed, [*_load_words(args), "evaluate", "--run", seed_path(args.run, seed),
                    "--data", args.data, "--out", seed_path(args.out, seed), "--quiet",
                    *_optional({"--summary": args.summary and seed_path(args.summary, seed),
                                "--device": args.device})])
            for seed in seeds]
    run_seed_jobs(jobs, _seeds_at_once(args, seeds), f"evaluate {args.run}",
                  preload=_EVALUATE_PRELOAD)


def _cmd_analyse(args: argparse.Namespace) -> None:
    from benchmark.analyse import analyse
    for path in analyse(args.metrics, args.out, params_file=args.params):
        print(path)


def _env_help() -> str:
    """The registered envs, one phrase each, for ``--env``'s help (from the env registry)."""
    from generators.registry import get_env
    parts = []
    for name in env_names():
        spec = get_env(name)
        parts.append(f"{name} ({spec.env_id}, {spec.symmetry.group})")
    return "; ".join(parts)


def _load_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--load", action="append", default=[], metavar="MODULE",
                        help="import a module (pkg.mod or file.py) that registers extra envs, "
                             "methods or metrics (repeatable)")
    return parser


def _cmd_leaderboard(args: argparse.Namespace) -> None:
    from benchmark.leaderboard import build_leaderboard
    print(build_leaderboard(args.metrics, args.submissions, args.out))


def _add_seed_options(parser: argparse.ArgumentParser, required: bool) -> None:
    seeds = parser.add_mutually_exclusive_group(required=required)
    seeds.add_argument("--seed", type=int, nargs="+", metavar="SEED",
                       help="one seed, or several: each in its own process, side by side "
                            "(the paths then contain {seed})")
    seeds.add_argument("--seeds-from-params", action="store_true",
                       help="the params file's `seeds` (what dvc.yaml's stages use)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="with several seeds: how many run at once (default: params.yaml's "
                             "cluster.seeds_at_once with --seeds-from-params, else all); each "
                             "uses its run's own `threads` setting, so the bytes do not "
                             "depend on this")


def build_parser() -> argparse.ArgumentParser:
    """The full parser; the env names in its help come from the registry (plugins loaded
    first).  An unknown env is reported by the registry's lookup, in one line."""
    parser = argparse.ArgumentParser(prog="senbench", description=__doc__.splitlines()[0],
                                     parents=[_load_parser()])
    sub = parser.add_subparsers(dest="command", required=True)
    envs = env_names()

    g = sub.add_parser("generate", help="generate one dataset split (HDF5)")
    g.add_argument("--env", required=True, metavar="ENV", help=_env_help())
    g.add_argument("--split", required=True, help="name stored in the file (train, eval, ...)")
    g.add_argument("--episodes", type=int, required=True)
    g.add_argument("--steps", type=int, required=True, help="recorded steps per episode")
    g.add_argument("--seed", type=int, required=True, help="root seed of the file")
    g.add_argument("--actions", default=None,
                   help="the env's action subset (its make_config says which), e.g. "
                        "'up,right,down' on the grid worlds")
    g.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="env-specific option (repeatable), e.g. hard_negatives=10")
    g.add_argument("--workers", type=int, default=1)
    g.add_argument("--out", required=True)
    g.add_argument("--force", action="store_true", help="replace an existing output file")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.set_defaults(func=_cmd_generate)

    v = sub.add_parser("verify", help="recompute and check the digest of dataset files")
    v.add_argument("files", nargs="+")
    v.add_argument("--profile", default=None, choices=("default", "paper"),
                   help="also compare with this repository's committed digest of the file's "
                        "env and split for that profile (digests/<env>.json, "
                        "digests/paper/<env>.json)")
    v.add_argument("--digests", default="digests", help="the committed digests' folder")
    v.set_defaults(func=_cmd_verify)

    d = sub.add_parser("describe", help="parameter count and representations of a model")
    d.add_argument("--env", required=True, metavar="ENV", help=f"one of {', '.join(envs)}")
    d.add_argument("--method", required=True)
    d.add_argument("--params", default="params.yaml")
    d.add_argument("--profile", default=None, help="params profile (default: the file's own)")
    d.set_defaults(func=_cmd_describe)

    t = sub.add_parser("train", help="train one (env, method) for one or more seeds")
    t.add_argument("--env", required=True, metavar="ENV", help=f"one of {', '.join(envs)}")
    t.add_argument("--method", required=True)
    t.add_argument("--data", required=True)
    _add_seed_options(t, required=True)
    t.add_argument("--out", required=True, help="run directory (checkpoints, config, logs); "
                   "with several seeds it contains {seed}, e.g. runs/shapes-limited-sen/seed{seed}")
    t.add_argument("--params", default="params.yaml")
    t.add_argument("--profile", default=None)
    t.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    t.add_argument("--eval-data", default=None, metavar="H5",
                   help="log Hits@1 / MRR on a few of its episodes every epoch (dvclive val/)")
    t.add_argument("--quiet", action="store_true")
    t.set_defaults(func=_cmd_train)

    e = sub.add_parser("evaluate", help="metrics of trained runs on an eval file")
    e.add_argument("--run", required=True, help="run directory ({seed} in it with several seeds)")
    e.add_argument("--data", required=True)
    e.add_argument("--out", required=True, help="metrics JSON")
    e.add_argument("--summary", default=None, metavar="JSON",
                   help="also write a compact summary (1-step Hits@1, EE(S)) for dvc exp show")
    _add_seed_options(e, required=False)
    e.add_argument("--params", default="params.yaml", help="for --seeds-from-params")
    e.add_argument("--profile", default=None, help=argparse.SUPPRESS)
    e.add_argument("--device", default=None)
    e.add_argument("--quiet", action="store_true", help="do not print the metrics")
    e.set_defaults(func=_cmd_evaluate)

    a = sub.add_parser("analyse", help="build the result tables from metrics JSON files")
    a.add_argument("--metrics", required=True, help="directory searched for metrics JSON files")
    a.add_argument("--out", default="results")
    a.add_argument("--params", default="params.yaml")
    a.set_defaults(func=_cmd_analyse)

    lb = sub.add_parser("leaderboard", help="this repository's results and submitted ones "
                        "(docs/submitting.md)")
    lb.add_argument("--metrics", default="metrics", help="this repository's metrics JSON folder")
    lb.add_argument("--submissions", nargs="*", default=[], metavar="FOLDER",
                    help="submission folders (manifest.json + metrics JSON files)")
    lb.add_argument("--out", default="results")
    lb.set_defaults(func=_cmd_leaderboard)

    from benchmark.pipeline.cli import add_parser as add_pipeline_parser
    add_pipeline_parser(sub)  # senbench pipeline run (benchmark/pipeline/)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    loads, _ = _load_parser().parse_known_args(argv)

    def load() -> None:   # plugins first, so that their envs are valid choices
        for module in loads.load:
            load_module(module)
    code = run_reporting_errors("senbench", load)
    if code:
        return code
    args = build_parser().parse_args(argv)
    return run_reporting_errors("senbench", lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())
