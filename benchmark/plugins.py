"""Loading user modules that register environments, methods or metrics.

``senbench --load my_module.py ...`` and the ``plugins:`` list of ``params.yaml`` name
modules (``pkg.mod`` or ``path/to/file.py``) imported before anything is looked up, so a
researcher's env (:func:`generators.registry.register_env`), method
(:func:`benchmark.registry.register_method`) or metric
(:func:`benchmark.metrics.registry.register_metric`) lives outside the package.
"""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

_loaded_plugins: dict[str, None] = {}  # insertion-ordered set


def load_module(spec: str) -> None:
    """Import a user module (``pkg.mod`` or ``path/to/file.py``) that registers things.

    Loading the same module twice is a no-op, so runs and evaluations may both ask for it.
    """
    if spec in _loaded_plugins:
        return
    _loaded_plugins[spec] = None
    if spec.endswith(".py"):
        path = Path(spec)
        if not path.is_file():
            raise FileNotFoundError(f"plugin module {spec} does not exist")
        mod_spec = importlib.util.spec_from_file_location(f"senbench_plugin_{path.stem}", path)
        module = importlib.util.module_from_spec(mod_spec)
        assert mod_spec.loader is not None
        mod_spec.loader.exec_module(module)
    else:
        importlib.import_module(spec)


def loaded_plugins() -> list[str]:
    """The plugin modules loaded in this process, in load order (for worker processes)."""
    return list(_loaded_plugins)


def load_modules(specs: list[str]) -> None:
    """:func:`load_module` for each of ``specs`` (a worker process's initializer)."""
    for spec in specs:
        load_module(spec)
