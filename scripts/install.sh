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
  # soffice and pdftoppm build the 公文 PDF and scan fixtures of the format tests (tests/test_office_formats.py).
  if ! command -v chromium >/dev/null 2>&1 || ! command -v soffice >/dev/null 2>&1 \
      || ! command -v pdftoppm >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then
    if [ "$(id -u)" = "0" ]; then
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
        fonts-droid-fallback fonts-noto-cjk fontconfig libreoffice-writer-nogui poppler-utils >/dev/null) \
        || echo "warning: could not install chromium / LibreOffice / poppler / CJK fonts; browser and format tests will be skipped" >&2
    else
      echo "warning: run as root (or install chromium, libreoffice-writer-nogui, poppler-utils, fonts-noto-cjk) for browser and format tests" >&2
    fi
  fi
  python -m pip install -q "torch==2.13.0"
  python -m pip install -q -e ".[test,st]"
else
  python -m pip install -q -e .
fi
