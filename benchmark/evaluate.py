"""Evaluation of a trained run on an eval file: every registered metric that applies.

    senbench evaluate --run runs/blocks-limited-sen/seed0 --data data/blocks/eval.h5 \\
        --out metrics/blocks-limited-sen/seed0.json

Latents are computed in batches (images read lazily from the HDF5 file and converted to
float on the device one batch at a time) and handed to :mod:`benchmark.metrics`. The
result JSON holds the metrics next to the run's resolved config and the digests of the
training and eval files, so tables can be built from these files alone.
"""
from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Collection

import numpy as np
import torch

from benchmark import metrics as M
from benchmark.plugins import load_module
from benchmark.registry import WorldModel, build_model
from benchmark.devices import resolve_device
from generators.h5format import write_text_atomic
from generators.registry import get_env
from generators.reader import EpisodeFile, stack_frames, to_float

EVAL_BATCH = 256
DIE_SEED = 0  # the random pairing of DIE is fixed, so every method sees the same pairs


def load_run(run: str | Path, device: torch.device) -> tuple[WorldModel, dict]:
    """The trained model of a run directory (``model.pt`` written by training)."""
    path = Path(run) / "model.pt"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no trained model (run `senbench train` first)")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=False)
        config = blob["config"]
        for module in config.get("plugins", []):  # methods registered outside the package
            load_module(module)
        model = build_model(config["method"], config["env"], **config["hparams"])
        model.load_state_dict(blob["model"])
        config = {**config, "kept_epoch": blob.get("kept_epoch")}
    except (KeyError, RuntimeError, EOFError, OSError) as exc:
        raise ValueError(f"{path}: unreadable model ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    return model.to(device).eval(), config


class Encoder:
    """Runs a model over the observations of a file in batches, without gradients."""

    def __init__(self, model: WorldModel, ds: EpisodeFile, device: torch.device):
        self.model, self.ds, self.device = model, ds, device

    def _obs(self, key: str, t: int, episodes: slice) -> torch.Tensor:
        k = self.ds.frame_stack
        frames = self.ds.cached_array(key)[episodes, t:t + k]   # [B, k, H, W, C]
        b = frames.shape[0]
        obs = stack_frames(frames, np.arange(b), np.zeros(b, dtype=np.int64), k)
        return to_float(torch.from_numpy(np.ascontiguousarray(obs)).to(self.device))

    @torch.no_grad()
    def run(self, fn, *keys_and_t, n: int | None = None) -> list[torch.Tensor]:
        """Apply ``fn(obs...)`` (one obs per (key, t) pair) batch by batch and concatenate."""
        n = self.ds.n_episodes if n is None else n
        outs: list[list[torch.Tensor]] = []
        for start in range(0, n, EVAL_BATCH):
            sl = slice(start, min(start + EVAL_BATCH, n))
            obs = [self._obs(key, t, sl) for key, t in keys_and_t]
            result = fn(sl, *obs)
            result = result if isinstance(result, tuple) else (result,)
            if not outs:
                outs = [[] for _ in result]
            for bucket, r in zip(outs, result):
                bucket.append(r.float())
        return [torch.cat(bucket) for bucket in outs]

    @torch.no_grad()
    def images(self, key: str) -> torch.Tensor:
        """Encode a stack of stand-alone frames [N, ..., H, W, C] (e.g. hard negatives)."""
        arr = self.ds.array(key)
        lead = arr.shape[:-3]
        flat = arr.reshape((-1,) + arr.shape[-3:])
        zs = []
        for start in range(0, flat.shape[0], EVAL_BATCH):
            obs = to_float(torch.from_numpy(np.ascontiguousarray(
                flat[start:start + EVAL_BATCH])).to(self.device))
            zs.append(self.model.encode(obs).float())
        z = torch.cat(zs)
        return z.reshape(lead + z.shape[1:])


def die_partners(g: torch.Tensor) -> torch.Tensor | None:
    """The DIE partner of every eval episode, or None when the twins' group elements differ.

    DIE compares ``|f(s_i) - f(s_j)|`` with ``|f(g s_i) - f(g s_j)|``: both members of a
    pair must be transformed by the *same* g.  When every episode's twin uses one g (grid
    worlds, Reacher), episode i is paired with a fixed random other episode (seed
    ``DIE_SEED``, the same pairs for every method).  When g differs per episode (Teapot,
    Haar-random), no two episodes share it; the caller then pairs two observations of one
    episode instead.
    """
    flat = g.reshape(g.shape[0], -1)
    if not bool((flat == flat[:1]).all()):
        return None
    gen = torch.Generator().manual_seed(DIE_SEED)
    return torch.randperm(g.shape[0], generator=gen).to(g.device)


def _rollout(model: WorldModel, z: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    for i in range(actions.shape[1]):
        z = model.transition(z, actions[:, i])
    return z


#: where each eval extra lives in an eval file (generators/FORMAT.md)
HARD_NEGATIVES_KEY = "extras/hardneg/turn{n}/obs"
TRAVERSAL_KEY = "extras/traversal/{axis}"


class EvalContext:
    """What the registered metrics read: latents of one model on one eval file, each computed
    once, on first use, and cached (several metrics share rankings, rollouts and twins)."""

    def __init__(self, model: WorldModel, ds: EpisodeFile, device: torch.device):
        self.model, self.ds, self.device = model, ds, device
        self.enc = Encoder(model, ds, device)
        self.spec = get_env(ds.env)
        self.actions = ds.tensor("action").to(device)
        self.twin_actions = ds.tensor("twin/action").to(device)
        self.g = ds.tensor("twin/g").to(device)
        self.perm = die_partners(self.g)
        self._cache: dict = {}

    def has(self, extra: str) -> bool:
        """Whether the file carries an eval extra (``hard_negatives``, ``traversals`` or
        ``traversals/<axis>``)."""
        if extra == "hard_negatives":
            return "extras/hardneg" in self.ds
        if extra.startswith("hard_negatives/turn"):
            return HARD_NEGATIVES_KEY.format(n=extra.split("/turn", 1)[1]) in self.ds
        if extra.startswith("traversals/"):
            return TRAVERSAL_KEY.format(axis=extra.split("/", 1)[1]) + "/obs" in self.ds
        if extra == "traversals":
            return "extras/traversal" in self.ds
        raise ValueError(f"unknown eval extra {extra!r}")

    def _cached(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def twin_embeddings(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``S(s_0)``, ``S(g s_0)`` and ``rho_V(g) S(s_0)`` of every episode."""
        model, g = self.model, self.g

        def embed_pair(sl, obs, twin_obs):
            v, tv = model.embed(obs), model.embed(twin_obs)
            return v, tv, model.act_on_embedding(v, g[sl])
        return self._cached("twin", lambda: tuple(
            self.enc.run(embed_pair, ("obs", 0), ("twin/obs", 0))))

    def die_s_pairs(self) -> tuple[torch.Tensor, ...]:
        """``(f1, f2, g f1, g f2)`` of DIE for ``f = S``."""
        v, tv, _ = self.twin_embeddings()
        if self.perm is not None:
            return (v, v[self.perm], tv, tv[self.perm])
        model = self.model  # one g per episode: each first observation with its last one

        def embed_last(sl, obs, twin_obs):
            return model.embed(obs), model.embed(twin_obs)
        v_last, tv_last = self.enc.run(embed_last, ("obs", self.ds.steps),
                                       ("twin/obs", self.ds.steps))
        return (v, v_last, tv, tv_last)

    def rollout(self, h: int) -> tuple[torch.Tensor, ...]:
        """h-step predictions and encoded true latents, of the file and of its twin, and the
        encoded start latents: ``(z_pred, z_next, tz_pred, tz_next, z_start)``."""
        model, actions, twin_actions = self.model, self.actions, self.twin_actions

        def predict(sl, obs, nxt, twin_obs, twin_nxt):
            z0 = model.encode(obs)
            z_pred = _rollout(model, z0, actions[sl, :h])
            tz_pred = _rollout(model, model.encode(twin_obs), twin_actions[sl, :h])
            return z_pred, model.encode(nxt), tz_pred, model.encode(twin_nxt), z0
        return self._cached(("rollout", h), lambda: tuple(self.enc.run(
            predict, ("obs", 0), ("obs", h), ("twin/obs", 0), ("twin/obs", h))))

    def start_latents(self) -> torch.Tensor:
        """The encoded first observations of the episodes (DIE's normaliser)."""
        return self.rollout(1)[4]

    def ranks(self, h: int) -> torch.Tensor:
        z_pred, z_next = self.rollout(h)[:2]
        return self._cached(("ranks", h), lambda: M.ranks(z_pred, z_next))

    def die_model_pairs(self, h: int) -> tuple[torch.Tensor, ...]:
        z_pred, z_next, tz_pred, tz_next, _ = self.rollout(h)
        if self.perm is not None:
            return (z_pred, z_next[self.perm], tz_pred, tz_next[self.perm])
        return (z_pred, z_next, tz_pred, tz_next)  # the episode's own true latent

    def hard_negatives(self, n: int) -> torch.Tensor:
        """The encoded hard negatives turned by 2pi/n, ``[N, K, *Z]``."""
        return self._cached(("hardneg", n),
                            lambda: self.enc.images(HARD_NEGATIVES_KEY.format(n=n)))

    def traversal(self, axis: str) -> tuple[torch.Tensor, torch.Tensor]:
        """The rolled-forward latents ``[M, S+1, *Z]`` and the encoded frames of a traversal."""
        key = TRAVERSAL_KEY.format(axis=axis)
        frames = self.enc.images(f"{key}/obs")                             # [M, S+1, *Z]
        step = torch.from_numpy(self.ds.array(f"{key}/action")).to(self.device)  # [S, ...]
        z = frames[:, 0]
        rollout = [z]
        for s in range(step.shape[0]):
            a = step[s].unsqueeze(0).expand((z.shape[0],) + tuple(step.shape[1:]))
            z = self.model.transition(z, a)
            rollout.append(z)
        return torch.stack(rollout, dim=1), frames


@torch.no_grad()
def validation_metrics(model: WorldModel, ds: EpisodeFile, device: torch.device,
                       episodes: int) -> dict[str, float]:
    """Hits@1 and MRR at 1 step on the first ``episodes`` episodes of an eval file: the
    cheap per-epoch validation curve of training (the model is put in eval mode and back)."""
    was_training = model.training
    model.eval()
    try:
        n = min(int(episodes), ds.n_episodes)
        enc = Encoder(model, ds, device)
        actions = ds.tensor("action")[:n, :1].to(device)

        def predict(sl, obs, nxt):
            return model.transition(model.encode(obs), actions[sl, 0]), model.encode(nxt)
        z_pred, z_next = enc.run(predict, ("obs", 0), ("obs", 1), n=n)
        r = M.ranks(z_pred, z_next)
        return {"hits@1_1step": M.hits_at_k(r, 1), "mrr_1step": M.mrr(r)}
    finally:
        model.train(was_training)


@torch.no_grad()
def evaluate(model: WorldModel, ds: EpisodeFile, device: torch.device,
             keys: Collection[str] | None = None) -> dict[str, float]:
    """Every registered metric that applies to ``model``'s env and the eval file ``ds``; with
    ``keys``, only those of them (a key that does not apply is simply absent)."""
    ctx = EvalContext(model, ds, device)
    return {key: metric.fn(ctx, **kwargs)
            for metric, key, kwargs in M.applicable(get_env(ds.env), ds.steps, ctx.has)
            if keys is None or key in keys}


#: /proc/cpuinfo flags of instruction-set extensions that MKL's, oneDNN's and ATen's CPU
#: kernels choose code paths by, with the names recorded in :func:`hardware`
CPU_EXTENSIONS = (("avx512_vnni", "VNNI"), ("avx512_bf16", "BF16"), ("amx_tile", "AMX"))


def cpu_model() -> tuple[str, list[str]]:
    """The CPU's model name and which of :data:`CPU_EXTENSIONS` it has (Linux's
    /proc/cpuinfo; elsewhere ``platform.processor()`` and none)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown", []
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = set(fields.get("flags", "").split())
    name = fields.get("model name") or platform.processor() or "unknown"
    return name, [label for flag, label in CPU_EXTENSIONS if flag in flags]


def hardware(device: torch.device) -> str:
    """What a run's float results depend on besides its code and settings: the GPU's name,
    or the CPU's vector kernels, model and the thread count.  Measured: the same code,
    data and thread count give other floats on an AVX2 and an AVX512 machine, and on two
    AVX512 machines of which one has AMX (the same metrics to the last bit on one machine)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    name, extensions = cpu_model()
    isa = ", ".join([torch.backends.cpu.get_cpu_capability(), *extensions])
    return f"{platform.machine()} CPU ({isa}; {name}), {torch.get_num_threads()} threads"


#: the metrics of a run's compact summary (what ``dvc exp show`` shows: one column each)
SUMMARY_KEYS = ("hits@1_1step", "ee_s")


def evaluate_run(run: str | Path, data: str | Path, out: str | Path,
                 device: str | None = None, summary: str | Path | None = None) -> dict:
    """Evaluate a run directory on an eval file and write the metrics JSON to ``out`` (and,
    with ``summary``, the compact :data:`SUMMARY_KEYS` there)."""
    dev = resolve_device(device)
    model, config = load_run(run, dev)
    threads = torch.get_num_threads()   # the run's own (a recorded setting; runs trained
    torch.set_num_threads(int(config["settings"].get("threads", threads)))   # before: as is)
    try:
        with EpisodeFile(data, expect_env=config["env"]) as ds:
            digest = ds.verify()
            metrics = evaluate(model, ds, dev)
            eval_config = ds.config
        hw = hardware(dev)
    finally:
        torch.set_num_threads(threads)
    result = {
        "env": config["env"], "method": config["method"], "seed": config["seed"],
        "run": str(run), "profile": config["profile"], "train_split": config["data_split"],
        "train_data": config["data"], "train_data_digest": config["data_digest"],
        "train_data_config": config["data_config"], "eval_data": str(data),
        "eval_data_digest": digest, "eval_data_config": eval_config,
        "parameters": config["parameters"], "hparams": config["hparams"],
        "settings": config["settings"], "hardware": hw,
        "train_device": config["device"], "kept_epoch": config["kept_epoch"],
        "metrics": metrics,
    }
    write_text_atomic(out, json.dumps(result, indent=2, sort_keys=True) + "\n")
    if summary is not None:
        compact = {k: metrics[k] for k in SUMMARY_KEYS if k in metrics}
        write_text_atomic(summary, json.dumps(compact, indent=2, sort_keys=True) + "\n")
    return result
