"""PDF through pypdfium2 (PDFium, Apache-2.0/BSD): text lines with their positions, rebuilt into paragraphs
by layout; pages without a text layer go to OCR when it is on. Chosen by measurement, see bench/pdf_readers.py.
"""

from __future__ import annotations

from pathlib import Path

from rag.ingest.readers.base import RawDocument, ReadError, ReadOptions
from rag.ingest.readers.layout import Line, group_lines, paragraphs


def page_chars(textpage) -> list[tuple[str, float, float, float, float, bool]]:
    """(char, left, bottom, right, top, generated) for every character PDFium finds on a page."""
    import pypdfium2.raw as raw

    out = []
    for i in range(textpage.count_chars()):
        ch = chr(raw.FPDFText_GetUnicode(textpage, i))
        left, bottom, right, top = textpage.get_charbox(i, loose=True)
        out.append((ch, left, bottom, right, top, bool(raw.FPDFText_IsGenerated(textpage, i))))
    return out


Char = tuple[str, float, float, float, float, bool]


def _segment(chars: list[Char], height: float, page_no: int) -> Line | None:
    chars = [c for c in chars if not c[5] or c[0] == " "]  # generated spaces separate words; \r\n do not
    while chars and chars[-1][0].isspace():
        chars.pop()
    while chars and chars[0][0].isspace():
        chars.pop(0)
    boxed = [c for c in chars if not c[5]]
    if not boxed:
        return None
    return Line("".join(c[0] for c in chars), min(c[1] for c in boxed), max(c[3] for c in boxed),
                height - max(c[4] for c in boxed), height - min(c[2] for c in boxed), page_no)


def _segments(chars: list[Char], height: float, page_no: int) -> list[Line]:
    """Runs of characters on one baseline, in PDFium's reading order."""
    runs: list[list[Char]] = [[]]
    for c in chars:
        if c[0] in "\r\n":
            runs.append([])
            continue
        ref = next((x for x in reversed(runs[-1]) if not x[5]), None)
        if ref is not None and not c[5]:
            size = ref[4] - ref[2]
            if abs((c[2] + c[4]) / 2 - (ref[2] + ref[4]) / 2) > 0.5 * size or c[1] < ref[1] - 2 * size:
                runs.append([])
        runs[-1].append(c)
    return [seg for run in runs if (seg := _segment(run, height, page_no))]


def pdf_lines(pdf) -> list[list[Line]]:
    """Lines of each page of an open ``pypdfium2.PdfDocument``, built from character boxes."""
    pages = []
    for i in range(len(pdf)):
        page = pdf[i]
        textpage = page.get_textpage()
        pages.append(group_lines(_segments(page_chars(textpage), page.get_height(), i + 1)))
        textpage.close()
        page.close()
    return pages


def open_pdf(path: Path):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        if "password" in msg:
            raise ReadError("password-protected PDF") from exc
        raise ReadError(f"corrupt or truncated PDF ({exc})") from exc


class PdfReader:
    suffixes = (".pdf",)

    def __init__(self, options: ReadOptions | None = None) -> None:
        self.options = options or ReadOptions()

    def read(self, path: Path) -> RawDocument:
        pdf = open_pdf(path)
        try:
            try:
                pages = pdf_lines(pdf)
            except Exception as exc:  # damaged content streams
                raise ReadError(f"corrupt or unsupported PDF ({exc.__class__.__name__}: {str(exc)[:120]})") from exc
            chars = [sum(len(ln.text) for ln in page) for page in pages]
            image_pages = [i for i, n in enumerate(chars) if n < self.options.ocr_min_chars_per_page]
            ocr = False
            if image_pages and sum(chars) < self.options.ocr_min_chars_per_page * len(pages):
                if not self.options.ocr:
                    raise ReadError("PDF has no extractable text (scanned image?) and OCR is off (RAG_OCR)")
                from rag.ingest.readers.ocr import ocr_pdf_pages

                for i, lines in ocr_pdf_pages(pdf, image_pages).items():
                    pages[i] = lines
                ocr = True
        finally:
            pdf.close()
        paras = paragraphs(pages)
        if not paras:
            raise ReadError("PDF has no extractable text (scanned image?)")
        return RawDocument.from_paragraphs(paras, ocr=ocr, source_type="pdf")
