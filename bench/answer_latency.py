"""Answer latency of the default (extractive) answerer on the shipped corpus, per question type, against
the cost of embedding the question, measured in the same run (the machines are shared and noisy).

Run: python bench/answer_latency.py [--index-dir DIR] [--repeat 3] [--gold eval/gold_user.jsonl,eval/gold.jsonl]
Prints, per question type, p50/p95 of the query embedding alone and of the full answer (with history for
follow-ups), and their ratios; writes bench/out/answer_latency.json. A follow-up's answer embeds its resolved
search text (the standalone question and the conversation's topic), which is longer than what was typed:
the "searched" columns compare against embedding that text, the cost no answer to it can avoid.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from rag.answer.base import Turn
from rag.answer.conversation import resolve_follow_up
from rag.pipeline import Pipeline
from rag.retrieval.tokenize import normalize_query, to_simplified
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def pct(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def load(paths: list[Path]) -> list[tuple[str, str, list[Turn]]]:
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                history = [Turn(t["role"], t["content"]) for t in d.get("history") or []]
                out.append((d["type"], d["question"], history))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index-dir", default=str(REPO / "bench" / "out" / "index-shipped"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--gold", default="eval/gold_user.jsonl,eval/gold.jsonl")
    args = ap.parse_args()
    pipe = Pipeline(Settings(_env_file=None, index_dir=Path(args.index_dir), data_dir=REPO / "data" / "reports"))
    pipe.ingest()
    items = load([REPO / p for p in args.gold.split(",")])
    pipe.ask(items[0][1])  # warm-up: model, jieba dictionary, Chroma handles
    embed_ms: dict[str, list[float]] = {}
    answer_ms: dict[str, list[float]] = {}
    searched_ms: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        for kind, question, history in items:
            # Every measurement embeds its question: the query-vector cache would otherwise hide the model.
            t0 = time.perf_counter()
            pipe.embeddings.embed_query(normalize_query(question))
            embed_ms.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
            searched = resolve_follow_up(to_simplified(question), [Turn(t.role, to_simplified(t.content)) for t in history],
                                         pipe.retriever.resolver).search if history else question
            t0 = time.perf_counter()
            pipe.embeddings.embed_query(normalize_query(searched))
            searched_ms.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
            pipe.retriever.embed_query.clear()
            t0 = time.perf_counter()
            pipe.ask(question, history=history)
            answer_ms.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
    rows = {}
    for kind in sorted(answer_ms):
        e, a = embed_ms[kind], answer_ms[kind]
        rows[kind] = {
            "n": len(a) // args.repeat,
            "embed_p50_ms": round(statistics.median(e), 1), "embed_p95_ms": round(pct(e, 95), 1),
            "answer_p50_ms": round(statistics.median(a), 1), "answer_p95_ms": round(pct(a, 95), 1),
            "ratio_p50": round(statistics.median(a) / statistics.median(e), 2),
            "ratio_p95": round(pct(a, 95) / pct(e, 95), 2),
            "ratio_p50_searched": round(statistics.median(a) / statistics.median(searched_ms[kind]), 2),
            "ratio_p95_searched": round(pct(a, 95) / pct(searched_ms[kind], 95), 2),
        }
    all_e = [x for v in embed_ms.values() for x in v]
    all_a = [x for v in answer_ms.values() for x in v]
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "questions": len(items), "repeat": args.repeat,
        "overall": {"embed_p50_ms": round(statistics.median(all_e), 1), "answer_p50_ms": round(statistics.median(all_a), 1),
                    "ratio_p50": round(statistics.median(all_a) / statistics.median(all_e), 2),
                    "ratio_p95": round(pct(all_a, 95) / pct(all_e, 95), 2)},
        "by_type": rows,
    }
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "answer_latency.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print("| type | n | embed p50 | answer p50 | ratio p50 | embed p95 | answer p95 | ratio p95 | ratio p50 / p95 searched |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, r in rows.items():
        print(f"| {kind} | {r['n']} | {r['embed_p50_ms']} | {r['answer_p50_ms']} | {r['ratio_p50']} | "
              f"{r['embed_p95_ms']} | {r['answer_p95_ms']} | {r['ratio_p95']} | "
              f"{r['ratio_p50_searched']} / {r['ratio_p95_searched']} |")
    print(json.dumps(result["overall"]))


if __name__ == "__main__":
    main()
