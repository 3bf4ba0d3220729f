"""Answer latency of the default (extractive) answerer on the shipped corpus, over every gold question.

Run: python bench/answer_latency.py [--index-dir DIR] [--repeat 3]
Prints p50/p95 of retrieval alone and of the full answer, and writes bench/out/answer_latency.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

from rag.evaluation.gold import load_gold
from rag.pipeline import Pipeline
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index-dir", default=str(REPO / "bench" / "out" / "index-shipped"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    pipe = Pipeline(Settings(_env_file=None, index_dir=Path(args.index_dir), data_dir=REPO / "data" / "reports"))
    pipe.ingest()
    questions = [g.question for g in load_gold(REPO / "eval" / "gold.jsonl", "all")]
    pipe.ask(questions[0])  # warm-up: model, jieba dictionary, Chroma handles
    search_ms, answer_ms = [], []
    for _ in range(args.repeat):
        for q in questions:
            # Every measurement embeds its question: the query-vector cache would otherwise hide the model.
            pipe.retriever.embed_query.clear()
            t0 = time.perf_counter()
            pipe.search(q, k=10)
            search_ms.append((time.perf_counter() - t0) * 1000)
            pipe.retriever.embed_query.clear()
            t0 = time.perf_counter()
            pipe.ask(q)
            answer_ms.append((time.perf_counter() - t0) * 1000)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores",
        "questions": len(questions),
        "repeat": args.repeat,
        "retrieval_p50_ms": round(statistics.median(search_ms), 1),
        "retrieval_p95_ms": round(pct(search_ms, 95), 1),
        "answer_p50_ms": round(statistics.median(answer_ms), 1),
        "answer_p95_ms": round(pct(answer_ms, 95), 1),
    }
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "answer_latency.json").write_text(json.dumps(result, indent=2))
    print("| measure | p50 (ms) | p95 (ms) |\n|---|---|---|")
    print(f"| retrieval (hybrid, k=10) | {result['retrieval_p50_ms']} | {result['retrieval_p95_ms']} |")
    print(f"| full answer (extractive) | {result['answer_p50_ms']} | {result['answer_p95_ms']} |")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
