"""Sentence-aligned chunks inside one section at a time, so a chunk never spans two sections.

Target size is in characters: the embedded model sees about 0.6 tokens per Chinese character, so 400
characters plus the header stay well inside multilingual-e5's 512-token window.
"""

from __future__ import annotations

import re

from rag.ingest.headings import is_heading_only, parse_heading
from rag.ingest.structure import Section
from rag.schema import SECTION_SEP, Chunk
from rag.text import split_sentences

_CLAUSE = re.compile(r"[^，,、]*[，,、]?")


def _pieces(text: str, start: int, end: int, max_len: int) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end]; a sentence longer than max_len is cut at commas."""
    out: list[tuple[int, int]] = []
    for s, e in split_sentences(text[start:end]):
        s, e = s + start, e + start
        if e - s <= max_len:
            out.append((s, e))
            continue
        cur = s
        for m in _CLAUSE.finditer(text, s, e):
            if m.end() == m.start():
                continue
            if m.end() - cur > max_len and m.start() > cur:
                out.append((cur, m.start()))
                cur = m.start()
        while e - cur > max_len:  # a clause with no comma at all
            out.append((cur, cur + max_len))
            cur += max_len
        if e > cur:
            out.append((cur, e))
    return out


def _is_heading_piece(text: str, piece: tuple[int, int]) -> bool:
    """A heading line (or an inline heading's title sentence) at the start of a line."""
    s, e = piece
    line = text[s:e]
    return (s == 0 or text[s - 1] == "\n") and parse_heading(line) is not None and is_heading_only(line)


def chunk_section(text: str, section: Section, size: int, overlap: int) -> list[tuple[int, int]]:
    """Spans of the chunks of one section: greedy packing of sentences, small sentence overlap."""
    pieces = _pieces(text, section.start, section.end, max_len=size)
    chunks: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for piece in pieces:
        # Headings always stay with the sentence after them: a chunk of bare headings says nothing.
        if current and piece[1] - current[0][0] > size and not all(_is_heading_piece(text, p) for p in current):
            chunks.append(current)
            carry: list[tuple[int, int]] = []
            for prev in reversed(current):
                if current[-1][1] - prev[0] > overlap:
                    break
                carry.insert(0, prev)
            # Overlap never takes the whole previous chunk, and never a heading line alone.
            current = carry if len(carry) < len(current) else []
        current.append(piece)
    if current:
        # A short tail joins the previous chunk rather than standing alone.
        if chunks and current[-1][1] - current[0][0] < size // 4 and current[-1][1] - chunks[-1][0][0] <= size * 1.5:
            chunks[-1].extend(p for p in current if p[0] >= chunks[-1][-1][1])
        else:
            chunks.append(current)
    return [(c[0][0], c[-1][1]) for c in chunks]


def make_embed_text(title: str, section_path: list[str], text: str, header: bool = True) -> str:
    if not header:
        return text
    path = SECTION_SEP.join(section_path)
    return f"{title}｜{path}\n{text}" if path else f"{title}\n{text}"


def chunk_document(
    doc_id: str,
    text: str,
    sections: list[Section],
    title: str,
    year: int | None,
    size: int = 400,
    overlap: int = 60,
    header: bool = True,
) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in sections:
        for start, end in chunk_section(text, section, size, overlap):
            body = text[start:end]
            chunks.append(
                Chunk(
                    doc_id=doc_id,
                    ordinal=len(chunks),
                    text=body,
                    section_path=list(section.path),
                    start=start,
                    end=end,
                    title=title,
                    year=year,
                    embed_text=make_embed_text(title, section.path, body, header),
                )
            )
    return chunks
