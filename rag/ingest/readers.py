"""Read report files into plain text: .txt/.md in any common Chinese encoding, .docx and .pdf.

Every failure is a :class:`ReadError` naming the reason, so an ingest run can report the file and go on.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
#: Zip-based formats: checked for their unpacked size before any reader opens them.
ARCHIVE_SUFFIXES = (".docx", ".odt", ".ofd")
#: Default cap on the XML an archive unpacks to (``RAG_MAX_UNPACKED_MB``); a long report's document.xml
#: is 1-3 MB. Images and other binary parts may add twenty times as much.
MAX_UNPACKED_BYTES = 10 * 1024 * 1024


class ReadError(Exception):
    """A file that cannot be read as a report; the message says why."""


@dataclass
class RawDocument:
    """Text of one file plus headings known from its format (DOCX heading styles), by level."""

    text: str
    heading_levels: dict[str, int] = field(default_factory=dict)
    encoding: str | None = None


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode report bytes; returns (text, encoding). BOMs first, then strict UTF-8, then detection."""
    if not data.strip():
        raise ReadError("empty file")
    # UTF-32 before UTF-16: their little-endian BOMs share the first two bytes.
    for bom, encoding in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                          (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            # A truncated file (odd length) decodes with a replacement mark rather than failing.
            return _mostly_decoded(data.decode(encoding, errors="replace"), encoding), encoding
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:2_000_000]).best()
    if best is None:
        raise ReadError("not a text file (no text encoding fits; binary data?)")
    encoding = best.encoding
    # GBK detections are widened to GB18030, its superset, so rare characters still decode.
    if encoding.lower().replace("-", "") in {"gbk", "gb2312", "cp936", "hz"}:
        encoding = "gb18030"
    return _mostly_decoded(data.decode(encoding, errors="replace"), encoding), encoding


def _mostly_decoded(text: str, encoding: str) -> str:
    if text.count("\ufffd") > max(10, len(text) // 100):
        raise ReadError(f"too many undecodable bytes for {encoding}")
    return text


def _looks_binary(text: str) -> bool:
    sample = text[:20000]
    if not sample:
        return False
    bad = sum(1 for ch in sample if ch == "\x00" or (ord(ch) < 32 and ch not in "\n\r\t\f"))
    return bad / len(sample) > 0.01


def read_text(path: Path) -> RawDocument:
    text, encoding = decode_bytes(path.read_bytes())
    if _looks_binary(text):
        raise ReadError("binary data, not text")
    return RawDocument(text=text, encoding=encoding)


def _docx_heading_level(style_name: str) -> int | None:
    name = style_name.lower().replace(" ", "")
    for prefix in ("heading", "标题"):
        if name.startswith(prefix):
            digits = name[len(prefix):]
            return int(digits) if digits.isdigit() else 1
    if name == "title":
        return 0
    return None


def read_docx(path: Path) -> RawDocument:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ReadError("python-docx is not installed") from exc
    try:
        document = docx.Document(str(path))
    except (FileNotFoundError, PermissionError):
        raise
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ReadError(f"corrupt or unsupported DOCX ({exc.__class__.__name__})") from exc
    except Exception as exc:  # damaged archives and XML raise zlib, OSError, lxml errors, …
        raise ReadError(f"corrupt DOCX ({exc.__class__.__name__}: {str(exc)[:120]})") from exc
    lines: list[str] = []
    levels: dict[str, int] = {}
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = docx.text.paragraph.Paragraph(block, document)
            text = para.text.strip()
            if not text:
                lines.append("")
                continue
            level = _docx_heading_level(para.style.name if para.style is not None else "")
            if level:
                levels[text] = level
            lines.append(text)
        elif tag == "tbl":
            table = docx.table.Table(block, document)
            for row in table.rows:
                cells = [c.text.strip() for c in row.cells]
                lines.append("｜".join(dict.fromkeys(c for c in cells if c)))
    text = "\n".join(lines)
    if not text.strip():
        raise ReadError("DOCX contains no text")
    return RawDocument(text=text, heading_levels=levels)


def read_pdf(path: Path) -> RawDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported crypto
                raise ReadError("password-protected PDF") from exc
            if not ok:
                raise ReadError("password-protected PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (ReadError, FileNotFoundError, PermissionError):
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ReadError(f"corrupt or truncated PDF ({exc.__class__.__name__}: {exc})") from exc
    except Exception as exc:  # damaged files reach pypdf code paths that raise anything
        raise ReadError(f"corrupt or unsupported PDF ({exc.__class__.__name__}: {str(exc)[:120]})") from exc
    # A blank line between pages lets the cleaner rejoin sentences broken by the page break.
    text = "\n\n".join(pages)
    if not text.strip():
        raise ReadError("PDF has no extractable text (scanned image?)")
    return RawDocument(text=text)


READERS: dict[str, Callable[[Path], RawDocument]] = {
    ".txt": read_text,
    ".md": read_text,
    ".docx": read_docx,
    ".pdf": read_pdf,
}


def check_archive(path: Path, max_xml_bytes: int = MAX_UNPACKED_BYTES) -> None:
    """Refuse a zip whose parts unpack to more than the caps (an 87 KB DOCX whose XML expands to 15 MB
    kept an ingest busy for minutes). Sizes come from the zip directory; zipfile never reads past them."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        kind = path.suffix.lstrip(".").upper() or "archive"
        raise ReadError(f"corrupt or unsupported {kind} ({exc.__class__.__name__})") from exc
    xml = sum(i.file_size for i in infos if i.filename.lower().endswith((".xml", ".rels")))
    total = sum(i.file_size for i in infos)
    mb = 1024 * 1024
    if xml > max_xml_bytes or total > 20 * max_xml_bytes:
        raise ReadError(f"archive unpacks to {max(xml, total) / mb:.3g} MB "
                        f"({xml / mb:.3g} MB of XML), over the limit of {max_xml_bytes / mb:.3g} MB of XML "
                        f"(RAG_MAX_UNPACKED_MB; a zip bomb or an unusually large document)")


def read_document(path: Path, max_unpacked_bytes: int = MAX_UNPACKED_BYTES) -> RawDocument:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ReadError(f"unsupported file type '{path.suffix or '(none)'}'")
    try:
        if path.suffix.lower() in ARCHIVE_SUFFIXES:
            check_archive(path, max_unpacked_bytes)
        return reader(path)
    except FileNotFoundError as exc:
        raise ReadError("file disappeared while reading") from exc
    except PermissionError as exc:
        raise ReadError("permission denied") from exc
