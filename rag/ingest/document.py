"""From a file to a parsed report: read, clean, find structure and metadata, chunk."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from rag.ingest.chunker import chunk_document
from rag.ingest.clean import clean_line, clean_text
from rag.ingest.metadata import DocMetadata, extract_metadata
from rag.ingest.readers import ReadOptions, read_document
from rag.ingest.structure import ATTACHMENT, FRONT, Section, parse_sections
from rag.schema import Chunk


@dataclass
class ParsedDocument:
    doc_id: str
    path: Path
    content_hash: str  # of the raw bytes and PARSE_VERSION: what decides re-ingest
    text: str  # cleaned
    metadata: DocMetadata
    sections: list[Section]
    chunks: list[Chunk]
    dropped_lines: list[str]
    ocr: bool = False
    source_type: str = ""


def doc_id_for(path: Path) -> str:
    return path.stem


#: Bumped when reading, cleaning or chunking changes what a file yields, so that an index built by an
#: earlier version re-ingests its files rather than keeping their old text.
PARSE_VERSION = "2"


def file_hash(path: Path) -> str:
    """What decides re-ingest: the raw bytes, and the version of the code that turns them into chunks."""
    h = hashlib.sha256(f"parse-v{PARSE_VERSION}\n".encode())
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def parse_document(
    path: Path, chunk_size: int = 400, chunk_overlap: int = 60, header: bool = True, content_hash: str | None = None,
    options: ReadOptions | None = None,
) -> ParsedDocument:
    """Parse one report file. Raises ReadError for files that cannot be read."""
    raw = read_document(path, options)
    # DOCX heading styles are known by their text: match it as the cleaner rewrites it.
    heading_levels = {clean_line(k): v for k, v in raw.heading_levels.items()}
    cleaned = clean_text(raw.text, standalone=heading_levels, page_marks=raw.page_marks,
                         paragraphs_known=raw.paragraphs_known)
    sections = parse_sections(cleaned.text, heading_levels)
    front = next((s for s in sections if s.path == [FRONT]), None)
    body_start_line = cleaned.text[: front.end].count("\n") + 1 if front else 0
    doc_id = doc_id_for(path)
    # Attachment bodies (after the signature) carry their own dates and issuers: not the report's metadata.
    report_end = min((s.start for s in sections if s.top == ATTACHMENT and len(s.path) > 1), default=len(cleaned.text))
    meta = extract_metadata(doc_id, cleaned.text[:report_end], body_start_line)
    chunks = chunk_document(
        doc_id, cleaned.text, sections, meta.title, meta.year, size=chunk_size, overlap=chunk_overlap, header=header
    )
    _assign_pages(chunks, cleaned.text, cleaned.page_marks)
    for c in chunks:
        c.source_type = raw.source_type
    return ParsedDocument(
        doc_id=doc_id,
        path=path,
        content_hash=content_hash or file_hash(path),
        text=cleaned.text,
        metadata=meta,
        sections=sections,
        chunks=chunks,
        dropped_lines=cleaned.dropped,
        ocr=raw.ocr,
        source_type=raw.source_type,
    )


def _assign_pages(chunks: list[Chunk], text: str, line_marks: list[list[tuple[int, int]]]) -> None:
    """Each chunk's start page and the offsets inside it where a new page starts."""
    if not line_marks:
        return
    marks: list[tuple[int, int]] = []
    pos = 0
    for line, own in zip(text.split("\n"), line_marks, strict=False):
        marks.extend((pos + o, p) for o, p in own)
        pos += len(line) + 1
    if not marks:
        return
    for c in chunks:
        before = [p for o, p in marks if o <= c.start]
        c.page = before[-1] if before else marks[0][1]
        c.page_marks = [(o - c.start, p) for o, p in marks if c.start < o < c.end and p != c.page]
