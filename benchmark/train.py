"""Training of any registered world model on a SEN-Bench dataset.

    senbench train --env blocks --method sen --data data/blocks/limited.h5 --seed 0 --out runs/x

The run directory holds ``config.json`` (everything resolved: method, widths, data digest,
optimiser, device), ``checkpoint.pt`` (written every epoch and on interrupt), ``model.pt``
(final weights) and ``dvclive/`` (per-epoch metrics for ``dvc plots``).

Determinism: model initialisation runs under ``torch.random.fork_rng`` seeded with the run
seed (the caller's global RNG state is restored afterwards); every epoch's shuffling and
negative sampling come from a ``torch.Generator`` derived from ``(seed, epoch)`` whose state
is saved with each checkpoint, so a run interrupted mid-epoch and resumed reaches the same
final weights as an uninterrupted one (on CPU, with deterministic algorithms on). A signal
(Ctrl-C, SIGTERM) stops the run between two optimiser steps, never within one (a second
signal stops it at once, without the mid-epoch checkpoint), and the checkpoint keeps the
epoch's partial loss sums, so the resumed epoch's mean loss, and the epoch kept by
``keep: best_loss``, are those of an uninterrupted run.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from collections import OrderedDict
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from tqdm import tqdm

from benchmark.devices import resolve_device
from benchmark.errors import DeferredInterrupt
from benchmark.evaluate import validation_metrics
from benchmark.params import ParamsError, load_params
from benchmark.plugins import load_module
from benchmark.registry import WorldModel, build_model, count_parameters, get_method
from generators.h5format import package_versions
from generators.reader import EpisodeFile, TransitionBatches

TRAIN_KEYS = {"epochs", "batch_size", "lr", "lr_schedule", "amp", "keep", "verify_data",
              "val_episodes", "threads", "models"}
#: ``threads``: torch's intra-op threads of the run (and of its evaluation).  Float results
#: depend on it (one Blocks run with 1 and with 2 threads ends in different weights), so it is
#: a recorded setting, never the machine's core count.  1 by default: the seeds of a row run
#: side by side (:mod:`benchmark.seed_jobs`), which uses the cores better than threads do for
#: models this small (docs/performance.md).
DEFAULTS = {"epochs": 100, "batch_size": 1024, "lr": 5e-4, "lr_schedule": "constant",
            "amp": False, "keep": "best_loss", "verify_data": True, "val_episodes": 200,
            "threads": 1}
LR_SCHEDULES = ("constant", "cosine")
#: mixed precision on CUDA: off (fp32, the default), bf16, or fp16 with a gradient scaler
#: (the paper trained Reacher in fp16); ignored on the CPU (recorded in the run's config)
AMP_DTYPES = {False: None, "bf16": torch.bfloat16, "fp16": torch.float16}
#: which weights model.pt keeps: the epoch of lowest mean training loss (the paper code's
#: sen/train.py: `if avg_loss < best_loss`), or the last epoch
KEEP = ("best_loss", "last")
#: hyper-parameters renamed so that every env uses one name; an old name is an error
RENAMED_HPARAMS = {"embed_hidden": "embedding_hidden", "embed_channels": "embedding_channels",
                   "embed_fields": "embedding_fields", "latent_fields": "latent_dim"}


def learning_rate(settings: dict, step: int, total_steps: int) -> float:
    """Adam's learning rate at optimiser step ``step`` (0-based) of ``total_steps``.

    ``constant`` (the paper's): ``lr`` throughout.  ``cosine``: ``lr * (1 + cos(pi t)) / 2``
    with ``t = step / total_steps``, decaying to 0 over the run; a function of the step
    alone, so a resumed run follows the same schedule.
    """
    lr, schedule = float(settings["lr"]), settings["lr_schedule"]
    if schedule == "constant":
        return lr
    if schedule == "cosine":
        return lr * 0.5 * (1.0 + math.cos(math.pi * step / max(total_steps, 1)))
    raise ValueError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {schedule!r}")


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or belongs to another configuration."""


def train_settings(params: dict, env: str, method: str) -> tuple[dict, dict]:
    """(optimisation settings, model hyper-parameters) of ``train.<env>`` in params."""
    section = (params.get("train") or {}).get(env) or {}
    if not isinstance(section, dict):
        raise ParamsError(f"params: train.{env} must be a mapping")
    unknown = set(section) - TRAIN_KEYS
    if unknown:
        raise ParamsError(f"params: train.{env}: unknown key(s) {', '.join(sorted(unknown))}")
    settings = {**DEFAULTS, **{k: v for k, v in section.items() if k != "models"}}
    hparams = dict((section.get("models") or {}).get(method) or {})
    for old in sorted(set(hparams) & set(RENAMED_HPARAMS)):
        raise ParamsError(f"params: train.{env}.models.{method}: {old!r} was renamed "
                          f"{RENAMED_HPARAMS[old]!r}")
    return settings, hparams


def check_threads(threads: Any) -> int:
    """A thread count: an integer >= 1."""
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an integer >= 1, got {threads!r}")
    return threads


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    state = np.random.SeedSequence(seed, spawn_key=(epoch,)).generate_state(2, np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def config_hash(config: dict) -> str:
    keys = ("env", "method", "seed", "hparams", "settings", "data_digest")
    blob = json.dumps({k: config[k] for k in keys}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _atomic_save(obj: Any, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def sorted_state(model: torch.nn.Module) -> OrderedDict:
    """``model.state_dict()`` with its keys sorted.

    escnn registers some buffers in the iteration order of a set of strings, i.e. of Python's
    per-process string hashing, so the same weights came out in another key order (and other
    bytes) from one process to the next; sorted, the file's bytes depend on the weights only.
    """
    state = model.state_dict()
    ordered = OrderedDict(sorted(state.items()))
    ordered._metadata = getattr(state, "_metadata", None)  # per-module versions, for loading
    return ordered


def load_checkpoint(path: Path) -> dict:
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for a damaged file
        raise CheckpointError(f"{path}: corrupt checkpoint ({type(exc).__name__}); "
                              "delete it to start over") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt or "config_hash" not in ckpt:
        raise CheckpointError(f"{path}: not a SEN-Bench checkpoint; delete it to start over")
    return ckpt


def build_seeded_model(env: str, method: str, hparams: dict, seed: int) -> WorldModel:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_model(method, env, **hparams)


def train(env: str, method: str, data: str | Path, seed: int, out: str | Path,
          settings: dict | None = None, hparams: dict | None = None,
          device: str | None = None, progress: bool = True,
          stop_after_batches: int | None = None, profile: str = "custom",
          plugins: list[str] | None = None, eval_data: str | Path | None = None,
          on_epoch_end: Callable[[dict], None] | None = None) -> dict:
    """Train (or resume) one run; returns the summary written to ``<out>/train.json``.

    With ``eval_data``, every epoch also logs Hits@1 and MRR at 1 step on the first
    ``val_episodes`` episodes of that eval file (``val/...`` in dvclive: validation curves
    for ``dvc plots``); it reads the model in eval mode and changes no weight or RNG state.

    ``on_epoch_end`` is called after every epoch's checkpoint with ``{"epoch", "record"
    (that epoch's history entry), "kept" (the weights the run would keep now: {"model"
    (state dict), "epoch", "loss"})}``; it must only read them (``benchmark.bench_budget``
    validates the kept weights per epoch with it).

    ``stop_after_batches`` simulates an interrupt after that many optimiser steps in this
    call (used by the tests of resumption).
    """
    plugins = list(plugins or [])
    for module in plugins:
        load_module(module)
    get_method(method, env)  # unknown names fail before any work
    settings = {**DEFAULTS, **(settings or {})}
    if settings["lr_schedule"] not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, "
                         f"got {settings['lr_schedule']!r}")
    if isinstance(settings["amp"], bool) and settings["amp"] is not False or \
            settings["amp"] not in AMP_DTYPES:
        raise ValueError(f"amp must be false, bf16 or fp16, got {settings['amp']!r}")
    if settings["keep"] not in KEEP:
        raise ValueError(f"keep must be one of {', '.join(KEEP)}, got {settings['keep']!r}")
    check_threads(settings["threads"])
    hparams = dict(hparams or {})
    if isinstance(settings["val_episodes"], bool) or not isinstance(settings["val_episodes"], int) \
            or settings["val_episodes"] < 0:
        raise ValueError(f"val_episodes must be an integer >= 0, got {settings['val_episodes']!r}")
    dev = resolve_device(device)
    val_ds = (EpisodeFile(eval_data, expect_env=env)
              if eval_data is not None and settings["val_episodes"] > 0 else None)
    out = Path(out)
    with EpisodeFile(data, expect_env=env) as ds:
        if settings["verify_data"]:
            ds.verify()
        config = {
            "env": env, "method": method, "seed": int(seed), "hparams": hparams,
            "settings": settings, "data": str(data), "data_digest": ds.digest,
            "data_config": ds.config, "data_split": str(ds.attrs["split"]),
            "obs_shape": list(ds.obs_shape), "profile": profile, "plugins": plugins,
        }
        batches = TransitionBatches(ds, settings["batch_size"], device=dev)
    out.mkdir(parents=True, exist_ok=True)
    model = build_seeded_model(env, method, hparams, seed).to(dev)
    optimiser = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    config.update(parameters=count_parameters(model), device=str(dev),
                  versions=package_versions(), objective=model.objective)
    chash = config_hash(config)
    ckpt_path = out / "checkpoint.pt"
    start_epoch, start_batch, gen_state, history = 0, 0, None, []
    partial_totals = None  # the loss sums of the resumed epoch's batches before the interrupt
    amp_dtype = AMP_DTYPES[settings["amp"]] if dev.type == "cuda" else None
    scaler = torch.amp.GradScaler("cuda") if amp_dtype is torch.float16 else None
    best = {"loss": math.inf, "epoch": 0, "model": None}   # the kept weights (keep: best_loss)
    if ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path)
        if ckpt["config_hash"] == chash:
            model.load_state_dict(ckpt["model"])
            optimiser.load_state_dict(ckpt["optimiser"])
            start_epoch, start_batch = ckpt["epoch"], ckpt["batch"]
            gen_state, history = ckpt["generator"], ckpt["history"]
            partial_totals = ckpt.get("totals")
            best = ckpt.get("best", best)
            if scaler is not None and ckpt.get("scaler") is not None:
                scaler.load_state_dict(ckpt["scaler"])
            if progress:
                print(f"resuming {out} at epoch {start_epoch}, batch {start_batch}",
                      file=sys.stderr)
        elif progress:
            print(f"{ckpt_path} belongs to another configuration; starting over",
                  file=sys.stderr)
    (out / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")

    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(settings["threads"])
    live = _live(out, resume=start_epoch > 0 or start_batch > 0)
    steps_done = 0
    resume_point = None  # (epoch, next batch, generator state) after the last step
    stop = DeferredInterrupt()
    try:
        with stop:
            for epoch in range(start_epoch, settings["epochs"]):
                gen = epoch_generator(seed, epoch)
                order = batches.shuffled_order(gen)
                if gen_state is not None:
                    gen.set_state(gen_state)
                    gen_state = None
                model.train()
                totals: dict[str, float] = dict(partial_totals or {})
                counted_from = 0 if partial_totals is not None else start_batch
                partial_totals = None
                n_batches = len(batches)
                t0 = time.perf_counter()
                bar = tqdm(range(start_batch, n_batches), desc=f"{env}/{method} epoch {epoch + 1}"
                           f"/{settings['epochs']}", disable=not progress, leave=False,
                           file=sys.stderr, mininterval=1.0)
                for b, batch in zip(bar, batches.from_order(order, start_batch)):
                    stop.check()   # between steps: resume_point is exactly the model's state
                    if stop_after_batches is not None and steps_done >= stop_after_batches:
                        raise KeyboardInterrupt
                    for group in optimiser.param_groups:
                        group["lr"] = learning_rate(settings, epoch * n_batches + b,
                                                    settings["epochs"] * n_batches)
                    amp = (torch.autocast("cuda", dtype=amp_dtype) if amp_dtype is not None
                           else nullcontext())
                    with amp:
                        loss, logs = model.loss(batch["obs"], batch["action"], batch["next_obs"],
                                                generator=gen)
                    if not torch.isfinite(loss):
                        raise RuntimeError(f"loss became {float(loss)} at epoch {epoch + 1}")
                    optimiser.zero_grad(set_to_none=True)
                    if scaler is not None:
                        scaler.scale(loss).backward()
                        scaler.step(optimiser)
                        scaler.update()
                    else:
                        loss.backward()
                        optimiser.step()
                    steps_done += 1
                    logs = {"loss": float(loss.detach()), **logs}
                    for k, v in logs.items():
                        totals[k] = totals.get(k, 0.0) + v
                    bar.set_postfix(loss=f"{logs['loss']:.4f}", refresh=False)
                    # state after this batch, in case the next one is interrupted
                    resume_point = (epoch, b + 1, gen.get_state())
                bar.close()
                record = {k: v / max(n_batches - counted_from, 1) for k, v in totals.items()}
                done = n_batches - start_batch
                record.update(epoch=epoch + 1, seconds=time.perf_counter() - t0,
                              transitions_per_s=done * batches.batch_size
                              / max(time.perf_counter() - t0, 1e-9))
                history.append(record)
                start_batch, resume_point = 0, None
                weights = sorted_state(model)
                if settings["keep"] == "last" or record["loss"] < best["loss"]:
                    best = {"loss": record["loss"], "epoch": epoch + 1,
                            "model": {k: v.detach().clone() for k, v in weights.items()}}
                _atomic_save({"model": weights, "optimiser": optimiser.state_dict(),
                              "epoch": epoch + 1, "batch": 0, "generator": None,
                              "history": history, "config_hash": chash, "best": best,
                              "scaler": scaler.state_dict() if scaler else None}, ckpt_path)
                val = ({} if val_ds is None else
                       validation_metrics(model, val_ds, dev, settings["val_episodes"]))
                _log_epoch(live, record, val)
                if on_epoch_end is not None:
                    on_epoch_end({"epoch": epoch + 1, "record": record, "kept": best})
                if progress:
                    print(f"{env}/{method} seed {seed} epoch {epoch + 1}/{settings['epochs']}: "
                          f"loss {record['loss']:.4f} ({record['transitions_per_s']:.0f} "
                          "transitions/s)", file=sys.stderr)
    except KeyboardInterrupt:
        if resume_point is not None and not stop.forced:
            # mid-epoch, stopped between two steps (a deferred signal, or the tests'
            # stop_after_batches): save exactly where we are, with the epoch's loss sums so far
            e, nb, state = resume_point
            _atomic_save({"model": sorted_state(model), "optimiser": optimiser.state_dict(),
                          "epoch": e, "batch": nb, "generator": state, "totals": dict(totals),
                          "history": history, "config_hash": chash, "best": best,
                          "scaler": scaler.state_dict() if scaler else None}, ckpt_path)
        raise
    finally:
        torch.use_deterministic_algorithms(deterministic)
        torch.set_num_threads(threads)
        _end_live(live)
        if val_ds is not None:
            val_ds.close()
    kept = best["model"] if best["model"] is not None else sorted_state(model)
    summary = {"config_hash": chash, "epochs": settings["epochs"], "history": history,
               "parameters": config["parameters"], "kept_epoch": best["epoch"],
               "kept_loss": best["loss"], "keep": settings["keep"]}
    _atomic_save({"model": kept, "config": config, "kept_epoch": best["epoch"]},
                 out / "model.pt")
    (out / "train.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _live(out: Path, resume: bool):
    try:
        from dvclive import Live
    except ImportError:  # dvclive is a dependency; stay usable without it
        return None
    return Live(dir=str(out / "dvclive"), resume=resume, save_dvc_exp=False, dvcyaml=None,
                report=None)


#: the file dvclive writes at every step for DVC's VS Code extension, in the DVC root's
#: ``.dvc/tmp/exps/run/`` (one file per repository, not per run)
DVCLIVE_SIGNAL_FILE = "DVCLIVE_STEP_COMPLETED"


def _end_live(live) -> None:
    """``live.end()``, where another run ending at the same moment is not an error.

    Every dvclive logger in a repository shares one signal file, and ``Live.end()`` removes
    it last with a check-then-remove (dvclive 3.49). Two runs of one repository ending
    together (the seeds of ``--seeds-from-params``, or two training stages side by side)
    can both see it and one then fails with ENOENT after its metrics were written. Only
    that error on that file is tolerated."""
    if live is None:
        return
    try:
        live.end()
    except FileNotFoundError as exc:
        if Path(exc.filename or "").name != DVCLIVE_SIGNAL_FILE:
            raise


def _log_epoch(live, record: dict, val: dict) -> None:
    if live is None:
        return
    for key, value in record.items():
        if key != "epoch":
            live.log_metric(f"train/{key}", value)
    for key, value in val.items():
        live.log_metric(f"val/{key}", value)
    live.next_step()


def train_from_params(env: str, method: str, data: str | Path, seed: int, out: str | Path,
                      params_file: str | Path = "params.yaml", profile: str | None = None,
                      device: str | None = None, progress: bool = True,
                      eval_data: str | Path | None = None) -> dict:
    params = load_params(params_file, profile)
    settings, hparams = train_settings(params, env, method)
    return train(env, method, data, seed, out, settings, hparams, device=device,
                 progress=progress, profile=params["profile"], plugins=params["plugins"],
                 eval_data=eval_data)
