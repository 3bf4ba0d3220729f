"""DOCX, including 公文 layout: title over several paragraphs or line breaks, headings as bold paragraphs
(no heading style), tables as one line per row. Opened through the archive helper so size caps apply.

Pages: Word lays a document out only when it shows or prints it, but when it saves it records where each page
ended (``w:lastRenderedPageBreak``). A file that carries these marks gets page numbers (a hard page break
counts too, once). A file saved by a program that never paginated it (python-docx, most generators, LibreOffice)
has none: its citations carry no page, unless ``RAG_DOCX_PAGES=libreoffice`` lays it out (docx_pages.py).
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

from rag.ingest.headings import parse_heading
from rag.ingest.readers.archive import open_zip, read_member
from rag.ingest.readers.base import RawDocument, ReadError, ReadOptions

log = logging.getLogger(__name__)

_TERMINAL = re.compile(r"[。！？；：]$")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT_TAGS = {f"{_W}{t}" for t in ("t", "tab", "br", "cr", "noBreakHyphen", "ptab")}


def _is_page_break(el) -> bool:
    return el.tag == f"{_W}lastRenderedPageBreak" or (el.tag == f"{_W}br" and el.get(f"{_W}type") == "page")


def _break_offsets(p) -> list[int]:
    """Offsets in ``Paragraph.text`` where a page ended when the file was saved (rendered or hard breaks)."""
    offsets = [0] if p.find(f"{_W}pPr/{_W}pageBreakBefore") is not None else []
    pos = 0
    for run in p.xpath("./w:r | ./w:hyperlink/w:r"):
        for el in run.iterchildren():
            if _is_page_break(el):
                offsets.append(pos)
            if el.tag in _TEXT_TAGS:
                pos += len(str(el))
    return offsets


class _Pager:
    """Turns page-end marks into (offset, page) marks: a page starts at the first text after any number of
    marks, so Word's rendered mark right after a hard break counts once."""

    def __init__(self) -> None:
        self.page = 1
        self.pending = False

    def line_marks(self, text: str, breaks: list[int]) -> list[tuple[int, int]]:
        marks: list[tuple[int, int]] = []
        breaks = sorted(breaks)
        for i, ch in enumerate(text):
            while breaks and breaks[0] <= i:
                breaks.pop(0)
                self.pending = True
            if self.pending and not ch.isspace():
                self.page += 1
                self.pending = False
                marks.append((i, self.page))
        if breaks:
            self.pending = True
        return marks


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

    def __init__(self, options: ReadOptions | None = None) -> None:
        self.options = options or ReadOptions()

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
        body = document.element.body
        paged = bool(body.xpath(".//w:lastRenderedPageBreak"))
        pager = _Pager()
        lines: list[str] = []
        marks: list[list[tuple[int, int]]] = []
        levels: dict[str, int] = {}
        body_started = False
        for block in body.iterchildren():
            tag = block.tag.rsplit("}", 1)[-1]
            if tag == "p":
                para = docx.text.paragraph.Paragraph(block, document)
                breaks = _break_offsets(block) if paged else []
                # A line break inside a paragraph (title set on two lines, signature above date) is a line.
                start = 0
                for raw_line in para.text.split("\n"):
                    line_breaks = [o - start for o in breaks if start <= o <= start + len(raw_line)]
                    lead = len(raw_line) - len(raw_line.lstrip())
                    own = pager.line_marks(raw_line, line_breaks)
                    start += len(raw_line) + 1
                    text = raw_line.strip()
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
                    marks.append([(max(0, o - lead), p) for o, p in own])
            elif tag == "tbl":
                table = docx.table.Table(block, document)
                for row in table.rows:
                    cells = [c.text.strip() for c in row.cells]
                    text = "｜".join(dict.fromkeys(c for c in cells if c))
                    row_breaks = [0] if paged and any(_is_page_break(el) for el in row._tr.iter()) else []
                    own = pager.line_marks(text, row_breaks)
                    if text:
                        lines.append(text)
                        marks.append(own)
        text = "\n".join(lines)
        if not text.strip():
            raise ReadError("DOCX contains no text")
        if paged and not (marks[0] and marks[0][0][0] == 0):
            marks[0].insert(0, (0, 1))
        if not paged and self.options.docx_pages == "libreoffice":
            from rag.ingest.readers.docx_pages import libreoffice_pages

            try:
                marks, paged = libreoffice_pages(path, lines), True
            except ReadError as exc:  # the text is still good: keep it, without pages
                log.warning("%s: no page numbers (%s)", path.name, exc)
        return RawDocument(text=text, heading_levels=levels, source_type="docx", page_marks=marks if paged else None)
