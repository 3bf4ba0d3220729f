"""Page numbers for a DOCX that carries none, by laying it out with LibreOffice (``RAG_DOCX_PAGES=libreoffice``).

The file is converted to PDF by ``soffice --headless`` in a private temporary profile, and each DOCX line is
found, in order, in the PDF's page texts (match keys, printed page numbers left out): a line starts on the
page where it is found, and a page boundary inside it becomes a mark. Pages are LibreOffice's layout, which
for 公文 set in standard fonts is the printed one; a line not found keeps the page before it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from rag.ingest.readers.base import ReadError
from rag.text import match_key

#: How long one conversion may take before the file is read without pages.
SOFFICE_TIMEOUT_S = 180
#: How far ahead of the last match a line is looked for (match-key characters).
SEARCH_WINDOW = 4000


def soffice_pdf(path: Path, out_dir: Path) -> Path:
    """``path`` converted to PDF by LibreOffice; ReadError when soffice is missing or fails."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise ReadError("RAG_DOCX_PAGES=libreoffice but soffice is not installed")
    try:
        subprocess.run([soffice, f"-env:UserInstallation=file://{out_dir}/profile", "--headless", "--convert-to",
                        "pdf", "--outdir", str(out_dir), str(path)], check=True, capture_output=True,
                       timeout=SOFFICE_TIMEOUT_S)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise ReadError(f"LibreOffice could not lay out the DOCX ({exc.__class__.__name__})") from exc
    pdf = out_dir / f"{path.stem}.pdf"
    if not pdf.exists():
        raise ReadError("LibreOffice wrote no PDF")
    return pdf


def _page_keys(pdf_path: Path) -> tuple[str, list[int]]:
    """Match-key text of all pages and the offset where each page starts in it."""
    from rag.ingest.readers.layout import is_page_number
    from rag.ingest.readers.pdf import open_pdf, pdf_lines

    pdf = open_pdf(pdf_path)
    try:
        pages = pdf_lines(pdf)
    finally:
        pdf.close()
    text, starts = "", []
    for lines in pages:
        starts.append(len(text))
        text += "".join(match_key(ln.text) for ln in lines if not is_page_number(ln.text))
    return text, starts


def _keyed(line: str) -> tuple[str, list[int]]:
    """A line's match key and, per key character, its offset in the line."""
    key, where = [], []
    for i, ch in enumerate(line):
        for k in match_key(ch):
            key.append(k)
            where.append(i)
    return "".join(key), where


def align_pages(lines: list[str], stream: str, starts: list[int]) -> list[list[tuple[int, int]]]:
    """(offset in line, page) marks for each line, from the page texts of the same document."""
    import bisect

    def page_at(pos: int) -> int:
        return bisect.bisect_right(starts, pos)  # 1-based

    marks: list[list[tuple[int, int]]] = []
    cursor, page = 0, 1
    for line in lines:
        key, where = _keyed(line)
        own: list[tuple[int, int]] = []
        probe = key[:24]
        pos = stream.find(probe, cursor, cursor + SEARCH_WINDOW + len(probe)) if probe else -1
        if pos >= 0:
            if page_at(pos) != page:
                page = page_at(pos)
                own.append((0, page))
            end = min(len(stream), pos + len(key))
            for start in starts:
                if pos < start < end:
                    page = page_at(start)
                    own.append((where[start - pos], page))
            cursor = end
        marks.append(own)
    if marks and not (marks[0] and marks[0][0][0] == 0):
        marks[0].insert(0, (0, 1))
    return marks


def libreoffice_pages(path: Path, lines: list[str]) -> list[list[tuple[int, int]]]:
    """Page marks for the lines read from the DOCX at ``path``."""
    with tempfile.TemporaryDirectory(prefix="rag-docx-pages-") as tmp:
        stream, starts = _page_keys(soffice_pdf(path, Path(tmp)))
    return align_pages(lines, stream, starts)
