"""The pipeline most tutorials build, as a baseline: LangChain's RecursiveCharacterTextSplitter (500/50)
on the raw text, dense top-5 from Chroma, and the top chunk as the answer (no refusal)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rag.embeddings import NamedEmbeddings
from rag.embeddings.cache import CachedEmbedder, EmbeddingCache
from rag.ingest.readers import read_document
from rag.schema import AnswerResult, Chunk, Citation, ScoredChunk
from vectorstore.chroma import ChromaChunkStore


class NaiveRAG:
    name = "naive"

    def __init__(self, embeddings: NamedEmbeddings, index_dir: Path, reports: list[Path], titles: dict[str, str]):
        self.embeddings = embeddings
        self.store = ChromaChunkStore.persistent(index_dir / "chroma-naive", "naive-" + embeddings.name)
        self.embedder = CachedEmbedder(embeddings, EmbeddingCache(index_dir / "embedding-cache.sqlite"))
        self.reports = reports
        self.titles = titles

    def build(self) -> None:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
        existing = self.store.documents()
        for path in self.reports:
            doc_id = path.stem
            text = read_document(path).text
            pieces = splitter.split_text(text)
            digest = f"naive-{len(text)}-{hash(text) & 0xFFFFFFFF:x}"
            if doc_id in existing and existing[doc_id].complete and existing[doc_id].n_chunks == len(pieces):
                continue
            chunks = [
                Chunk(doc_id=doc_id, ordinal=i, text=t, section_path=[], start=0, end=0,
                      title=self.titles.get(doc_id, doc_id))
                for i, t in enumerate(pieces)
            ]
            vectors = self.embedder.embed_documents(pieces)
            self.store.write_document(doc_id, chunks, vectors, digest, {"title": self.titles.get(doc_id, doc_id)})

    def ask(self, question: str) -> dict[str, Any]:
        t0 = time.perf_counter()
        hits = self.store.query(self.embeddings.embed_query(question), 5)
        scored = [ScoredChunk(chunk=c, score=s, dense=s) for c, s in hits]
        top = scored[0].chunk if scored else None
        result = AnswerResult(question=question, answer=top.text if top else "", refused=False, retrieved=scored,
                              answerer="naive")
        if top is not None:
            result.citations = [Citation(n=1, doc=top.doc_id, title=top.title, section="", quote=top.text,
                                         text=top.text, score=scored[0].score, chunk_id=top.id)]
            result.answer += "[1]"
        result.latency_ms = (time.perf_counter() - t0) * 1000
        return result.to_dict()
