"""Paragraphs rebuilt from positioned lines (PDF, OFD, OCR): by indents, line ends and gaps, not punctuation.

Official documents justify their text: a line that reaches the right margin continues on the next line
unless that line is indented (a new paragraph starts two characters in). Centred or right-aligned lines
(header, 文号, title, signature) stand alone, except consecutive large-type title lines, which are one title.
A paragraph that runs over a page break continues on the next page, and records where the page changes.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from rag.ingest.clean import _continues, normalize_line
from rag.ingest.headings import heading_level
from rag.ingest.readers.base import Paragraph

# Printed page numbers and running footers: "— 3 —", "- 3 -", "第3页 共9页", "3/9".
# OCR reads the dashes of "— 3 —" as 一.
_PAGE_NUMBER = re.compile(r"^[-—–－~～一\s]*\d{1,4}[-—–－~～一\s]*$|^第\s*\d+\s*页(\s*[/，,]?\s*共\s*\d+\s*页)?$|^\d{1,4}\s*/\s*\d{1,4}$")


def is_page_number(text: str) -> bool:
    """A printed page number or running page footer ("— 3 —", "第3页 共9页")."""
    return bool(_PAGE_NUMBER.match(text.strip()))


@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float  # y grows downwards
    bottom: float
    page: int  # 1-based

    @property
    def height(self) -> float:
        return self.bottom - self.top


def group_lines(segments: list[Line]) -> list[Line]:
    """Text segments of one page merged into lines (segments that overlap vertically), top to bottom."""
    lines: list[list[Line]] = []
    for seg in sorted(segments, key=lambda s: (s.top, s.x0)):
        for line in lines:
            ref = line[0]
            overlap = min(ref.bottom, seg.bottom) - max(ref.top, seg.top)
            if overlap > 0.5 * min(ref.height, seg.height):
                line.append(seg)
                break
        else:
            lines.append([seg])
    out = []
    for parts in lines:
        parts.sort(key=lambda s: s.x0)
        text = ""
        for p in parts:
            text = _join(text, p.text.strip())
        out.append(Line(text, parts[0].x0, max(p.x1 for p in parts), min(p.top for p in parts),
                        max(p.bottom for p in parts), parts[0].page))
    return sorted(out, key=lambda ln: (ln.top, ln.x0))


def _join(a: str, b: str) -> str:
    if not a:
        return b
    if not b:
        return a
    return a + (" " if a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum() else "") + b


_LEAD = re.compile(r"^.[”’」』）》〕】，。、；：！？…]*(?:[“‘《（〔【]?[0-9A-Za-z.%]+[”’》）〕】，。、]*)?")


def _lead_width(text: str, size: float) -> float:
    """Printed width of a line's first unbreakable piece: a character, closing punctuation, a number."""
    lead = m.group(0) if (m := _LEAD.match(text.strip())) else ""
    return sum(0.55 * size if ch.isascii() else size for ch in lead)


def paragraphs(pages: list[list[Line]]) -> list[Paragraph]:
    """Paragraphs of a document given its lines page by page (each page's lines top to bottom)."""
    lines = [ln for page in pages for ln in page if ln.text.strip() and not _PAGE_NUMBER.match(ln.text.strip())]
    if not lines:
        return []
    body = [ln for ln in lines if len(ln.text) >= 12] or lines
    size = statistics.median(ln.height for ln in body)
    left = statistics.median_low(sorted(round(ln.x0) for ln in body))
    left = min((ln.x0 for ln in body if abs(ln.x0 - left) < size), default=left)
    right = sorted(ln.x1 for ln in body)[int(0.9 * (len(body) - 1))]
    pitches = [b.top - a.top for a, b in zip(lines, lines[1:], strict=False)
               if a.page == b.page and 0 < b.top - a.top < 3 * size]
    pitch = statistics.median(pitches) if pitches else 1.5 * size

    # Documents that indent first lines (公文 do, by two characters) mark every new paragraph that way, so
    # a ragged line end there is only a wrap; elsewhere only a line that reaches the margin continues.
    indent_style = sum(1 for ln in body if abs(ln.x0 - left - 2 * size) < 0.6 * size) >= 3

    out: list[Paragraph] = []
    prev: Line | None = None
    for ln in lines:
        big = ln.height > 1.2 * size
        new = True
        if prev is not None:
            indented = ln.x0 > left + 0.8 * size
            prev_big = prev.height > 1.2 * size
            prev_body = prev.x0 < left + 2.5 * size  # not a centred or right-aligned line
            # A line also ends short when the next line's first unbreakable piece ("办”，2024") did not fit.
            room = _lead_width(ln.text, size) + 1.2 * size
            prev_full = right - prev.x1 < (max(room, 4 * size) if indent_style else room)
            if not indent_style and not prev_full:
                # Without first-line indents a short line may still be a sentence cut by a page break:
                # the punctuation rules of plain text decide.
                prev_full = _continues(normalize_line(prev.text), normalize_line(ln.text))
            gap = ln.top - prev.top if ln.page == prev.page else pitch
            if big and prev_big and ln.page == prev.page and gap < 1.8 * max(ln.height, prev.height) \
                    and abs(ln.height - prev.height) < 0.2 * ln.height:
                new = False  # a title set over several lines
            elif not indented and prev_body and prev_full and not big and not prev_big and gap < 1.6 * pitch \
                    and (indent_style or heading_level(normalize_line(ln.text)) is None):
                new = False
        text = ln.text.strip()
        if new or not out:
            out.append(Paragraph(text, ln.page))
        else:
            para = out[-1]
            if ln.page != prev.page:
                para.breaks.append((len(para.text), ln.page))
            para.text = _join(para.text, text)
        prev = ln
    return out
