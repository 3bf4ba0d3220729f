"""OCR for scanned PDFs and page images with RapidOCR (PaddleOCR models run by onnxruntime; the models
ship inside the ``rapidocr-onnxruntime`` wheel, so it works offline). Text boxes become lines and go through
the same layout rules as PDF text.

RapidOCR's per-line angle classifier is off: on short upright lines of Chinese print it turned whole lines
upside down before recognition, which then read nothing (about one line in 25 lost on the test scans).
Orientation is decided once per page instead: a page read with low confidence is tried rotated by 180°.
A line that opens with （ or 《 starts its box at the ink, half a character right of where the print cell starts;
it is moved back, and a box made taller by quote marks is cut to its type size, so the layout rules see the
same indents and sizes as in a PDF.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from rag.ingest.readers.base import RawDocument, ReadError, ReadOptions
from rag.ingest.readers.layout import Line, group_lines, paragraphs

#: Render scale for scanned PDF pages (2 = 144 dpi: small Chinese print stays legible to the model).
RENDER_SCALE = 2.0
#: A page whose recognised characters average below this confidence is tried upside down as well.
UPRIGHT_CONFIDENCE = 0.8

# The recogniser reads a dash between digits ("2022-2025", "—2—" footers) as the character 一.
_DIGIT_DASH = re.compile(r"(?<=\d)一(?=\d)")
# ... and the year brackets of a 文号 (狮政综〔2025〕5号) as [ 】 ［ in any mix.
_YEAR_BRACKETS = re.compile(r"[\[【〔［]\s*(\d{4})\s*[\]】〕］](?=\s*\d{1,4}\s*号)")
#: Full-width opening marks print in the right half of their cell; the box around their ink starts late.
_OPENING = "（《“‘【〔「『"


def _normalise(text: str) -> str:
    return _YEAR_BRACKETS.sub(r"〔\1〕", _DIGIT_DASH.sub("-", text))


@lru_cache(maxsize=1)
def _engine():
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ReadError("OCR is not installed (pip install rapidocr-onnxruntime)") from exc
    return RapidOCR()


def _recognise(array) -> tuple[list, float]:
    """(RapidOCR result, confidence averaged over characters) for one image array."""
    result, _ = _engine()(array, use_cls=False)
    result = result or []
    chars = sum(len(text) for _box, text, _score in result)
    confidence = sum(float(score) * len(text) for _box, text, score in result) / chars if chars else 0.0
    return result, confidence


def ocr_image(image, page_no: int) -> list[Line]:
    """Lines recognised on one page image (PIL image or numpy array)."""
    import numpy as np

    array = np.asarray(image.convert("RGB")) if hasattr(image, "convert") else np.asarray(image)
    result, confidence = _recognise(array)
    if confidence < UPRIGHT_CONFIDENCE:
        flipped = np.ascontiguousarray(array[::-1, ::-1])
        result_flipped, confidence_flipped = _recognise(flipped)
        if confidence_flipped > confidence:
            result = result_flipped
    segments = []
    for box, text, _score in result:
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        x0, top, bottom = min(xs), min(ys), max(ys)
        top, bottom = _type_height(text, max(xs) - x0, top, bottom)
        if text[:1] in _OPENING:  # where the character's cell starts, as in a PDF: indents compare alike
            x0 -= 0.5 * (bottom - top)
        segments.append(Line(_normalise(text), x0, max(xs), top, bottom, page_no))
    return group_lines(segments)


def _type_height(text: str, width: float, top: float, bottom: float) -> tuple[float, float]:
    """A box's height cut to the type size its width shows: quote marks, brackets and the short last line of a
    paragraph ("果。") make a box taller than its line's type, and the layout rules read height as type size
    (titles are set larger). Only ever shrinks: a spaced-out line keeps its height."""
    chars = sum(0.55 if ch.isascii() else 1.0 for ch in text)
    if not chars:
        return top, bottom
    size = width / chars
    if size >= bottom - top:
        return top, bottom
    middle = (top + bottom) / 2
    return middle - size / 2, middle + size / 2


def ocr_pdf_pages(pdf, indexes: list[int]) -> dict[int, list[Line]]:
    """OCR of the given pages (0-based) of an open ``pypdfium2.PdfDocument``."""
    out = {}
    for i in indexes:
        page = pdf[i]
        image = page.render(scale=RENDER_SCALE, grayscale=True).to_pil()
        out[i] = ocr_image(image, i + 1)
        page.close()
    return out


class ImageReader:
    """A page photographed or scanned to PNG/JPEG/TIFF (multi-page TIFF: one page per frame)."""

    suffixes = (".png", ".jpg", ".jpeg", ".tif", ".tiff")

    def __init__(self, options: ReadOptions | None = None) -> None:
        self.options = options or ReadOptions()

    def read(self, path: Path) -> RawDocument:
        from PIL import Image, ImageSequence, UnidentifiedImageError

        if not self.options.ocr:
            raise ReadError("image file and OCR is off (RAG_OCR)")
        try:
            with Image.open(path) as img:
                pages = [ocr_image(frame.copy(), n) for n, frame in enumerate(ImageSequence.Iterator(img), start=1)]
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise ReadError(f"corrupt or unsupported image ({exc.__class__.__name__})") from exc
        paras = paragraphs(pages)
        if not paras:
            raise ReadError("no text recognised in the image (OCR)")
        return RawDocument.from_paragraphs(paras, ocr=True, source_type=path.suffix.lower().lstrip("."))
