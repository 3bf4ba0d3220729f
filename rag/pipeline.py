"""The composition root: settings in, a ready pipeline out. Everything heavy is built on first use."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rag.answer.base import Answerer, Turn
from rag.embeddings import NamedEmbeddings, build_embeddings
from rag.embeddings.cache import CachedEmbedder, EmbeddingCache
from rag.ingest.indexer import Indexer, IngestReport
from rag.retrieval.hybrid import HybridRetriever, RetrievalResult
from rag.retrieval.lexical import LexicalIndex
from rag.retrieval.scope import DocPlaces, ScopeResolver
from rag.schema import AnswerResult
from rag.settings import Settings
from vectorstore.chroma import ChromaChunkStore


class Pipeline:
    """Ingest, retrieve and answer over one index.

    >>> pipe = Pipeline(Settings())                       # doctest: +SKIP
    >>> pipe.ingest()                                      # doctest: +SKIP
    >>> pipe.ask("虎邱镇聘请了哪家律师事务所担任法律顾问？").answer  # doctest: +SKIP
    """

    #: Seconds between checks that the store was not changed by another process.
    SYNC_INTERVAL_S = 2.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._built: dict[str, Any] = {}
        self._last_sync = 0.0
        self._catalog: list[dict[str, Any]] = []
        self._catalog_fp: str | None = None

    def _get(self, name: str, factory: Callable[[], Any]) -> Any:
        if name not in self._built:
            with self._lock:
                if name not in self._built:
                    self._built[name] = factory()
        return self._built[name]

    # -- components ----------------------------------------------------------------------------------
    @property
    def embeddings(self) -> NamedEmbeddings:
        return self._get("embeddings", lambda: build_embeddings(self.settings))

    @property
    def store(self) -> ChromaChunkStore:
        def make() -> ChromaChunkStore:
            s = self.settings
            if s.chroma_host:
                return ChromaChunkStore.server(s.chroma_host, s.chroma_port, self.embeddings.name, s.chroma_timeout_s)
            return ChromaChunkStore.persistent(s.chroma_dir, self.embeddings.name)

        return self._get("store", make)

    @property
    def lexical(self) -> LexicalIndex:
        def make() -> LexicalIndex:
            s = self.settings
            where = f"{s.chroma_host}-{s.chroma_port}" if s.chroma_host else "local"
            return LexicalIndex(s.index_dir / "lexical" / f"{where}-{self.store.name}")

        return self._get("lexical", make)

    @property
    def indexer(self) -> Indexer:
        def make() -> Indexer:
            s = self.settings
            cache = EmbeddingCache(s.index_dir / "embedding-cache.sqlite")
            return Indexer(
                self.store, CachedEmbedder(self.embeddings, cache), self.lexical,
                chunk_size=s.chunk_size, chunk_overlap=s.chunk_overlap, heading_header=s.heading_header,
                max_file_bytes=int(s.max_file_mb * 1024 * 1024),
            )

        return self._get("indexer", make)

    @property
    def retriever(self) -> HybridRetriever:
        def make() -> HybridRetriever:
            s = self.settings
            return HybridRetriever(
                self.store, self.embeddings, self.lexical, resolver=None,
                use_dense=s.dense, use_lexical=s.lexical, place_filter=s.place_filter,
                candidate_k=s.candidate_k, rrf_k=s.rrf_k, dense_weight=s.dense_weight,
                lexical_weight=s.lexical_weight,
            )

        return self._get("retriever", make)

    @property
    def answerer(self) -> Answerer:
        from rag.answer import build_answerer

        return self._get("answerer", lambda: build_answerer(self.settings, self.lexical))

    # -- index ---------------------------------------------------------------------------------------
    def ingest(self, paths: list[Path] | None = None,
               progress: Callable[[str, int, int], None] | None = None) -> IngestReport:
        report = self.indexer.ingest(paths or [self.settings.data_dir], progress=progress)
        self._refresh(force=True)
        return report

    def ensure_index(self, progress: Callable[[str, int, int], None] | None = None) -> IngestReport | None:
        """Build the index from the data folder when it is empty (first start of the app)."""
        if self.store.count() == 0:
            return self.ingest(progress=progress)
        self._refresh(force=True)
        return None

    def _refresh(self, force: bool = False) -> None:
        """Follow changes made by other processes: lexical index and document catalog."""
        now = time.monotonic()
        if not force and now - self._last_sync < self.SYNC_INTERVAL_S:
            return
        with self._lock:
            # Stamped only after a successful check: while the store is down, every call reports it.
            changed = self.indexer.sync_lexical()
            if changed:
                # Changed by another process: the embedded store must read its files again to see it.
                self.store.reopen()
            self._last_sync = now
            if changed or force or self._catalog_fp is None:
                # The catalog comes from the lexical index (one row per complete document), not from
                # reading every chunk's metadata in the store, which grows with the corpus.
                self._catalog = self.lexical.documents()
                self._catalog_fp = self.lexical.fingerprint or ""
                self.retriever.resolver = ScopeResolver(
                    [DocPlaces(d["doc_id"], d.get("places") or [], d.get("year")) for d in self._catalog]
                )

    def documents(self) -> list[dict[str, Any]]:
        self._refresh()
        return list(self._catalog)

    # -- questions -----------------------------------------------------------------------------------
    def search(self, question: str, k: int = 10, doc_ids: list[str] | None = None) -> RetrievalResult:
        self._refresh()
        return self.retriever.retrieve(question, k=k, doc_ids=doc_ids)

    def ask(self, question: str, history: list[Turn] | None = None, doc_ids: list[str] | None = None,
            k: int | None = None) -> AnswerResult:
        result: AnswerResult | None = None
        for event in self.stream(question, history=history, doc_ids=doc_ids, k=k):
            if isinstance(event, AnswerResult):
                result = event
        assert result is not None
        return result

    def stream(self, question: str, history: list[Turn] | None = None, doc_ids: list[str] | None = None,
               k: int | None = None) -> Iterator[str | AnswerResult]:
        """Yields answer text as it is produced, then the final ``AnswerResult``."""
        from rag.answer.flow import answer_flow

        self._refresh()
        yield from answer_flow(self, question, history or [], doc_ids, k or self.settings.retrieve_k)


def build_pipeline(settings: Settings | None = None) -> Pipeline:
    return Pipeline(settings or Settings())
