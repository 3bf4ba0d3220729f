"""Web pages as government sites publish reports: the article kept, site furniture (menu, breadcrumb,
索引号 table, share/print links, footer) dropped by trafilatura; charset from the page's own declaration.
"""

from __future__ import annotations

import re
from pathlib import Path

from rag.ingest.readers.base import RawDocument, ReadError
from rag.ingest.readers.text import decode_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_SITE_SUFFIX = re.compile(r"\s*[_|｜—-]\s*[^_|｜—-]{2,30}(网|网站|门户)$")


def decode_html(data: bytes) -> tuple[str, str]:
    """(text, encoding): the page's declared charset (GBK/GB2312 read as GB18030), else detection."""
    m = _META_CHARSET.search(data[:4096])
    if m and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        declared = m.group(1).decode("ascii").lower()
        encoding = "gb18030" if declared.replace("-", "") in {"gbk", "gb2312", "cp936", "gb18030"} else declared
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration is common: fall back to detection
    return decode_bytes(data)


class HtmlReader:
    suffixes = (".html", ".htm", ".shtml")

    def read(self, path: Path) -> RawDocument:
        import trafilatura

        page, encoding = decode_html(path.read_bytes())
        try:
            doc = trafilatura.bare_extraction(page, include_comments=False, include_tables=True,
                                              favor_recall=True, with_metadata=True)
        except Exception as exc:  # malformed markup deep inside lxml
            raise ReadError(f"unreadable HTML ({exc.__class__.__name__}: {str(exc)[:120]})") from exc
        text = (doc.text if doc is not None else "") or ""
        if not text.strip():
            raise ReadError("HTML page has no article text")
        title = _SITE_SUFFIX.sub("", (doc.title or "").strip())
        if title and title not in (ln.strip() for ln in text.split("\n")[:40]):
            text = f"{title}\n{text}"  # the page's <h1> sits above the article body
        return RawDocument(text=text, encoding=encoding, source_type="html")
