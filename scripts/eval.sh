#!/usr/bin/env bash
# Run the gold-set evaluation on the default configuration and fail when a metric falls below
# eval/thresholds.toml. Writes eval/out/{results.jsonl,metrics.json,report.md,metrics.png}.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
RAG_INDEX_DIR=${RAG_INDEX_DIR:-.rag} rag eval --gold eval/gold.jsonl --split test --out eval/out --check eval/thresholds.toml
