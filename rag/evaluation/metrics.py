"""Per-question scores and their aggregation (overall, by question type, by document)."""

from __future__ import annotations

import statistics
from typing import Any

from rag.evaluation.gold import GoldItem, contains, section_matches


def evidence_rank(item: GoldItem, retrieved: list[dict[str, Any]], depth: int = 10) -> int | None:
    """1-based rank by which every evidence span has been retrieved (in a chunk of the right document)."""
    ranks = []
    for ev in item.evidence:
        rank = next(
            (i + 1 for i, r in enumerate(retrieved[:depth]) if (not item.docs or r["doc"] in item.docs)
             and contains(r["text"], ev)),
            None,
        )
        if rank is None:
            return None
        ranks.append(rank)
    return max(ranks) if ranks else None


def score_question(item: GoldItem, result: dict[str, Any]) -> dict[str, Any]:
    """The per-question record: what each metric sees for this question."""
    refused = bool(result.get("refused"))
    citations = result.get("citations") or []
    row: dict[str, Any] = {
        "id": item.id, "type": item.type, "doc": item.doc_label, "answerable": item.answerable,
        "refused": refused, "latency_ms": float(result.get("latency_ms", 0.0)),
    }
    p_answer = (result.get("gate") or {}).get("p_answer")
    if isinstance(p_answer, int | float):
        row["p_answer"] = float(p_answer)
    if not item.answerable:
        return row
    rank = evidence_rank(item, result.get("retrieved") or [])
    row["rank"] = rank
    row["citation_correct"] = bool(citations) and all(
        any(contains(c["text"], ev) for c in citations) for ev in item.evidence
    )
    row["citation_doc_precision"] = (
        sum(c["doc"] in item.docs for c in citations) / len(citations) if citations else None
    )
    if item.sections and citations:
        row["section_correct"] = all(
            any(section_matches(sec, c["section"]) and c["doc"] == doc for c in citations)
            for sec, doc in zip(item.sections, item.docs, strict=False)
        )
    row["answer_correct"] = (not refused) and all(contains(result.get("answer", ""), s) for s in item.must_contain)
    return row


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 1)


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ans = [r for r in rows if r["answerable"]]
    unans = [r for r in rows if not r["answerable"]]
    ranks = [r.get("rank") for r in ans]
    lat = [r["latency_ms"] for r in rows]
    return {
        "n": len(rows),
        "n_answerable": len(ans),
        "n_unanswerable": len(unans),
        "hit_at_1": _mean([1.0 if rk == 1 else 0.0 for rk in ranks]),
        "hit_at_5": _mean([1.0 if rk and rk <= 5 else 0.0 for rk in ranks]),
        "mrr_at_10": _mean([1.0 / rk if rk else 0.0 for rk in ranks]),
        "citation_correct": _mean([1.0 if r.get("citation_correct") else 0.0 for r in ans]),
        "citation_doc_precision": _mean(
            [r["citation_doc_precision"] for r in ans if r.get("citation_doc_precision") is not None]
        ),
        "section_accuracy": _mean([1.0 if r.get("section_correct") else 0.0 for r in ans if "section_correct" in r]),
        "answer_accuracy": _mean([1.0 if r.get("answer_correct") else 0.0 for r in ans]),
        "refusal_rate_unanswerable": _mean([1.0 if r["refused"] else 0.0 for r in unans]),
        "false_refusal_rate": _mean([1.0 if r["refused"] else 0.0 for r in ans]),
        "latency_p50_ms": _pct(lat, 50),
        "latency_p95_ms": _pct(lat, 95),
    }


def reliability(rows: list[dict[str, Any]], bins: int = 10) -> list[dict[str, Any]]:
    """Calibration of the gate's ``p_answer``: per probability bin, its mean against the observed share
    of questions that should be answered (answerable ones). Empty when the system gives no p_answer."""
    scored = [(r["p_answer"], 1.0 if r["answerable"] else 0.0) for r in rows if "p_answer" in r]
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(p, y) for p, y in scored if lo <= p < hi or (b == bins - 1 and p == 1.0)]
        if inside:
            out.append({"lo": lo, "hi": hi, "n": len(inside),
                        "mean_p": round(sum(p for p, _ in inside) / len(inside), 4),
                        "observed": round(sum(y for _, y in inside) / len(inside), 4)})
    return out


def breakdown(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_type: dict[str, list] = {}
    by_doc: dict[str, list] = {}
    for r in rows:
        by_type.setdefault(r["type"], []).append(r)
        by_doc.setdefault(r["doc"], []).append(r)
    out = {
        "overall": aggregate(rows),
        "by_type": {k: aggregate(v) for k, v in sorted(by_type.items())},
        "by_doc": {k: aggregate(v) for k, v in sorted(by_doc.items())},
    }
    rel = reliability(rows)
    if rel:
        out["reliability"] = rel
    return out


METRIC_LABELS = {
    "hit_at_1": "hit@1",
    "hit_at_5": "hit@5",
    "mrr_at_10": "MRR@10",
    "citation_correct": "citation correct",
    "citation_doc_precision": "citation doc precision",
    "section_accuracy": "section accuracy",
    "answer_accuracy": "answer accuracy",
    "refusal_rate_unanswerable": "refusal rate (unanswerable)",
    "false_refusal_rate": "false-refusal rate",
    "latency_p50_ms": "latency p50 (ms)",
    "latency_p95_ms": "latency p95 (ms)",
}
