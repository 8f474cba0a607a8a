"""Registry of dataset environments.

Every generator registers one :class:`EnvSpec` under a short name (``shapes``,
``blocks``, ``reacher``, ``teapot``).  The driver in :mod:`generators.generate`
only talks to this interface, so adding an environment never touches the
writer, the reader or the CLI.

Episode contract
----------------
``spec.episode(seed, steps, config)`` receives a :class:`numpy.random.SeedSequence`
(the episode's own child of the root seed), the number of recorded steps ``T``
and the resolved config, and returns a flat ``dict[str, np.ndarray]``:

``obs``             ``(T + frame_stack, H, W, C)`` uint8 frames, each stored once.
                    Observation ``t`` is ``frames[t : t + frame_stack]`` stacked
                    along channels (the reader builds the stack).
``action``          ``(T, ...)`` actions in the env's raw form.
``state/<name>``    ``(T + 1, ...)`` ground-truth state arrays.
``twin/obs``        the rotated twin of ``obs`` (same shape), aligned index by index.
``twin/action``     the rotated twin of ``action``.
``twin/state/<n>``  the rotated twin of each state array.
``twin/g``          the group element of the twin, one per episode
                    (grid worlds and Reacher: ``int64`` power of the 90 degree
                    rotation; Teapot: ``(3, 3)`` rotation matrix).
any other key       extra per-episode arrays (e.g. ``extras/hardneg/obs``).

All arrays of one key have the same shape and dtype in every episode, so the
writer stacks them along a leading episode axis.

``spec.extras(seed, config)`` (optional) returns arrays written once per file
under ``/extras`` (e.g. the Teapot traversal sets); it gets its own child seed.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable, Collection, Mapping

import numpy as np

EpisodeFn = Callable[[np.random.SeedSequence, int, dict], "dict[str, np.ndarray]"]
ExtrasFn = Callable[[np.random.SeedSequence, dict], "dict[str, np.ndarray]"]
ConfigFn = Callable[["str | None", dict], dict]


class UnknownEnvError(KeyError):
    """Raised for an environment name that is not registered."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it one clean line
        return str(self.args[0])


@dataclass(frozen=True)
class EnvSpec:
    name: str                 # registry name used on the command line
    env_id: str               # versioned id, e.g. "senbench/Shapes-v1"
    version: str              # generator version; bump whenever output bytes change
    frame_stack: int          # frames per observation (1, or 2 for Reacher)
    make_config: ConfigFn     # (actions, options) -> full validated config dict
    episode: EpisodeFn
    extras: ExtrasFn | None = None


_ENVS: dict[str, EnvSpec] = {}
# Modules that register the built-in environments; imported lazily so that
# `senbench verify` does not pay for pybullet / MuJoCo imports.
_BUILTIN_MODULES = {
    "shapes": "generators.gridworld",
    "blocks": "generators.gridworld",
    "reacher": "generators.reacher",
    "teapot": "generators.teapot",
}


def check_option_keys(label: str, options: object, allowed: Collection[str]) -> dict:
    """The env options of a ``make_config`` as a dict, after checking that they are a
    mapping with known keys only; ``label`` names the env in the one-line error."""
    if not isinstance(options, Mapping):
        raise ValueError(f"{label} options must be a dict, got {type(options).__name__}")
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"unknown option(s) for {label}: {unknown}; allowed: {list(allowed)}")
    return dict(options)


def register_env(spec: EnvSpec) -> EnvSpec:
    if spec.name in _ENVS and _ENVS[spec.name] != spec:
        raise ValueError(f"environment {spec.name!r} is already registered")
    _ENVS[spec.name] = spec
    return spec


def env_names() -> list[str]:
    return sorted(set(_BUILTIN_MODULES) | set(_ENVS))


def get_env(name: str) -> EnvSpec:
    if name not in _ENVS and name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    if name not in _ENVS:
        raise UnknownEnvError(f"unknown env {name!r}; choose one of {', '.join(env_names())}")
    return _ENVS[name]
