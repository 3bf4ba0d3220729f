"""Plain text (.txt, .md) in UTF-8 (±BOM), UTF-16/32, GB18030/GBK or whatever charset-normalizer detects."""

from __future__ import annotations

from pathlib import Path

from rag.ingest.readers.base import RawDocument, ReadError


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


class TextReader:
    suffixes = (".txt", ".md")

    def read(self, path: Path) -> RawDocument:
        doc = read_text(path)
        doc.source_type = path.suffix.lower().lstrip(".")
        return doc
