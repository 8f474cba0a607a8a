"""Benchmark: how robust a training budget is over seeds, on a held-out validation file.

Run as::

    python -m benchmark.bench_budget --env blocks --method sen --data data/blocks/limited.h5 \\
        --val val.h5 --seeds 0-11 --epochs 12 --set lr=0.002 --set batch_size=64 \\
        --metric hits@1_10step --threshold 80 --out budget-blocks

Each seed trains exactly as the pipeline's ``senbench train`` does (:func:`benchmark.train.train`
with the params file's ``train.<env>`` settings, changed by ``--set``), one process per seed,
``--jobs`` at a time. After every epoch the weights the run would keep (``keep: best_loss``:
those of the lowest training loss so far) are evaluated on the validation file with the
registered metrics named by ``--metric``, so one run of E epochs gives the result of every
budget of 1..E epochs (with a constant learning rate, the first e epochs of a longer run are
the run of e epochs). Never choose on the eval file: the budget is then chosen on the numbers
the tables report. A ``--val`` file that is the eval set (its ``split`` attribute is ``eval``,
or its root seed is the eval split's in the params file) is refused, unless ``--on-eval``
asks for a report that chooses nothing (for example the eval-set result of a budget the
default profile cannot afford, docs/performance.md s. 4); the report then says so, and
``summary.json`` has ``"on_eval": true``.

The report gives, per epoch, each seed's value, the mean and, for the claims that the tables
check on a mean over ``--subset`` seeds (3 in the default profile), the fraction of all
``--subset``-seed subsets whose mean meets ``--threshold``: the chance that a claim holds for
seeds one did not try. Per-seed records go to ``<out>/seed<S>.jsonl``, the table to
``<out>/summary.json``.
"""
from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
from pathlib import Path

import yaml

from benchmark.seed_jobs import parse_seeds, run_seed_jobs


def subset_pass_rate(values: list[float], k: int, threshold: float) -> float:
    """The fraction of the ``k``-element subsets of ``values`` whose mean is >= ``threshold``."""
    if not 1 <= k <= len(values):
        raise ValueError(f"subsets of {k} need at least {k} values, got {len(values)}")
    subsets = list(itertools.combinations(values, k))
    return sum(sum(s) / k >= threshold for s in subsets) / len(subsets)


def parse_sets(items: list[str]) -> dict:
    """``["lr=0.002", "batch_size=64"]`` -> ``{"lr": 0.002, "batch_size": 64}`` (YAML values)."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set: expected KEY=VALUE, got {item!r}")
        out[key] = yaml.safe_load(value)
    return out


def check_held_out(val: str, env: str, params: dict, on_eval: bool) -> None:
    """Refuse a ``val`` file that is the eval set of ``env`` (its ``split`` attribute, or the
    root seed of ``generate.<env>.eval`` in ``params``), unless ``on_eval``; read with the
    project's reader, so a file of another env or not a dataset fails here too."""
    from generators.reader import EpisodeFile
    with EpisodeFile(val, expect_env=env) as ds:
        split, seed = ds.attrs.get("split"), ds.attrs.get("root_seed")
    eval_split = ((params.get("generate") or {}).get(env) or {}).get("eval") or {}
    eval_seed = eval_split.get("seed")
    same_seed = seed is not None and eval_seed is not None and int(seed) == int(eval_seed)
    if (split == "eval" or same_seed) and not on_eval:
        why = ("its split is 'eval'" if split == "eval"
               else f"its root seed {seed} is the eval split's")
        raise ValueError(f"{val} is the eval set ({why}): a budget chosen on it tunes the "
                         f"claims the tables report; generate a held-out file (senbench "
                         f"generate --env {env} --split val --seed <another seed>), or pass "
                         f"--on-eval for a report that chooses nothing")


def probe_seed(env: str, method: str, data: str, val: str, seed: int, out: Path,
               settings: dict, hparams: dict, metric_keys: list[str]) -> None:
    """Train one seed as the pipeline does; after every epoch evaluate the kept weights on
    ``val`` and append ``{"epoch", "loss", "kept_epoch", <metric>: value}`` to
    ``<out>.jsonl`` (the run's own directory is ``out``)."""
    from benchmark.evaluate import evaluate
    from benchmark.train import build_seeded_model, train
    from generators.reader import EpisodeFile

    log_path = out.with_suffix(".jsonl")
    log_path.unlink(missing_ok=True)
    if out.exists():   # --force: never resume from another budget's checkpoint
        shutil.rmtree(out)

    def validate(epoch_end: dict) -> None:
        state = epoch_end["kept"]["model"]
        device = next(iter(state.values())).device   # the run's device
        kept = build_seeded_model(env, method, hparams, seed).to(device)
        kept.load_state_dict(state)
        values = evaluate(kept.eval(), val_ds, device, keys=metric_keys)
        missing = sorted(set(metric_keys) - set(values))
        if missing:
            raise ValueError(f"{', '.join(missing)} not computed for {env} on {val}; "
                             "see `senbench describe` for the metrics of each env")
        record = {"seed": seed, "epoch": epoch_end["epoch"], "loss": epoch_end["record"]["loss"],
                  "seconds": epoch_end["record"]["seconds"],
                  "kept_epoch": epoch_end["kept"]["epoch"], **values}
        with open(log_path, "a") as f:
            f.write(json.dumps(record) + "\n")

    with EpisodeFile(val, expect_env=env) as val_ds:
        train(env, method, data, seed, out, settings=settings, hparams=hparams,
              progress=False, on_epoch_end=validate)


def summarise(out: Path, seeds: list[int], metric: str, threshold: float, subset: int) -> dict:
    """Per epoch: each seed's ``metric``, the mean, the minimum and the subset pass rate."""
    per_seed = {}
    for seed in seeds:
        lines = (out / f"seed{seed}.jsonl").read_text().splitlines()
        per_seed[seed] = {r["epoch"]: r[metric] for r in map(json.loads, lines)}
    epochs = sorted(set.intersection(*(set(v) for v in per_seed.values())))
    rows = []
    for e in epochs:
        values = [per_seed[s][e] for s in seeds]
        rows.append({"epoch": e, "values": values, "mean": sum(values) / len(values),
                     "min": min(values),
                     "subset_pass_rate": subset_pass_rate(values, subset, threshold)})
    return {"metric": metric, "threshold": threshold, "subset": subset, "seeds": seeds,
            "epochs": rows}


def _format(summary: dict) -> str:
    seeds = summary["seeds"]
    head = (f"{'epoch':>5} " + " ".join(f"{'s' + str(s):>6}" for s in seeds)
            + f" {'mean':>6} {'min':>6}  {summary['subset']}-seed subsets with mean >= "
            f"{summary['threshold']:g}")
    where = ("the EVAL file (a report: choose nothing from it)" if summary.get("on_eval")
             else "the validation file")
    lines = [f"{summary['metric']} of the kept weights on {where}", head]
    for r in summary["epochs"]:
        lines.append(f"{r['epoch']:>5} " + " ".join(f"{v:6.1f}" for v in r["values"])
                     + f" {r['mean']:6.1f} {r['min']:6.1f}  {r['subset_pass_rate']:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--method", required=True)
    parser.add_argument("--data", required=True, help="the training file")
    parser.add_argument("--val", required=True, help="a held-out validation file (not eval)")
    parser.add_argument("--on-eval", action="store_true",
                        help="allow --val to be the eval set, for a report that chooses "
                             "nothing (it says so)")
    parser.add_argument("--seeds", default="0-5", help="e.g. 0-11 or 0,3,5")
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a train setting other than the params file's, e.g. lr=0.002")
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--metric", default="hits@1_10step")
    parser.add_argument("--threshold", type=float, default=80.0)
    parser.add_argument("--subset", type=int, default=3, help="seeds per claim's mean")
    parser.add_argument("--jobs", type=int, default=2, help="seeds at once, one process each")
    parser.add_argument("--out", required=True)
    parser.add_argument("--force", action="store_true", help="replace an existing --out")
    parser.add_argument("--one-seed", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        from benchmark.params import load_params
        from benchmark.train import train_settings
        seeds = parse_seeds(args.seeds)
        overrides = parse_sets(args.set)
        if args.epochs < 1 or args.jobs < 1 or args.subset < 1:
            raise ValueError("--epochs, --jobs and --subset must be >= 1")
        if args.subset > len(seeds):
            raise ValueError(f"--subset {args.subset} needs at least {args.subset} seeds, "
                             f"got {len(seeds)}")
        params = load_params(args.params)
        settings, hparams = train_settings(params, args.env, args.method)
        unknown = set(overrides) - set(settings)
        if unknown:
            raise ValueError(f"--set: unknown train setting(s) {', '.join(sorted(unknown))}")
        settings.update(overrides, epochs=args.epochs)
        for path in (args.data, args.val):
            if not Path(path).is_file():
                raise ValueError(f"no such file: {path}")
        check_held_out(args.val, args.env, params, args.on_eval)
        if (args.one_seed is None and not args.force and Path(args.out).exists()
                and any(Path(args.out).iterdir())):
            raise ValueError(f"{args.out} exists; pass --force to replace it")
    except (ValueError, OSError) as exc:
        raise SystemExit(f"bench_budget: {exc}")
    out = Path(args.out)
    if args.one_seed is not None:
        probe_seed(args.env, args.method, args.data, args.val, args.one_seed,
                   out / f"seed{args.one_seed}", settings, hparams, [args.metric])
        return
    out.mkdir(parents=True, exist_ok=True)
    argv = list(argv if argv is not None else sys.argv[1:])
    try:   # each seed in a fresh `python -m benchmark.bench_budget ... --one-seed S`
        run_seed_jobs([(seed, [*argv, "--one-seed", str(seed)]) for seed in seeds], args.jobs,
                      "bench_budget", module="benchmark.bench_budget")
    except RuntimeError as exc:
        raise SystemExit(f"bench_budget: {exc}") from None
    summary = summarise(out, seeds, args.metric, args.threshold, args.subset)
    summary.update(env=args.env, method=args.method, data=args.data, val=args.val,
                   on_eval=args.on_eval, settings=settings)
    tmp = out / "summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2) + "\n")
    tmp.replace(out / "summary.json")
    print(_format(summary))


if __name__ == "__main__":
    main()
