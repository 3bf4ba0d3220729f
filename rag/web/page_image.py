"""The original page as a PNG with the quoted sentence highlighted: what a source's "查看原文" opens.

PDF pages are rendered on the server by PDFium (pypdfium2), so the browser needs no PDF viewer and nothing is
fetched from outside. OFD pages are drawn from the file's own text objects at their positions and sizes, in a
CJK font found on the machine (fontconfig): the text layout of the page, without its images and seals. Only
indexed documents can be shown, by document id, never by path.
"""

from __future__ import annotations

import io
import subprocess
import unicodedata
from collections.abc import Callable
from functools import lru_cache
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
    # Part of the quote on this page: its head near the page's end, or its tail near the page's start (a
    # running footer or header may follow or precede it).
    for n in range(len(needle) - 1, MIN_ANCHOR - 1, -1):
        if (i := haystack.rfind(needle[:n])) >= 0:
            return i, i + n
        if (i := haystack.find(needle[-n:])) >= 0:
            return i, i + n
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


def _png(image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG", optimize=False)
    return out.getvalue()


def _highlight(image, boxes, height: float, scale: float):
    """``boxes`` (left, bottom, right, top; y up from the page bottom, page units) drawn over the image."""
    from PIL import Image, ImageDraw

    if not boxes:
        return image
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for left, bottom, right, top in boxes:
        draw.rectangle([left * scale - 2, (height - top) * scale - 2, right * scale + 2,
                        (height - bottom) * scale + 2], fill=HIGHLIGHT)
    return Image.alpha_composite(image.convert("RGBA"), overlay)


def render_page(path: Path, page_no: int, quote: str = "") -> bytes:
    """PNG bytes of PDF page ``page_no`` (1-based), the quote's lines highlighted when found on it."""
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
    return _png(_highlight(image, boxes, height, SCALE))


@lru_cache(maxsize=1)
def cjk_font_file() -> str | None:
    """A font file with Chinese glyphs, from fontconfig (Noto CJK, WenQuanYi, …); None when there is none."""
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.split(":")[0].strip() for line in out.splitlines() if line.strip())
    # Regular weights first, serif (the body type of 公文) before sans.
    files.sort(key=lambda f: ("Regular" not in f, "Serif" not in f, f))
    return files[0] if files else None


OFD_SCALE = 108 / 25.4  # pixels per millimetre: the same 108 dpi as PDF pages


def render_ofd_page(path: Path, page_no: int, quote: str = "") -> bytes:
    """PNG bytes of OFD page ``page_no`` (1-based): its text objects drawn in place, the quote highlighted."""
    from PIL import Image, ImageDraw, ImageFont

    from rag.ingest.readers.base import ReadError
    from rag.ingest.readers.ofd import ofd_pages

    pages = ofd_pages(path)
    if not 1 <= page_no <= len(pages):
        raise ReadError("no such page")
    (width, height), objects = pages[page_no - 1]
    image = Image.new("RGBA", (round(width * OFD_SCALE), round(height * OFD_SCALE)), "white")
    draw = ImageDraw.Draw(image)
    font_file = cjk_font_file()
    chars = []  # PDF-style (char, left, bottom, right, top, generated), y up, in millimetres
    for line, size in objects:
        px = max(6, round(size * OFD_SCALE))
        font = ImageFont.truetype(font_file, px) if font_file else ImageFont.load_default(px)
        draw.text((line.x0 * OFD_SCALE, line.top * OFD_SCALE), line.text, fill="black", font=font)
        step = (line.x1 - line.x0) / max(1, len(line.text))  # characters spread evenly over the object
        for i, ch in enumerate(line.text):
            left = line.x0 + i * step
            chars.append((ch, left, height - line.bottom, left + step, height - line.top, False))
    boxes = quote_boxes(chars, quote) if quote else []
    return _png(_highlight(image, boxes, height, OFD_SCALE))


#: Source types whose original page can be shown, and the function that draws it.
PAGE_RENDERERS: dict[str, Callable[[Path, int, str], bytes]] = {"pdf": render_page, "ofd": render_ofd_page}
