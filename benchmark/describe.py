"""``senbench describe``: parameter count and representations of one (env, method)."""
from __future__ import annotations

from pathlib import Path

from benchmark.params import load_params
from benchmark.registry import build_model, count_parameters
from benchmark.train import train_settings


def describe(env: str, method: str, params_file: str | Path | None = "params.yaml",
             profile: str | None = None) -> dict:
    """The model as params.yaml configures it (constructor defaults when no file is given)."""
    hparams: dict = {}
    if params_file is not None and Path(params_file).is_file():
        _, hparams = train_settings(load_params(params_file, profile), env, method)
    model = build_model(method, env, **hparams)
    return {"env": env, "method": method, "class": type(model).__qualname__,
            "parameters": count_parameters(model), "hparams": hparams,
            "objective": model.objective, **model.describe()}
