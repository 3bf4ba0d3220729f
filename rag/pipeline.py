"""The composition root: settings in, a ready pipeline out. Everything heavy is built on first use."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rag.answer.base import Answerer, Turn
from rag.answer.evidence import EvidenceFinder
from rag.answer.model import AnswerModel
from rag.answer.sentences import SentenceVectors
from rag.catalog import Catalog
from rag.embeddings import NamedEmbeddings, build_embeddings
from rag.embeddings.cache import CachedEmbedder, EmbeddingCache
from rag.ingest.failures import Failure, FailureLog
from rag.ingest.indexer import Indexer, IngestReport
from rag.retrieval.gazetteer import Gazetteer
from rag.retrieval.hybrid import HybridRetriever, RetrievalResult
from rag.retrieval.lexical import LexicalIndex
from rag.retrieval.place_aliases import PlaceAliasCache
from rag.retrieval.rerank import SentenceReranker
from rag.schema import AnswerResult
from rag.settings import Settings
from vectorstore.base import StoreUnavailable
from vectorstore.chroma import ChromaChunkStore

EMPTY_INDEX_NOTICE = "索引中还没有任何报告（或报告均未能读取），无法回答。请先运行 rag ingest 收录报告。"


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
        # Store calls are serialised by their own lock, taken with the store's timeout: against a stalled
        # Chroma server, ten concurrent questions each fail within about twice RAG_CHROMA_TIMEOUT_S instead
        # of one after another. Nothing holding it takes ``_lock`` (components are resolved first).
        self._store_lock = threading.RLock()
        self._built: dict[str, Any] = {}
        self._last_sync = 0.0
        #: Called with every answer part before the decision (calibration reads the evidence here).
        self.observer: Callable[[Any], None] | None = None

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

    @contextmanager
    def _store_turn(self) -> Iterator[None]:
        timeout = self.settings.chroma_timeout_s
        if not self._store_lock.acquire(timeout=timeout):
            raise StoreUnavailable(f"the vector store did not answer within {timeout:g} s "
                                   "(other requests are waiting on it)")
        try:
            yield
        finally:
            self._store_lock.release()

    @property
    def store(self) -> ChromaChunkStore:
        if "store" not in self._built:
            name = self.embeddings.name  # resolved before the store lock is taken (lock order)
            s = self.settings
            with self._store_turn():
                if "store" not in self._built:
                    if s.chroma_host:
                        self._built["store"] = ChromaChunkStore.server(s.chroma_host, s.chroma_port, name,
                                                                       s.chroma_timeout_s)
                    else:
                        self._built["store"] = ChromaChunkStore.persistent(s.chroma_dir, name)
        return self._built["store"]

    @property
    def lexical(self) -> LexicalIndex:
        def make() -> LexicalIndex:
            s = self.settings
            where = f"{s.chroma_host}-{s.chroma_port}" if s.chroma_host else "local"
            return LexicalIndex(s.index_dir / "lexical" / f"{where}-{self.store.name}",
                                scope_statistics=s.lexical_statistics == "scope")

        return self._get("lexical", make)

    @property
    def catalog(self) -> Catalog:
        return self._get("catalog", lambda: Catalog(
            self.lexical, PlaceAliasCache(self.settings.index_dir / "place-aliases.sqlite"),
            gazetteer=lambda: self._get("gazetteer", Gazetteer)))

    @property
    def embedding_cache(self) -> EmbeddingCache:
        return self._get("embedding_cache", lambda: EmbeddingCache(self.settings.index_dir / "embedding-cache.sqlite"))

    @property
    def sentence_vectors(self) -> SentenceVectors:
        return self._get("sentence_vectors", lambda: SentenceVectors(self.embeddings, self.embedding_cache))

    @property
    def answer_model(self) -> AnswerModel:
        return self._get("answer_model", lambda: AnswerModel.load(self.settings.answer_model))

    @property
    def evidence_finder(self) -> EvidenceFinder:
        return self._get("evidence_finder", lambda: EvidenceFinder(
            self.sentence_vectors, self.answer_model, use_synonyms=self.settings.synonyms,
            vocabulary=self.lexical.uses))

    @property
    def indexer(self) -> Indexer:
        def make() -> Indexer:
            s = self.settings
            return Indexer(
                self.store, CachedEmbedder(self.embeddings, self.embedding_cache), self.lexical,
                chunk_size=s.chunk_size, chunk_overlap=s.chunk_overlap, heading_header=s.heading_header,
                max_file_bytes=int(s.max_file_mb * 1024 * 1024), read_options=s.read_options,
                failure_log=FailureLog(s.index_dir), file_timeout_s=s.ingest_file_timeout_s,
            )

        return self._get("indexer", make)

    @property
    def retriever(self) -> HybridRetriever:
        def make() -> HybridRetriever:
            s = self.settings
            retriever = HybridRetriever(
                self.store, self.embeddings, self.lexical, resolver=None,
                use_dense=s.dense, use_lexical=s.lexical, place_filter=s.place_filter,
                candidate_k=s.candidate_k, rrf_k=s.rrf_k, dense_weight=s.dense_weight,
                lexical_weight=s.lexical_weight,
            )
            if s.dense and s.sentence_rerank_weight > 0:
                retriever.reranker = SentenceReranker(self.sentence_vectors, retriever.embed_query,
                                                      weight=s.sentence_rerank_weight, rrf_k=s.rrf_k)
            return retriever

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
        changed = set(report.added) | set(report.updated)
        if changed:
            # Sentence vectors for the answerability model are made now, not per question.
            report.sentences_embedded = self.sentence_vectors.warm(self.lexical.chunks_of(sorted(changed)))
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
        store, indexer, catalog, retriever = self.store, self.indexer, self.catalog, self.retriever
        with self._store_turn():
            # The index folder deleted (IndexMissing) or rebuilt at the same path (reopened) under us.
            replaced = store.check_files()
            # Stamped only after a successful check: while the store is down, every call reports it.
            changed = indexer.sync_lexical(force=replaced)
            if changed and not replaced:
                # Changed by another process: the embedded store must read its files again to see it.
                store.reopen()
            self._last_sync = now
            if changed or force or replaced or not catalog.loaded:
                # The catalog comes from the lexical index (one row per complete document), not from
                # reading every chunk's metadata in the store, which grows with the corpus; after the
                # first read only the documents a change touched are read again.
                catalog.sync(full=replaced)
                retriever.resolver = catalog.resolver

    def failures(self) -> list[Failure]:
        """Files the last ingest runs could not read, with the reason (see ``rag.ingest.failures``)."""
        return FailureLog(self.settings.index_dir).load()

    def documents(self) -> list[dict[str, Any]]:
        self._refresh()
        return list(self.catalog.documents())

    def document(self, doc_id: str) -> dict[str, Any]:
        """One indexed report's catalog entry ({} when unknown), without copying the catalog."""
        return self.catalog.get(doc_id)

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
        empty = not len(self.catalog)
        for event in answer_flow(self, question, history or [], doc_ids, k or self.settings.retrieve_k):
            if empty and isinstance(event, AnswerResult):
                # Every question is refused then: say why, rather than "the reports do not say".
                event.notice = f"{EMPTY_INDEX_NOTICE}\n{event.notice}".strip()
            yield event


def build_pipeline(settings: Settings | None = None) -> Pipeline:
    return Pipeline(settings or Settings())
