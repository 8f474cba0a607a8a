"""The metric registry: every metric the evaluation computes, declared once.

A metric is a function of an evaluation context (:class:`benchmark.evaluate.EvalContext`)
registered with :func:`register_metric`, which declares

* ``key``: the template of its key(s) in the metrics JSON (``"hits@1_{h}step"``,
  ``"th@1_{axis}"``, ``"ee_s"``): ``{h}`` is filled with each of ``horizons``, ``{axis}``
  with each traversal axis of the env (:attr:`generators.registry.EnvSpec.traversal_axes`),
  ``{n}`` with each of ``turns`` (hard negatives turned by ``2 pi / n``);
* ``needs``: what it consumes, a subset of :data:`NEEDS`: ``"rollout"`` (h-step
  predictions; applies when the eval file has at least ``h`` steps), ``"twin"`` (the
  rotated twin), ``"hard_negatives"`` and ``"traversals"`` (eval extras: applies only to
  envs that declare them and files that carry them; ``"hard_negatives/turn30"`` names one
  set of negatives);
* ``envs``: the envs it is restricted to (``None``: every env that provides what it needs).

``benchmark.evaluate`` loops over :func:`applicable` metrics; the tables check their
columns with :func:`check_metric_key` when they are built, so a mistyped column fails at
import instead of showing "-".  Example (a plugin module)::

    @register_metric("hits@5", key="hits@5_{h}step", horizons=(1, 10), needs=("rollout",))
    def hits_at_5(ctx, h):
        return hits_at_k(ctx.ranks(h), 5)
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Callable, Iterator

from generators.registry import EVAL_EXTRAS, EnvSpec, all_envs

NEEDS = ("rollout", "twin") + EVAL_EXTRAS
_FIELDS = {"h": r"(?P<h>\d+)", "axis": r"(?P<axis>[a-z][a-z0-9_]*)", "n": r"(?P<n>\d+)"}


class UnknownMetricError(KeyError, ValueError):
    """A metric name or key that no registered metric declares (one-line message)."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class MetricSpec:
    name: str
    key: str
    fn: Callable[..., "float | None"]
    needs: tuple[str, ...] = ()
    horizons: tuple[int, ...] = ()
    turns: tuple[int, ...] = ()
    envs: tuple[str, ...] | None = None
    description: str = ""

    def __post_init__(self) -> None:
        fields = set(re.findall(r"{(\w+)}", self.key))
        if not fields <= set(_FIELDS):
            raise ValueError(f"metric {self.name!r}: unknown field(s) {sorted(fields - set(_FIELDS))} "
                             f"in key {self.key!r}; allowed: {sorted(_FIELDS)}")
        if ("h" in fields) != bool(self.horizons):
            raise ValueError(f"metric {self.name!r}: a key with {{h}} needs horizons, and "
                             "horizons need {h} in the key")
        if ("n" in fields) != bool(self.turns) or (self.turns and
                                                   "hard_negatives" not in self._extras()):
            raise ValueError(f"metric {self.name!r}: a key with {{n}} needs turns and "
                             "'hard_negatives', and turns need {n} in the key")
        if "axis" in fields and "traversals" not in self._extras():
            raise ValueError(f"metric {self.name!r}: {{axis}} keys need 'traversals'")
        unknown = self._extras() - set(NEEDS)
        if unknown:
            raise ValueError(f"metric {self.name!r}: unknown needs {sorted(unknown)}; "
                             f"known: {list(NEEDS)}")

    def _extras(self) -> set[str]:
        """The needs without qualifiers (``hard_negatives/turn30`` -> ``hard_negatives``)."""
        return {need.split("/", 1)[0] for need in self.needs}

    @property
    def pattern(self) -> re.Pattern:
        parts = re.split(r"({\w+})", self.key)
        return re.compile("".join(_FIELDS[p[1:-1]] if p.startswith("{") else re.escape(p)
                                  for p in parts))

    def variants(self, spec: EnvSpec, steps: int, has: Callable[[str], bool]
                 ) -> Iterator[tuple[str, dict]]:
        """``(key, kwargs)`` of every value this metric has on ``spec``'s eval file of
        ``steps`` steps; ``has(extra)`` tells whether the file carries an eval extra."""
        if self.envs is not None and spec.name not in self.envs:
            return
        for need in self.needs:
            extra = need.split("/", 1)[0]
            if extra in EVAL_EXTRAS and not (extra in spec.eval_extras and has(need)):
                return
        horizons = [h for h in self.horizons if h <= steps] if self.horizons else [None]
        axes = list(spec.traversal_axes) if "{axis}" in self.key else [None]
        turns = list(self.turns) or [None]
        for h in horizons:
            for axis in axes:
                for n in turns:
                    kwargs = {k: v for k, v in (("h", h), ("axis", axis), ("n", n))
                              if v is not None}
                    if axis is not None and not has(f"traversals/{axis}"):
                        continue
                    if n is not None and not has(f"hard_negatives/turn{n}"):
                        continue
                    yield self.key.format(**kwargs), kwargs


_METRICS: dict[str, MetricSpec] = {}
_BUILTIN_MODULE = "benchmark.metrics.standard"


def register_metric(name: str, *, key: str, needs: tuple[str, ...] = (),
                    horizons: tuple[int, ...] = (), turns: tuple[int, ...] = (),
                    envs: tuple[str, ...] | None = None) -> Callable[[Callable], Callable]:
    """Decorator registering ``fn(ctx, **variant) -> float | None`` as metric ``name``."""
    def deco(fn: Callable) -> Callable:
        spec = MetricSpec(name=name, key=key, fn=fn, needs=tuple(needs),
                          horizons=tuple(horizons), turns=tuple(turns),
                          envs=tuple(envs) if envs else None,
                          description=(fn.__doc__ or "").strip().splitlines()[0]
                          if fn.__doc__ else "")
        if name in _METRICS and _METRICS[name].fn is not fn:
            raise ValueError(f"metric {name!r} is already registered")
        for other in _METRICS.values():
            if other.name != name and other.key == key:
                raise ValueError(f"metric {name!r}: key {key!r} is already {other.name!r}'s")
        _METRICS[name] = spec
        return fn
    return deco


def _load_builtins() -> None:
    importlib.import_module(_BUILTIN_MODULE)


def metrics() -> list[MetricSpec]:
    """Every registered metric, in registration order."""
    _load_builtins()
    return list(_METRICS.values())


def get_metric(name: str) -> MetricSpec:
    _load_builtins()
    if name not in _METRICS:
        raise UnknownMetricError(f"unknown metric {name!r}; known: {', '.join(_METRICS)}")
    return _METRICS[name]


def applicable(spec: EnvSpec, steps: int, has: Callable[[str], bool]
               ) -> Iterator[tuple[MetricSpec, str, dict]]:
    """``(metric, key, kwargs)`` of every registered metric value on this eval file."""
    for metric in metrics():
        for key, kwargs in metric.variants(spec, steps, has):
            yield metric, key, kwargs


def metric_for_key(key: str) -> MetricSpec:
    """The registered metric whose key template produces ``key`` (UnknownMetricError if none)."""
    for metric in metrics():
        match = metric.pattern.fullmatch(key)
        if match is None:
            continue
        fields = match.groupdict()
        if "h" in fields and int(fields["h"]) not in metric.horizons:
            continue
        if "n" in fields and int(fields["n"]) not in metric.turns:
            continue
        if "axis" in fields and fields["axis"] not in {
                a for env in all_envs() for a in env.traversal_axes}:
            continue
        return metric
    raise UnknownMetricError(f"no registered metric has the key {key!r}; registered keys: "
                             f"{', '.join(m.key for m in metrics())}")


def check_metric_key(key: str) -> str:
    """``key`` if a registered metric produces it; raises UnknownMetricError otherwise."""
    metric_for_key(key)
    return key
