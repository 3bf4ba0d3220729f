#!/usr/bin/env bash
# Run the gold-set evaluations on the default configuration and fail when a metric falls below its
# thresholds: eval/gold.jsonl (regression set, written from the reports' text) against
# eval/thresholds.toml, and eval/gold_user.jsonl (questions asked the way people ask them) against
# eval/thresholds_user.toml. Writes eval/out/{results.jsonl,metrics.json,report.md,metrics.png} and
# eval/out/user/ likewise.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
export RAG_INDEX_DIR=${RAG_INDEX_DIR:-.rag}
rag eval --gold eval/gold.jsonl --split test --out eval/out --check eval/thresholds.toml
rag eval --gold eval/gold_user.jsonl --split test --out eval/out/user --baselines bm25-only \
  --check eval/thresholds_user.toml
