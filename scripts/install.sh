#!/usr/bin/env bash
# Install SEN-Bench and its dependencies into the current Python 3.11 environment.
#
# torch goes in first, pinned to 2.13.0, so that nothing later pulls another build:
# on the project's CPU machines `pip install torch==2.13.0` takes the local CPU wheel;
# on a CUDA machine it takes PyPI's CUDA build (see README, "GPU machines").
# escnn goes in without its optional py3nj (which needs a Fortran compiler); it
# warns about py3nj at import and works.
set -euo pipefail
cd "$(dirname "$0")/.."
pip_install() { python -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$@"; }
pip_install "torch==2.13.0"
pip_install --no-deps "escnn==1.0.11"
pip_install -e ".[test]"
