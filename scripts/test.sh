#!/usr/bin/env bash
# Install osbox with its test tools into .venv and run the whole test suite,
# the linters and the type checker.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
PY=.venv/bin/python
$PY -m ruff check src tests benchmarks examples
$PY -m mypy --strict src/osbox
$PY -m pytest -q "$@"
