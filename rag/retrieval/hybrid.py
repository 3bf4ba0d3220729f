"""Dense (Chroma) + lexical (BM25) retrieval fused by reciprocal rank, scoped by place and year."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.retrieval.lexical import LexicalIndex
from rag.retrieval.scope import Scope, ScopeResolver
from rag.retrieval.tokenize import normalize_query
from rag.schema import Chunk, ScoredChunk
from vectorstore.base import ChunkStore


@dataclass
class RetrievalResult:
    chunks: list[ScoredChunk]
    scope: Scope = field(default_factory=Scope)
    query: str = ""


class QueryEmbeddingCache:
    """Recent query vectors: repeated and follow-up questions skip the model."""

    def __init__(self, embeddings: Embeddings, size: int = 512) -> None:
        self.embeddings = embeddings
        self.size = size
        self._items: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __call__(self, text: str) -> list[float]:
        with self._lock:
            if text in self._items:
                self._items.move_to_end(text)
                return self._items[text]
        vec = self.embeddings.embed_query(text)
        with self._lock:
            self._items[text] = vec
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return vec


class HybridRetriever:
    def __init__(
        self,
        store: ChunkStore,
        embeddings: Embeddings,
        lexical: LexicalIndex,
        resolver: ScopeResolver | None = None,
        use_dense: bool = True,
        use_lexical: bool = True,
        place_filter: bool = True,
        candidate_k: int = 40,
        rrf_k: int = 60,
        dense_weight: float = 1.0,
        lexical_weight: float = 1.0,
    ) -> None:
        if not (use_dense or use_lexical):
            raise ValueError("at least one of dense and lexical retrieval must be on")
        self.store = store
        self.embed_query = QueryEmbeddingCache(embeddings)
        self.lexical = lexical
        self.resolver = resolver
        self.use_dense = use_dense
        self.use_lexical = use_lexical
        self.place_filter = place_filter
        self.candidate_k = candidate_k
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self._vecs: dict[str, np.ndarray] = {}  # normalised stored vectors by chunk id (see _dense)
        self._vec_fingerprint: str | None = None
        #: The stacked vectors of recently scored chunk lists (the same few scopes question after question),
        #: kept with the snapshot's vectors they were stacked from.
        self._mats: dict[tuple[str, ...], np.ndarray] = {}
        self._vec_lock = threading.Lock()
        #: Optional second stage over the fused candidates: (query, fused) -> re-ordered list.
        self.reranker: Callable[[str, list[ScoredChunk]], list[ScoredChunk]] | None = None

    def scope_for(self, question: str) -> Scope:
        if self.resolver is None or not self.place_filter:
            return Scope()
        return self.resolver.resolve(question)

    def retrieve(
        self, question: str, k: int = 10, doc_ids: list[str] | None = None, scope: Scope | None = None,
        expansion: str = "",
    ) -> RetrievalResult:
        """``expansion``: extra words (the reports' words for the question's) searched by the lexical
        index only; the question's vector stays the one already embedded, so no second embedding."""
        query = normalize_query(question)
        scope = scope if scope is not None else self.scope_for(query)
        allowed = _intersect(doc_ids, scope.doc_ids)
        if allowed is not None and not allowed:
            # The user's document filter and the places named in the question exclude each other:
            # the user's explicit choice wins.
            allowed = list(doc_ids) if doc_ids else None
        n = max(self.candidate_k, k)
        dense = self._dense(query, n, allowed) if self.use_dense else []
        lexical = self.lexical.search(f"{query} {expansion}".strip(), n, allowed) if self.use_lexical else []
        if self.use_lexical and self.lexical.chunks:
            # Only chunks of the document versions the lexical snapshot holds, which are complete: a
            # document being written (or rewritten) by another process never shows half-done.
            held = self.lexical.held([c for c, _ in dense])
            dense = [(c, s) for c, s in dense if c.id in held]
        fused = self._fuse(dense, lexical)
        if self.reranker is not None:
            fused = self.reranker(query, fused)
        return RetrievalResult(chunks=fused[:k], scope=scope, query=query)

    #: Scopes up to this many chunks are scored here, exactly, from their stored vectors.
    LOCAL_DENSE_MAX = 4000
    #: Stacked vector matrices kept per snapshot (one per scope recently asked about).
    MATRICES_KEPT = 16

    def _dense(self, query: str, n: int, allowed: list[str] | None) -> list[tuple[Chunk, float]]:
        """Nearest chunks by cosine similarity. A question scoped to a few reports is scored here: their
        vectors are fetched by id once (then kept while the index is unchanged) and compared with
        numpy. A document-filtered vector query made Chroma scan its metadata on every question, which
        grows with the corpus (30 to 60 ms at 1,000 reports); unscoped questions still use its index."""
        vector = self.embed_query(query)
        if self.use_lexical and self.lexical.chunks:
            if allowed:
                chunks = self.lexical.chunks_of(allowed)
                if len(chunks) <= self.LOCAL_DENSE_MAX:
                    return self._dense_local(vector, chunks, n)
            elif self.lexical.n_chunks() <= self.LOCAL_DENSE_MAX:
                # A corpus this small is scored exactly here too: a Chroma query cost 5 ms at 138 chunks.
                return self._dense_local(vector, self.lexical.chunks_of(sorted(self.lexical.doc_ids())), n)
        return self.store.query(vector, n, allowed)

    def _dense_local(self, vector: list[float], chunks: list[Chunk], n: int) -> list[tuple[Chunk, float]]:
        with self._vec_lock:
            if self._vec_fingerprint != self.lexical.fingerprint or len(self._vecs) > 200_000:
                self._vecs, self._vec_fingerprint, self._mats = {}, self.lexical.fingerprint, {}
            vecs, mats = self._vecs, self._mats  # this snapshot's cache, even if another thread starts a new one
            missing = [c.id for c in chunks if c.id not in vecs]
        if missing:
            for cid, vec in self.store.vectors(missing).items():
                v = np.asarray(vec, dtype=np.float32)
                vecs[cid] = v / (float(np.linalg.norm(v)) or 1.0)
        present = [c for c in chunks if c.id in vecs]  # a chunk deleted since the snapshot has none
        if not present:
            return []
        ids = tuple(c.id for c in present)
        matrix = mats.get(ids)
        if matrix is None:
            matrix = np.stack([vecs[i] for i in ids])
            with self._vec_lock:
                if len(mats) >= self.MATRICES_KEPT:
                    mats.clear()
                mats[ids] = matrix
        q = np.asarray(vector, dtype=np.float32)
        q = q / (float(np.linalg.norm(q)) or 1.0)
        sims = matrix @ q
        order = np.argsort(-sims, kind="stable")[:n]
        return [(present[i], float(sims[i])) for i in order]

    def _fuse(self, dense, lexical) -> list[ScoredChunk]:
        by_id: dict[str, ScoredChunk] = {}
        for rank, (chunk, sim) in enumerate(dense):
            item = by_id.setdefault(chunk.id, ScoredChunk(chunk=chunk, score=0.0))
            item.dense = sim
            item.score += self.dense_weight / (self.rrf_k + rank + 1)
        for rank, (chunk, bm25) in enumerate(lexical):
            item = by_id.setdefault(chunk.id, ScoredChunk(chunk=chunk, score=0.0))
            item.lexical = bm25
            item.score += self.lexical_weight / (self.rrf_k + rank + 1)
        return sorted(by_id.values(), key=lambda s: (-s.score, s.chunk.doc_id, s.chunk.ordinal))


def _intersect(a: list[str] | None, b: list[str] | None) -> list[str] | None:
    if a is None:
        return b
    if b is None:
        return list(a)
    return [x for x in a if x in set(b)]
