#!/usr/bin/env bash
# Install everything (fresh machine) and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh test
. .venv/bin/activate
ruff check .
python -m pytest -q -p no:cacheprovider "$@"
