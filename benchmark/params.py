"""params.yaml: one section per stage, a profile switch, and strict validation.

The file holds the default profile (small, 2-core CPU) in its stage sections
(``generate``, ``train``, ``evaluate``, ``analyse``) and, under ``paper``, the
overrides of the paper profile (GPU, the paper's sizes). ``profile`` picks one::

    dvc exp run -S profile=paper -S 'seeds=[0,1,2]'

:func:`load_params` returns the stage sections with the chosen profile's
overrides merged in (dicts merged key by key, everything else replaced).
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

PROFILES = ("default", "paper")
SECTIONS = ("generate", "train", "evaluate", "analyse")


class ParamsError(ValueError):
    """params.yaml is missing, malformed or names unknown things."""


def merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(override)


def load_params(path: str | Path = "params.yaml", profile: str | None = None) -> dict:
    """The resolved parameters of ``profile`` (default: the file's ``profile`` key)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{path}: no such params file") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: malformed YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping at the top level")
    profile = profile or raw.get("profile", "default")
    if profile not in PROFILES:
        raise ParamsError(f"{path}: unknown profile {profile!r}; choose {', '.join(PROFILES)}")
    resolved = {key: raw.get(key, {}) for key in SECTIONS}
    if profile != "default":
        overrides = raw.get(profile) or {}
        if not isinstance(overrides, dict):
            raise ParamsError(f"{path}: section {profile!r} must be a mapping")
        unknown = set(overrides) - set(SECTIONS)
        if unknown:
            raise ParamsError(f"{path}: unknown section(s) under {profile!r}: "
                              f"{', '.join(sorted(unknown))}")
        resolved = merge(resolved, overrides)
    resolved["profile"] = profile
    resolved["seeds"] = raw.get("seeds", [0])
    resolved["runs"] = raw.get("runs", [])
    plugins = raw.get("plugins") or []
    if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
        raise ParamsError(f"{path}: plugins must be a list of module names or .py paths")
    resolved["plugins"] = plugins
    envs = raw.get("envs")
    if envs is not None and (not isinstance(envs, list)
                             or not all(isinstance(e, str) for e in envs)):
        raise ParamsError(f"{path}: envs must be a list of env names")
    resolved["envs"] = envs
    return resolved


def section(params: dict, *keys: str) -> Any:
    """params[k1][k2]... with a one-line error naming the missing key."""
    node: Any = params
    trail = []
    for key in keys:
        trail.append(key)
        if not isinstance(node, dict) or key not in node:
            raise ParamsError(f"params: missing key {'.'.join(trail)}")
        node = node[key]
    return node
