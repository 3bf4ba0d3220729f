"""Read report files into paragraphs with page numbers; the reader is picked by file type from a registry.

Every failure is a :class:`ReadError` naming the reason, so an ingest run can report the file and go on.
"""

from __future__ import annotations

from pathlib import Path

from rag.ingest.readers.archive import ARCHIVE_SUFFIXES, check_archive
from rag.ingest.readers.base import Paragraph, RawDocument, Reader, ReaderFactory, ReadError, ReadOptions
from rag.ingest.readers.text import decode_bytes, read_text

MAX_UNPACKED_BYTES = ReadOptions.max_unpacked_bytes

__all__ = ["MAX_UNPACKED_BYTES", "Paragraph", "RawDocument", "ReadError", "ReadOptions", "Reader", "SUPPORTED_SUFFIXES",
           "decode_bytes", "read_document", "read_text", "REGISTRY"]


def _text(o: ReadOptions) -> Reader:
    from rag.ingest.readers.text import TextReader

    return TextReader()


def _docx(o: ReadOptions) -> Reader:
    from rag.ingest.readers.docx import DocxReader

    return DocxReader(o)


def _pdf(o: ReadOptions) -> Reader:
    from rag.ingest.readers.pdf import PdfReader

    return PdfReader(o)


def _html(o: ReadOptions) -> Reader:
    from rag.ingest.readers.html import HtmlReader

    return HtmlReader()


def _ofd(o: ReadOptions) -> Reader:
    from rag.ingest.readers.ofd import OfdReader

    return OfdReader()


def _image(o: ReadOptions) -> Reader:
    from rag.ingest.readers.ocr import ImageReader

    return ImageReader(o)


#: File suffix -> factory of the reader for it. Readers are built on use: no heavy import at startup.
REGISTRY: dict[str, ReaderFactory] = {
    ".txt": _text, ".md": _text,
    ".docx": _docx,
    ".pdf": _pdf,
    ".html": _html, ".htm": _html, ".shtml": _html,
    ".ofd": _ofd,
    ".png": _image, ".jpg": _image, ".jpeg": _image, ".tif": _image, ".tiff": _image,
}
SUPPORTED_SUFFIXES = tuple(REGISTRY)


def read_document(path: Path, options: ReadOptions | None = None) -> RawDocument:
    factory = REGISTRY.get(path.suffix.lower())
    if factory is None:
        raise ReadError(f"unsupported file type '{path.suffix or '(none)'}'")
    options = options or ReadOptions()
    try:
        if path.suffix.lower() in ARCHIVE_SUFFIXES:
            check_archive(path, options.max_unpacked_bytes)
        return factory(options).read(path)
    except FileNotFoundError as exc:
        raise ReadError("file disappeared while reading") from exc
    except PermissionError as exc:
        raise ReadError("permission denied") from exc
