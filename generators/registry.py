"""The environment registry: one :class:`EnvSpec` per environment, read by every part.

Every environment registers one spec under a short name (``shapes``, ``blocks``, ``reacher``,
``teapot``).  The generator (:mod:`generators.generate`), the reader checks, the models'
input checks, the evaluation, the tables, the plots, the benchmarks, the CLI and the tests
all iterate over this registry instead of naming environments.  A new environment is one
module that calls :func:`register_env` (see ``docs/adding-an-environment.md``); a module
outside the package is loaded with ``senbench --load my_env.py`` or listed under
``plugins`` in ``params.yaml``.

Episode contract
----------------
``spec.episode(seed, steps, config)`` receives a :class:`numpy.random.SeedSequence`
(the episode's own child of the root seed), the number of recorded steps ``T``
and the resolved config, and returns a flat ``dict[str, np.ndarray]``:

``obs``             ``(T + frame_stack, H, W, C)`` uint8 frames, each stored once.
                    Observation ``t`` is ``frames[t : t + frame_stack]`` stacked
                    along channels (the reader builds the stack).
``action``          ``(T, ...)`` actions in the env's raw form (``spec.action``).
``state/<name>``    ``(T + 1, ...)`` ground-truth state arrays.
``twin/obs``        the rotated twin of ``obs`` (same shape), aligned index by index.
``twin/action``     the rotated twin of ``action`` (``spec.symmetry.act_on_action``).
``twin/state/<n>``  the rotated twin of each state array (``spec.symmetry.act_on_state``).
``twin/g``          the group element of the twin, stored per episode and the same
                    for every episode of a file (grid worlds and Reacher: ``int64``
                    power of the 90 degree rotation; Teapot: a ``(3, 3)`` Haar-random
                    rotation drawn by ``file_config`` from the file's seed).
any other key       extra per-episode arrays (e.g. ``extras/hardneg/turn30/obs``).

All arrays of one key have the same shape and dtype in every episode, so the
writer stacks them along a leading episode axis.

``spec.extras(seed, config)`` (optional) returns arrays written once per file
under ``/extras`` (e.g. the Teapot traversal sets); it gets its own child seed.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Mapping

import numpy as np

EpisodeFn = Callable[[np.random.SeedSequence, int, dict], "dict[str, np.ndarray]"]
ExtrasFn = Callable[[np.random.SeedSequence, dict], "dict[str, np.ndarray]"]
ConfigFn = Callable[["str | None", dict], dict]

#: spawn key of a file's own seed for per-file draws (``EnvSpec.file_config``); episodes use
#: their index, the extras ``2**31``
FILE_KEY = 2 ** 31 + 1

#: the eval extras an env may produce; metrics declare which of them they need
EVAL_EXTRAS = ("hard_negatives", "traversals")


class UnknownEnvError(KeyError, ValueError):
    """Raised for an environment name that is not registered."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it one clean line
        return str(self.args[0])


@dataclass(frozen=True)
class ActionSpace:
    """The raw action of an env as stored in ``action`` and given to models.

    ``kind``: ``"discrete"`` (int64 scalars in ``[0, n)``), ``"box"`` (float32 vectors of
    ``shape`` in ``[low, high]``) or ``"rotation"`` (float32 ``(3, 3)`` matrices in SO(3)).
    """

    kind: str
    shape: tuple[int, ...] = ()
    n: int | None = None
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("discrete", "box", "rotation"):
            raise ValueError(f"action kind must be discrete, box or rotation, got {self.kind!r}")
        if self.kind == "discrete" and (not isinstance(self.n, int) or self.n < 1):
            raise ValueError(f"a discrete action space needs n >= 1, got {self.n!r}")

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.int64 if self.kind == "discrete" else np.float32)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` random actions (uniform; Haar for rotations), e.g. for benchmarks."""
        if self.kind == "discrete":
            return rng.integers(0, self.n, size=n).astype(np.int64)
        if self.kind == "box":
            return rng.uniform(self.low, self.high, size=(n, *self.shape)).astype(np.float32)
        q = rng.standard_normal((n, 4))
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        w, x, y, z = q.T
        rot = np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
                        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1)
        return rot.reshape(n, 3, 3).astype(np.float32)

    def describe(self) -> str:
        if self.kind == "discrete":
            return f"discrete, {self.n} actions (int64)"
        if self.kind == "box":
            return f"box {list(self.shape)} in [{self.low}, {self.high}] (float32)"
        return "rotation matrix in SO(3), (3, 3) float32"


@dataclass(frozen=True)
class Symmetry:
    """The symmetry group of an env and how one of its elements acts (for the rotated twin).

    ``act_on_state(state, g)`` and ``act_on_action(action, g)`` are the generator's own
    functions (the twin is made with them); ``g`` is stored per episode as ``twin/g``.
    """

    group: str
    element: str                      # what ``twin/g`` holds
    act_on_state: Callable[..., Any]
    act_on_action: Callable[..., Any]


@dataclass(frozen=True)
class EnvSpec:
    name: str                 # registry name used on the command line
    env_id: str               # versioned id, e.g. "senbench/Shapes-v1"
    version: str              # generator version; bump whenever output bytes change
    frame_shape: tuple[int, int, int]   # (H, W, C) of one stored frame (default options)
    frame_stack: int          # frames per observation (1, or 2 for Reacher)
    action: ActionSpace
    symmetry: Symmetry
    make_config: ConfigFn     # (actions, options) -> full validated config dict
    episode: EpisodeFn
    extras: ExtrasFn | None = None
    #: per-file random draws added to the config before the episodes (e.g. the Teapot's one
    #: twin element per file): ``file_config(seed, config) -> config``, with its own seed
    file_config: Callable[[np.random.SeedSequence, dict], dict] | None = None
    #: the eval extras the eval split can carry (a subset of :data:`EVAL_EXTRAS`)
    eval_extras: tuple[str, ...] = ()
    #: names of the traversal sets (``extras/traversal/<name>``), when it has traversals
    traversal_axes: tuple[str, ...] = ()
    #: split -> {episodes, steps, seed, actions, options}: used when params.yaml has no
    #: ``generate.<env>`` section (the paper's sizes, SPEC section 2)
    default_splits: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the paper's batch size for this env (benchmarks; params.yaml sets the trained one)
    paper_batch_size: int = 1024
    #: units of EE(S): "relative" (divided by the mean embedding norm, the paper code's form)
    #: or "absolute" (the mean distance itself: the Teapot's Frobenius distance, Table 1)
    ee_units: str = "relative"

    def __post_init__(self) -> None:
        unknown = set(self.eval_extras) - set(EVAL_EXTRAS)
        if unknown:
            raise ValueError(f"env {self.name!r}: unknown eval extras {sorted(unknown)}; "
                             f"known: {list(EVAL_EXTRAS)}")
        if self.ee_units not in ("relative", "absolute"):
            raise ValueError(f"env {self.name!r}: ee_units must be relative or absolute, "
                             f"got {self.ee_units!r}")
        if self.traversal_axes and "traversals" not in self.eval_extras:
            raise ValueError(f"env {self.name!r}: traversal_axes without 'traversals' extras")

    def resolve_config(self, actions: str | None, options: dict, seed: int) -> dict:
        """The full config of a file with root seed ``seed``: ``make_config`` and, when the
        env has one, ``file_config`` (with the file's child seed ``FILE_KEY``)."""
        config = self.make_config(actions, dict(options))
        if self.file_config is not None:
            config = self.file_config(np.random.SeedSequence(seed, spawn_key=(FILE_KEY,)),
                                      config)
        return config

    @property
    def obs_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one observation as models see it (frames stacked on channels)."""
        h, w, c = self.frame_shape
        return (c * self.frame_stack, h, w)


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
    """Add ``spec`` to the registry (registering the same spec twice is a no-op)."""
    if not isinstance(spec, EnvSpec):
        raise TypeError(f"register_env needs an EnvSpec, got {type(spec).__name__}")
    if spec.name in _ENVS and _ENVS[spec.name] != spec:
        raise ValueError(f"environment {spec.name!r} is already registered")
    _ENVS[spec.name] = spec
    return spec


def env_names() -> list[str]:
    """Every registered env name (built-ins without importing them, and plugins)."""
    return sorted(set(_BUILTIN_MODULES) | set(_ENVS))


def get_env(name: str) -> EnvSpec:
    if name not in _ENVS and name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    if name not in _ENVS:
        raise UnknownEnvError(f"unknown env {name!r}; choose one of {', '.join(env_names())}")
    return _ENVS[name]


def all_envs() -> list[EnvSpec]:
    """The spec of every env, built-ins imported."""
    return [get_env(name) for name in env_names()]
