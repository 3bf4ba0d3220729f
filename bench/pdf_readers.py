"""Which PDF library to read reports with: each candidate's text lines go through the same layout rules
(rag.ingest.readers.layout) and the same cleaner, and are compared with the .txt parse of the same report.

    python bench/pdf_readers.py FIXTURES_DIR/pdf

Measures per library: parse seconds, paragraphs identical to the .txt parse (share of its lines found as
lines), whole text identical ignoring whitespace, and section paths identical. "pypdf (old)" is the
previous reader: plain extract_text() and punctuation-based rejoining.
PyMuPDF is not measured: it is AGPL-3.0, which this MIT project cannot ship.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.ingest.clean import clean_text  # noqa: E402
from rag.ingest.document import parse_document  # noqa: E402
from rag.ingest.readers.layout import Line, group_lines, paragraphs  # noqa: E402
from rag.ingest.structure import parse_sections  # noqa: E402
from rag.text import match_key  # noqa: E402


def pypdf_old(path: Path) -> tuple[str, bool]:
    from pypdf import PdfReader

    return "\n\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages), False


def pdfplumber_layout(path: Path) -> tuple[str, bool]:
    import pdfplumber

    pages = []
    with pdfplumber.open(str(path)) as pdf:
        for n, page in enumerate(pdf.pages, start=1):
            segs = [Line(t["text"], t["x0"], t["x1"], t["top"], t["bottom"], n) for t in page.extract_text_lines()]
            pages.append(group_lines(segs))
    return "\n".join(p.text for p in paragraphs(pages)), True


def pypdfium2_layout(path: Path) -> tuple[str, bool]:
    import pypdfium2 as pdfium

    from rag.ingest.readers.pdf import pdf_lines

    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(p.text for p in paragraphs(pdf_lines(pdf))), True
    finally:
        pdf.close()


def pypdf_layout(path: Path) -> tuple[str, bool]:
    """pypdf's text fragments with their positions (visitor); widths estimated from the font size."""
    from pypdf import PdfReader

    pages = []
    for n, page in enumerate(PdfReader(str(path)).pages, start=1):
        height = float(page.mediabox.height)
        segs: list[Line] = []

        def visit(text, cm, tm, font_dict, font_size, segs=segs, n=n, height=height):
            if not text.strip():
                return
            size = font_size * tm[0] if tm[0] else font_size
            x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
            width = sum(0.55 * size if ch.isascii() else size for ch in text.strip())
            segs.append(Line(text.strip(), x, x + width, height - y - size, height - y, n))

        page.extract_text(visitor_text=visit)
        pages.append(group_lines(segs))
    return "\n".join(p.text for p in paragraphs(pages)), True


CANDIDATES = {"pypdf (old)": pypdf_old, "pypdf + layout": pypdf_layout, "pdfplumber + layout": pdfplumber_layout,
              "pypdfium2 + layout": pypdfium2_layout}


def main() -> None:
    folder = Path(sys.argv[1])
    refs = {t.stem: parse_document(t) for t in sorted((REPO / "data" / "reports").glob("*.txt"))}
    print(f"{'library':22s} {'seconds':>8s} {'paragraphs':>10s} {'same text':>9s} {'same sections':>13s}")
    for name, extract in CANDIDATES.items():
        secs = lines_ok = lines_all = same_text = same_sections = 0
        for doc, ref in refs.items():
            t0 = time.perf_counter()
            raw, known = extract(folder / f"{doc}.pdf")
            cleaned = clean_text(raw, paragraphs_known=known)
            secs += time.perf_counter() - t0
            got = set(cleaned.text.split("\n"))
            ref_lines = ref.text.split("\n")
            lines_ok += sum(1 for ln in ref_lines if ln in got)
            lines_all += len(ref_lines)
            same_text += match_key(cleaned.text) == match_key(ref.text)
            paths = [s.path for s in parse_sections(cleaned.text)]
            same_sections += paths == [s.path for s in ref.sections]
        n = len(refs)
        print(f"{name:22s} {secs:8.2f} {lines_ok / lines_all:10.3f} {same_text:>5d}/{n} {same_sections:>9d}/{n}")


if __name__ == "__main__":
    main()
