"""DOCX, including 公文 layout: title over several paragraphs or line breaks, headings as bold paragraphs
(no heading style), tables as one line per row. Opened through the archive helper so size caps apply.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from rag.ingest.headings import parse_heading
from rag.ingest.readers.archive import open_zip, read_member
from rag.ingest.readers.base import RawDocument, ReadError

_TERMINAL = re.compile(r"[。！？；：]$")


def _heading_level(style_name: str) -> int | None:
    name = style_name.lower().replace(" ", "")
    for prefix in ("heading", "标题"):
        if name.startswith(prefix):
            digits = name[len(prefix):]
            return int(digits) if digits.isdigit() else 1
    if name == "title":
        return 0
    return None


def _all_bold(para) -> bool:
    runs = [r for r in para.runs if r.text.strip()]
    return bool(runs) and all(r.bold or (r.style is not None and r.style.font.bold) for r in runs)


class DocxReader:
    suffixes = (".docx",)

    def read(self, path: Path) -> RawDocument:
        import docx

        with open_zip(path, "DOCX") as archive:
            # Every member python-docx will parse goes through the capped reader first.
            members = {n: read_member(archive, n, "DOCX") for n in archive.namelist() if not n.endswith("/")}
        buf = io.BytesIO()
        import zipfile

        with zipfile.ZipFile(buf, "w") as z:
            for name, data in members.items():
                z.writestr(name, data)
        try:
            document = docx.Document(io.BytesIO(buf.getvalue()))
        except Exception as exc:  # damaged XML raises lxml, KeyError, ValueError, …
            raise ReadError(f"corrupt or unsupported DOCX ({exc.__class__.__name__}: {str(exc)[:120]})") from exc
        lines: list[str] = []
        levels: dict[str, int] = {}
        body_started = False
        for block in document.element.body.iterchildren():
            tag = block.tag.rsplit("}", 1)[-1]
            if tag == "p":
                para = docx.text.paragraph.Paragraph(block, document)
                # A line break inside a paragraph (title set on two lines, signature above date) is a line.
                for text in (t.strip() for t in para.text.split("\n")):
                    if not text:
                        continue
                    level = _heading_level(para.style.name if para.style is not None else "")
                    if level:
                        levels[text] = level
                    elif parse_heading(text):
                        body_started = True
                    elif body_started and _all_bold(para) and len(text) <= 30 and not _TERMINAL.search(text):
                        levels[text] = 1  # 公文: an unnumbered heading is a bold paragraph
                    lines.append(text)
            elif tag == "tbl":
                table = docx.table.Table(block, document)
                for row in table.rows:
                    cells = [c.text.strip() for c in row.cells]
                    lines.append("｜".join(dict.fromkeys(c for c in cells if c)))
        text = "\n".join(lines)
        if not text.strip():
            raise ReadError("DOCX contains no text")
        return RawDocument(text=text, heading_levels=levels, source_type="docx")
