"""Citations: numbering sources, quoting them, and checking the markers an LLM wrote."""

from __future__ import annotations

import re

from rag.schema import Chunk, Citation, ScoredChunk

MARKER = re.compile(r"\[(\d{1,3})\]")
# A marker written after the full stop ("…完成了。[1]") still belongs to that sentence.
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*(?:\s*\[\d{1,3}\])*")


class CitationBook:
    """Gives each cited chunk one number, in order of first use, and collects its quotes."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self._by_chunk: dict[str, Citation] = {}

    def cite(self, hit: ScoredChunk, quote: str) -> int:
        c = hit.chunk
        existing = self._by_chunk.get(c.id)
        if existing is not None:
            if quote and quote not in existing.quote:
                existing.quote = f"{existing.quote}……{quote}" if existing.quote else quote
            return existing.n
        citation = Citation(
            n=len(self.citations) + 1,
            doc=c.doc_id,
            title=c.title,
            section=c.section,
            quote=quote,
            text=c.text,
            score=round(float(hit.score), 6),
            chunk_id=c.id,
            page=_quote_page(c, quote),
            source_type=c.source_type,
        )
        self.citations.append(citation)
        self._by_chunk[c.id] = citation
        return citation.n


def _quote_page(chunk: Chunk, quote: str) -> int | None:
    """The page the quote starts on (a chunk may run over a page break)."""
    first = quote.split("……")[0].strip()
    at = chunk.text.find(first[:20]) if first else -1
    return chunk.page_at(max(at, 0))


def validate_markers(answer: str, n_sources: int) -> tuple[str, set[int], list[str]]:
    """Drop markers that point at no given source; list sentences left without any valid marker.

    Returns (cleaned answer, the source numbers used, unsupported sentences).
    """
    used: set[int] = set()

    def keep(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if 1 <= n <= n_sources:
            used.add(n)
            return m.group(0)
        return ""

    cleaned = MARKER.sub(keep, answer)
    unsupported = []
    for sent in _SENTENCE.findall(cleaned):
        body = MARKER.sub("", sent).strip(" 。，；：\n")
        if len(body) >= 8 and not MARKER.search(sent) and "没有找到" not in body:
            unsupported.append(sent.strip())
    return cleaned, used, unsupported
