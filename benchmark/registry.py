"""Registry of world-model methods.

A method is a :class:`WorldModel` subclass registered for one or more
environments with :func:`register_method`::

    @register_method("sen", envs=("shapes", "blocks"))
    class GridSEN(WorldModel):
        ...

Researchers add their own methods the same way (see docs/adding-a-method.md);
third-party packages can also expose them through the ``senbench.methods``
entry-point group, which is loaded on first lookup.

Conventions shared by every method
----------------------------------
* ``obs`` given to a model is float32 ``[B, C, H, W]`` in ``[0, 1]``
  (see :func:`generators.reader.to_float`; Reacher has C = 6, two frames).
* ``action`` is the env's raw action as a tensor: grid worlds ``int64 [B]``
  (index ``object * 4 + direction``, directions counter-clockwise
  up, left, down, right), Reacher ``float32 [B, 2]`` torques,
  Teapot ``float32 [B, 3, 3]`` rotation matrices.
* ``g`` is the rotated twin's group element as stored in ``twin/g``:
  grid worlds and Reacher ``int64 [B]`` (power of the 90 degree rotation),
  Teapot ``float32 [B, 3, 3]``.
* latents may have any shape ``[B, ...]``; metrics flatten them to ``[B, D]``
  and compare them with the Euclidean distance.
"""
from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any, Callable

import torch
from torch import nn

from benchmark.losses import world_model_loss
from generators.registry import EnvSpec, env_names, get_env


class UnknownMethodError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class WorldModel(nn.Module):
    """Base class of every method: encoder, transition, loss, group action on V."""

    #: set by the registry
    method_name: str = ""
    objective: str = "contrastive"  # or "elbo"
    #: hinge margin and energy scale of the contrastive loss (SPEC section 4)
    gamma: float = 1.0
    sigma: float = 0.5
    #: latents [B, K, ...] are K objects (energy = mean over objects), else flattened
    per_object_latents: bool = False

    def __init__(self, env: str, *, gamma: float = 1.0, sigma: float = 0.5):
        super().__init__()
        self.env = env
        if not gamma > 0 or not sigma > 0:
            raise ValueError(f"gamma and sigma must be positive, got gamma={gamma}, sigma={sigma}")
        self.gamma, self.sigma = float(gamma), float(sigma)

    @property
    def spec(self) -> EnvSpec:
        """The registry's spec of this model's env (observation shape, actions, symmetry)."""
        return get_env(self.env)

    # --- the world model ------------------------------------------------------------
    def embed(self, obs: torch.Tensor) -> torch.Tensor:
        """S(obs): the symmetric embedding, a tensor [B, *V]."""
        raise NotImplementedError

    def encode_embedding(self, v: torch.Tensor) -> torch.Tensor:
        """E(v): latent [B, *Z] from an embedding."""
        raise NotImplementedError

    def encode(self, obs: torch.Tensor) -> torch.Tensor:
        return self.encode_embedding(self.embed(obs))

    def transition(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """Predicted next latent (already z + delta for delta-prediction models)."""
        raise NotImplementedError

    # --- symmetry -----------------------------------------------------------------------
    def act_on_embedding(self, v: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """rho_V(g) v: how the twin's group element acts on the embedding space V."""
        raise NotImplementedError

    # --- training -----------------------------------------------------------------------
    def loss(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor,
             generator: torch.Generator | None = None,
             ) -> tuple[torch.Tensor, dict[str, float]]:
        """Training objective of one batch and a dict of scalars to log.

        The default is the C-SWM contrastive loss (:func:`benchmark.losses.world_model_loss`)
        with ``self.gamma``, ``self.sigma``; its negatives come from ``generator`` (owned by
        the trainer, so training is deterministic without global seeding).  Override for
        another objective (and set ``objective``).
        """
        return world_model_loss(self, obs, action, next_obs, generator)

    def describe(self) -> dict[str, Any]:
        """Groups and representations of the embedding, latent and action spaces."""
        return {}


_METHODS: dict[str, dict[str, type[WorldModel]]] = {}  # method -> env -> class
# packages whose every module is imported on first lookup: a file dropped into one of
# them with a @register_method class is a method (no list to edit)
_METHOD_PACKAGES = ("benchmark.models", "baselines")
_loaded = False


def register_method(name: str, envs: tuple[str, ...] | list[str]) -> Callable[[type], type]:
    """Class decorator: register ``cls`` as method ``name`` for the given envs."""
    def deco(cls: type) -> type:
        if not (isinstance(cls, type) and issubclass(cls, WorldModel)):
            raise TypeError(f"{cls!r} must subclass benchmark.registry.WorldModel")
        for env in envs:
            if env not in env_names():
                raise ValueError(f"unknown env {env!r} for method {name!r}; "
                                 f"known: {', '.join(env_names())}")
            table = _METHODS.setdefault(name, {})
            if env in table and table[env] is not cls:
                raise ValueError(f"method {name!r} is already registered for env {env!r}")
            table[env] = cls
        cls.method_name = name
        return cls
    return deco


def load_builtin_methods() -> None:
    """Import every built-in method module and the ``senbench.methods`` entry points (once;
    every lookup does this first)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import pkgutil
    for package_name in _METHOD_PACKAGES:
        package = importlib.import_module(package_name)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            importlib.import_module(f"{package_name}.{info.name}")
    for ep in entry_points(group="senbench.methods"):
        ep.load()


def methods_for_env(env: str) -> list[str]:
    load_builtin_methods()
    return sorted(m for m, table in _METHODS.items() if env in table)


def get_method(name: str, env: str) -> type[WorldModel]:
    load_builtin_methods()
    if env not in env_names():
        raise UnknownMethodError(f"unknown env {env!r}; choose one of {', '.join(env_names())}")
    if name not in _METHODS:
        raise UnknownMethodError(
            f"unknown method {name!r}; choose one of {', '.join(sorted(_METHODS))}")
    if env not in _METHODS[name]:
        raise UnknownMethodError(
            f"method {name!r} is not defined for env {env!r} "
            f"(it supports {', '.join(sorted(_METHODS[name]))})")
    return _METHODS[name][env]


def build_model(name: str, env: str, **hparams: Any) -> WorldModel:
    """Instantiate a registered method with hyper-parameters (e.g. from params.yaml)."""
    cls = get_method(name, env)
    try:
        return cls(env=env, **hparams)
    except TypeError as exc:
        raise ValueError(f"bad hyper-parameters for {name}/{env}: {exc}") from None


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
