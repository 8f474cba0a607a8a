"""dvc.yaml: every stage depends on its own code, so that a change to any module its command
imports makes the stage stale (DVC's `deps`; a stage with a missing dep would keep outputs
made by other code)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

#: what each stage's command imports before it works (its entry module and the registries
#: it fills); the test runs this in a fresh interpreter and lists the project's modules
STAGE_IMPORTS = {
    "generate": "import generators.stage, generators.registry as r; "
                "[r.get_env(e) for e in r.env_names()]",
    "train": "import benchmark.cli, benchmark.train, benchmark.allocator; "
             "from benchmark.registry import load_builtin_methods; load_builtin_methods()",
    "evaluate": "import benchmark.cli, benchmark.evaluate, benchmark.allocator; "
                "from benchmark.registry import load_builtin_methods; load_builtin_methods(); "
                "import benchmark.metrics.registry as m; m.metrics()",
    "analyse": "import benchmark.cli, benchmark.analyse",
    "plots": "import benchmark.plots; "
             "from benchmark.registry import load_builtin_methods; load_builtin_methods()",
}

LIST_MODULES = """
import json, sys
exec(sys.argv[1])
files = sorted({m.__file__ for m in list(sys.modules.values())
                if getattr(m, '__file__', None) and m.__file__.startswith(sys.argv[2])})
print(json.dumps(files))
"""


def _project_files(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", LIST_MODULES, code, str(ROOT) + "/"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    files = [str(Path(f).relative_to(ROOT)) for f in json.loads(out.stdout.splitlines()[-1])]
    # a package marker that holds only its docstring changes nothing a stage computes
    return [f for f in files
            if not (f.endswith("__init__.py") and len((ROOT / f).read_text().splitlines()) <= 1)]


def _stage(name: str) -> dict:
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    stage = stages[name]
    return stage.get("do", stage)   # foreach stages keep theirs under `do`


@pytest.mark.parametrize("name", sorted(STAGE_IMPORTS))
def test_stage_deps_cover_the_code_it_imports(name):
    deps = [d for d in _stage(name)["deps"] if "${" not in d]
    files = _project_files(STAGE_IMPORTS[name])
    assert files, "the stage's modules were not found"
    missing = [f for f in files if not any(f == d or f.startswith(d.rstrip("/") + "/")
                                           for d in deps)]
    assert not missing, f"dvc.yaml stage {name!r} lacks deps on {missing}"
