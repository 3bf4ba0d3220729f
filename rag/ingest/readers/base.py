"""What every reader returns, and the registry that picks a reader by file type.

A reader turns one file into paragraphs, each with the page it starts on (``None`` for formats without
pages) and the offsets where it runs on to the next page, so citations can name the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class ReadError(Exception):
    """A file that cannot be read as a report; the message says why."""


@dataclass
class Paragraph:
    text: str
    page: int | None = None  # 1-based page the paragraph starts on
    breaks: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, page) where a new page starts


@dataclass
class RawDocument:
    """Text of one file (one paragraph per line) plus what the format knows beyond the text."""

    text: str
    heading_levels: dict[str, int] = field(default_factory=dict)  # DOCX heading styles, by level
    encoding: str | None = None
    # Per line of ``text``: (offset in line, page) marks; None when the format has no pages.
    page_marks: list[list[tuple[int, int]]] | None = None
    ocr: bool = False  # text recognised from images
    source_type: str = ""  # "pdf", "docx", "html", …
    # Lines are whole paragraphs rebuilt from layout: the cleaner joins nothing but a split title.
    paragraphs_known: bool = False

    @classmethod
    def from_paragraphs(cls, paragraphs: list[Paragraph], **kwargs) -> RawDocument:
        paras = [p for p in paragraphs if p.text.strip()]
        marks = None
        if any(p.page is not None for p in paras):
            marks = [([(0, p.page)] if p.page is not None else []) + list(p.breaks) for p in paras]
        return cls(text="\n".join(p.text.replace("\n", " ") for p in paras), page_marks=marks,
                   paragraphs_known=True, **kwargs)


class Reader(Protocol):
    """Reads one file type. ``suffixes`` are lower-case with the dot."""

    suffixes: tuple[str, ...]

    def read(self, path: Path) -> RawDocument: ...


@dataclass(frozen=True)
class ReadOptions:
    """Reader settings taken from ``Settings`` (RAG_OCR, RAG_OCR_MIN_CHARS_PER_PAGE, RAG_MAX_UNPACKED_MB,
    RAG_DOCX_PAGES)."""

    ocr: bool = True
    ocr_min_chars_per_page: int = 20
    #: Cap on the XML a zip-based file (DOCX, ODT, OFD) unpacks to (RAG_MAX_UNPACKED_MB).
    max_unpacked_bytes: int = 10 * 1024 * 1024
    #: Pages of a DOCX that does not record them: "saved" (none) or "libreoffice" (lay it out with soffice).
    docx_pages: str = "saved"


ReaderFactory = Callable[[ReadOptions], Reader]
