#!/usr/bin/env bash
# Install SEN-Bench and its dependencies into the current Python environment
# (CPython 3.11, 3.12 or 3.13; numpy 2; torch >= 2.4, see pyproject.toml).
#
# 1. torch: a torch that is already installed is kept (a CUDA image's own build, or the
#    CPU wheel of the project's machines); pip checks it against pyproject's range in step 4.
#    Where there is none, torch 2.13.0 goes in first, so that nothing later pulls another
#    build: on the project's CPU machines `pip install torch==2.13.0` takes the local CPU
#    wheel; elsewhere it takes PyPI's build (CUDA on Linux x86_64; see README).
# 2. lie_learn, which escnn imports, is built from source (third_party/lie_learn, upstream's
#    numpy-2 fixes, which PyPI's lie_learn wheels lack; needs a C compiler), unless that
#    build is installed already.
# 3. escnn goes in without its optional py3nj (which needs a Fortran compiler); it warns
#    about py3nj at import and works.
# 4. this package with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."
pip_install() { python -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$@"; }
installed() {  # the installed version of a distribution, or nothing
    python -c "import importlib.metadata as m, sys
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass" "$1"
}
LIE_LEARN_VERSION="0.0.2+senbench.edf012f"   # third_party/lie_learn/pyproject.toml

if [[ -z "$(installed torch)" ]]; then
    pip_install "torch==2.13.0"
fi
if [[ "$(installed lie_learn)" != "$LIE_LEARN_VERSION" ]]; then
    pip_install ./third_party/lie_learn
fi
pip_install --no-deps "escnn==1.0.11"
pip_install -e ".[test]"
