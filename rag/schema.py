"""Data shapes passed between stages. ``AnswerResult.to_dict`` is the stable ``rag ask --json`` format."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from typing import Any

SECTION_SEP = " > "


@dataclass
class Chunk:
    """A piece of one report, with where it came from."""

    doc_id: str
    ordinal: int
    text: str
    section_path: list[str]
    start: int  # span in the document's cleaned text
    end: int
    title: str = ""
    year: int | None = None
    embed_text: str = ""  # what the embedder sees: header + text
    page: int | None = None  # page the chunk starts on (PDF, OFD, scans)
    page_marks: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, page) where pages start
    source_type: str = ""  # "pdf", "docx", "html", "txt", …

    @functools.cached_property
    def id(self) -> str:
        # (cached: asked hundreds of times a question while chunks are fused, ranked and cited)
        return f"{self.doc_id}#{self.ordinal:04d}"

    @property
    def section(self) -> str:
        return SECTION_SEP.join(self.section_path)

    def page_at(self, offset: int) -> int | None:
        """The page of the character at ``offset`` in this chunk's text."""
        page = self.page
        for start, p in self.page_marks:
            if start <= offset:
                page = p
        return page

    def to_metadata(self, doc_hash: str, n_chunks: int) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "ordinal": self.ordinal,
            "section": self.section,
            "start": self.start,
            "end": self.end,
            "title": self.title,
            "year": self.year or 0,
            "doc_hash": doc_hash,
            "n_chunks": n_chunks,
            "page": self.page or 0,
            "page_marks": ";".join(f"{o}:{p}" for o, p in self.page_marks),
            "source_type": self.source_type,
        }

    @classmethod
    def from_metadata(cls, text: str, meta: dict[str, Any]) -> Chunk:
        section = meta.get("section") or ""
        return cls(
            doc_id=meta["doc_id"],
            ordinal=int(meta["ordinal"]),
            text=text,
            section_path=section.split(SECTION_SEP) if section else [],
            start=int(meta.get("start", 0)),
            end=int(meta.get("end", 0)),
            title=meta.get("title", ""),
            year=int(meta["year"]) or None if meta.get("year") else None,
            page=int(meta.get("page") or 0) or None,
            page_marks=[(int(o), int(p)) for o, p in (m.split(":") for m in str(meta.get("page_marks") or "").split(";") if ":" in m)],
            source_type=str(meta.get("source_type") or ""),
        )


@dataclass
class ScoredChunk:
    chunk: Chunk
    score: float  # fused score used for ranking
    dense: float | None = None  # cosine similarity, when the dense retriever saw it
    lexical: float | None = None  # BM25 score, when the lexical retriever saw it

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "doc": c.doc_id,
            "title": c.title,
            "section": c.section,
            "text": c.text,
            "score": round(float(self.score), 6),
            "chunk_id": c.id,
            "page": c.page,
            "dense": None if self.dense is None else round(float(self.dense), 6),
            "lexical": None if self.lexical is None else round(float(self.lexical), 6),
        }


@dataclass
class Citation:
    n: int
    doc: str
    title: str
    section: str
    quote: str
    text: str
    score: float
    chunk_id: str = ""
    page: int | None = None  # page of the quote (PDF, OFD, scans); None for formats without pages
    source_type: str = ""  # "pdf" when the original page can be shown


@dataclass
class AnswerResult:
    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[ScoredChunk] = field(default_factory=list)
    latency_ms: float = 0.0
    notice: str = ""  # e.g. the LLM fell back to extractive answers
    answerer: str = "extractive"
    rewritten_question: str = ""  # the standalone question a follow-up was resolved to
    unsupported: list[str] = field(default_factory=list)  # LLM sentences without a valid source
    gate: dict[str, float] = field(default_factory=dict)  # refusal-gate inputs, for calibration

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [asdict(c) for c in self.citations],
            "retrieved": [r.to_dict() for r in self.retrieved],
            "latency_ms": round(self.latency_ms, 2),
            "notice": self.notice,
            "answerer": self.answerer,
            "rewritten_question": self.rewritten_question,
            "unsupported": self.unsupported,
            "gate": self.gate,
        }
