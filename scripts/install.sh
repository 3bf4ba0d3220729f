#!/usr/bin/env bash
# Create .venv and install the project. With "test", also the test tools, the sentence-transformers
# extra on the CPU build of torch (pinned first so pip never pulls a CUDA build), and the system
# packages the browser and PDF tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -d .venv ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
if [ "${1:-}" = "test" ]; then
  if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "droid\|noto.*cjk\|wqy\|uming"; then
    if [ "$(id -u)" = "0" ]; then
      (apt-get update -qq && apt-get install -y -qq chromium fonts-droid-fallback fontconfig >/dev/null) \
        || echo "warning: could not install chromium / CJK fonts; browser and PDF tests will be skipped" >&2
    else
      echo "warning: run as root (or install chromium and fonts-droid-fallback) for browser and PDF tests" >&2
    fi
  fi
  python -m pip install -q "torch==2.13.0"
  python -m pip install -q -e ".[test,st]"
else
  python -m pip install -q -e .
fi
