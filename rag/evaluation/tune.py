"""``rag eval --tune-retrieval``: fit the fusion weights on the dev split by MRR@10 (then hit@5).

Questions are resolved (follow-ups) and scoped once; each weight combination only re-runs the fusion,
so the grid costs seconds. Prints the grid and the best combination; set it with RAG_DENSE_WEIGHT,
RAG_LEXICAL_WEIGHT and RAG_SENTENCE_RERANK_WEIGHT (the shipped defaults come from this command).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from rag.answer.base import Turn
from rag.answer.conversation import resolve_follow_up
from rag.evaluation.gold import load_gold
from rag.evaluation.metrics import evidence_rank
from rag.retrieval.tokenize import to_simplified
from rag.settings import Settings


def tune_retrieval(settings: Settings, gold_paths: list[Path]) -> dict[str, Any]:
    from rag.pipeline import Pipeline

    pipe = Pipeline(settings)
    pipe.ingest()
    retriever = pipe.retriever
    items = [g for p in gold_paths for g in load_gold(p, "dev") if g.answerable and len(g.docs) == 1]
    prepared = []
    for g in items:
        history = [Turn(r, to_simplified(c)) for r, c in g.history]  # type: ignore[arg-type]
        resolved = resolve_follow_up(to_simplified(g.question), history, retriever.resolver)
        prepared.append((g, resolved.search, retriever.scope_for(resolved.standalone)))
    reranker = retriever.reranker
    grid = []
    for dw, lw, sw in itertools.product((0.25, 0.5, 1.0), (0.5, 1.0), (0.0, 0.5, 1.0, 2.0)):
        retriever.dense_weight, retriever.lexical_weight = dw, lw
        if reranker is not None:
            reranker.weight = sw
        hits, rr = 0, 0.0
        for g, query, scope in prepared:
            chunks = retriever.retrieve(query, k=10, scope=scope).chunks
            rank = evidence_rank(g, [c.to_dict() for c in chunks])
            hits += bool(rank and rank <= 5)
            rr += 1.0 / rank if rank else 0.0
        n = max(len(prepared), 1)
        grid.append({"dense_weight": dw, "lexical_weight": lw, "sentence_rerank_weight": sw,
                     "hit_at_5": round(hits / n, 4), "mrr_at_10": round(rr / n, 4)})
    # MRR rewards the first rank too: what the answer quotes comes from the top chunks.
    best = max(grid, key=lambda r: (r["mrr_at_10"], r["hit_at_5"]))
    return {"n_dev": len(prepared), "best": best, "grid": sorted(grid, key=lambda r: -r["mrr_at_10"])[:10]}
