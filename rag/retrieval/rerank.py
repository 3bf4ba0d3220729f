"""Re-ranking retrieved chunks by their best sentence, with sentence vectors made at ingest.

A chunk's vector averages a dozen facts; the question asks about one. Comparing the question with each
sentence of the fused candidates (vectors read from the cache, no model call) and adding that ranking
to the reciprocal-rank fusion finds "给请不起律师的人办了多少援助案子" in a chunk mostly about other
services. Its weight is fitted on the dev split like every other knob (``rag eval --tune-rerank``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rag.answer.sentences import SentenceVectors, sentence_spans
from rag.schema import ScoredChunk


class SentenceReranker:
    def __init__(self, vectors: SentenceVectors, embed: Callable[[str], list[float]], weight: float = 1.0,
                 pool: int = 30, rrf_k: int = 60) -> None:
        self.vectors = vectors
        self.embed = embed
        self.weight = weight
        self.pool = pool
        self.rrf_k = rrf_k

    def __call__(self, query: str, fused: list[ScoredChunk]) -> list[ScoredChunk]:
        if self.weight <= 0 or not fused:
            return fused
        head, tail = fused[: self.pool], fused[self.pool :]
        texts: list[str] = []
        owner: list[int] = []
        for i, h in enumerate(head):
            for s, e in sentence_spans(h.chunk.text):
                texts.append(h.chunk.text[s:e])
                owner.append(i)
        if not texts:
            return fused
        q = np.asarray(self.embed(query), dtype=np.float32)
        q = q / (float(np.linalg.norm(q)) or 1.0)
        sims = self.vectors.get(texts) @ q
        best = np.full(len(head), -1.0, dtype=np.float32)
        np.maximum.at(best, np.asarray(owner), sims)
        for rank, i in enumerate(np.argsort(-best, kind="stable")):
            head[i].score += self.weight / (self.rrf_k + rank + 1)
        head.sort(key=lambda s: (-s.score, s.chunk.doc_id, s.chunk.ordinal))
        return head + tail
