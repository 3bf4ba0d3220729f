"""The original PDF page as a PNG with the quoted sentence highlighted: what a source's "查看原文" opens.

Rendered on the server by PDFium (pypdfium2), so the browser needs no PDF viewer and nothing is fetched
from outside. Only PDFs that are indexed documents can be shown, by document id, never by path.
"""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

from rag.ingest.readers.pdf import open_pdf, page_chars
from rag.text import match_key

SCALE = 1.5  # 108 dpi: readable on screen, ~150 KB a page
HIGHLIGHT = (255, 214, 0, 110)
MIN_ANCHOR = 6  # characters of a quote that must match to place a highlight


def _key(ch: str) -> str:
    return match_key(unicodedata.normalize("NFKC", ch))


def _find(haystack: str, needle: str) -> tuple[int, int] | None:
    """Where the quote (or, when it runs over the page break, its part on this page) is in the page text."""
    if not needle:
        return None
    i = haystack.find(needle)
    if i >= 0:
        return i, i + len(needle)
    # Part of the quote on this page: its head at the page's end, or its tail at the page's start.
    for n in range(len(needle) - 1, MIN_ANCHOR - 1, -1):
        if haystack.endswith(needle[:n]):
            return len(haystack) - n, len(haystack)
        if haystack.startswith(needle[-n:]):
            return 0, n
    return None


def quote_boxes(chars, quote: str) -> list[tuple[float, float, float, float]]:
    """One (left, bottom, right, top) box per printed line of the quote, in PDF points."""
    keyed: list[tuple[str, tuple]] = [(_key(c[0]), c) for c in chars if not c[5]]
    text = ""
    owner: list[int] = []
    for i, (k, _) in enumerate(keyed):
        text += k
        owner.extend([i] * len(k))
    boxes: list[list[float]] = []
    for part in quote.split("……"):
        span = _find(text, match_key(part))
        if span is None:
            continue
        for idx in sorted({owner[j] for j in range(*span)}):
            _, (_, left, bottom, right, top, _) = keyed[idx]
            last = boxes[-1] if boxes else None
            if last and abs(last[1] - bottom) < 0.5 * (top - bottom) and left >= last[0]:
                last[2], last[3] = max(last[2], right), max(last[3], top)
            else:
                boxes.append([left, bottom, right, top])
    return [tuple(b) for b in boxes]


def page_count(path: Path) -> int:
    pdf = open_pdf(path)
    try:
        return len(pdf)
    finally:
        pdf.close()


def render_page(path: Path, page_no: int, quote: str = "") -> bytes:
    """PNG bytes of page ``page_no`` (1-based), the quote's lines highlighted when found on it."""
    from PIL import Image, ImageDraw

    pdf = open_pdf(path)
    try:
        page = pdf[page_no - 1]
        height = page.get_height()
        image = page.render(scale=SCALE).to_pil().convert("RGBA")
        boxes = []
        if quote:
            textpage = page.get_textpage()
            boxes = quote_boxes(page_chars(textpage), quote)
            textpage.close()
        page.close()
    finally:
        pdf.close()
    if boxes:
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        for left, bottom, right, top in boxes:
            draw.rectangle([left * SCALE - 2, (height - top) * SCALE - 2, right * SCALE + 2,
                            (height - bottom) * SCALE + 2], fill=HIGHLIGHT)
        image = Image.alpha_composite(image, overlay)
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG", optimize=False)
    return out.getvalue()
