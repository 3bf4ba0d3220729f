"""From a file to a parsed report: read, clean, find structure and metadata, chunk."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from rag.ingest.chunker import chunk_document
from rag.ingest.clean import clean_line, clean_text
from rag.ingest.metadata import DocMetadata, extract_metadata
from rag.ingest.readers import MAX_UNPACKED_BYTES, read_document
from rag.ingest.structure import FRONT, Section, parse_sections
from rag.schema import Chunk


@dataclass
class ParsedDocument:
    doc_id: str
    path: Path
    content_hash: str  # of the raw bytes: what decides re-ingest
    text: str  # cleaned
    metadata: DocMetadata
    sections: list[Section]
    chunks: list[Chunk]
    dropped_lines: list[str]


def doc_id_for(path: Path) -> str:
    return path.stem


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def parse_document(
    path: Path, chunk_size: int = 400, chunk_overlap: int = 60, header: bool = True, content_hash: str | None = None,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
) -> ParsedDocument:
    """Parse one report file. Raises ReadError for files that cannot be read."""
    raw = read_document(path, max_unpacked_bytes)
    # DOCX heading styles are known by their text: match it as the cleaner rewrites it.
    heading_levels = {clean_line(k): v for k, v in raw.heading_levels.items()}
    cleaned = clean_text(raw.text, standalone=heading_levels)
    sections = parse_sections(cleaned.text, heading_levels)
    front = next((s for s in sections if s.path == [FRONT]), None)
    body_start_line = cleaned.text[: front.end].count("\n") + 1 if front else 0
    doc_id = doc_id_for(path)
    meta = extract_metadata(doc_id, cleaned.text, body_start_line)
    chunks = chunk_document(
        doc_id, cleaned.text, sections, meta.title, meta.year, size=chunk_size, overlap=chunk_overlap, header=header
    )
    return ParsedDocument(
        doc_id=doc_id,
        path=path,
        content_hash=content_hash or file_hash(path),
        text=cleaned.text,
        metadata=meta,
        sections=sections,
        chunks=chunks,
        dropped_lines=cleaned.dropped,
    )
