"""OFD (GB/T 33190, the national fixed-layout format) read from its XML directly: each page's text objects
with their boundaries, rebuilt into paragraphs by the same layout rules as PDF. No renderer needed.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from rag.ingest.readers.archive import open_zip, read_member
from rag.ingest.readers.base import RawDocument, ReadError
from rag.ingest.readers.layout import Line, group_lines, paragraphs


def _xml(data: bytes):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ReadError(f"corrupt OFD (bad XML: {str(exc)[:100]})") from exc


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(node, name: str):
    return [el for el in node.iter() if _local(el.tag) == name]


def _resolve(base_dir: str, loc: str) -> str:
    loc = loc.strip()
    return posixpath.normpath(loc.lstrip("/") if loc.startswith("/") else posixpath.join(base_dir, loc))


def _box(value: str | None) -> tuple[float, float, float, float] | None:
    try:
        x, y, w, h = (float(v) for v in (value or "").split())
    except ValueError:
        return None
    return x, y, w, h


def _page_size(node) -> tuple[float, float] | None:
    boxes = [_box(el.text) for el in _children(node, "PhysicalBox")]
    return (boxes[0][2], boxes[0][3]) if boxes and boxes[0] else None


def ofd_pages(path: Path) -> list[tuple[tuple[float, float], list[tuple[Line, float]]]]:
    """Each page's size (mm) and its text objects as (positioned text, font size in mm), in file order."""
    with open_zip(path, "OFD") as archive:
        root = _xml(read_member(archive, "OFD.xml", "OFD"))
        doc_roots = [el.text for el in _children(root, "DocRoot") if el.text]
        if not doc_roots:
            raise ReadError("corrupt OFD: no DocRoot in OFD.xml")
        doc_path = _resolve("", doc_roots[0])
        document = _xml(read_member(archive, doc_path, "OFD"))
        doc_dir = posixpath.dirname(doc_path)
        default_size = _page_size(document) or (210.0, 297.0)
        pages = []
        for n, page_ref in enumerate(_children(document, "Page"), start=1):
            loc = page_ref.get("BaseLoc")
            if not loc:
                continue
            content = _xml(read_member(archive, _resolve(doc_dir, loc), "OFD"))
            objects = []
            for obj in _children(content, "TextObject"):
                box = _box(obj.get("Boundary"))
                text = "".join(code.text or "" for code in _children(obj, "TextCode"))
                if box and text.strip():
                    x, y, w, h = box
                    try:
                        size = float(obj.get("Size") or h)
                    except ValueError:
                        size = h
                    objects.append((Line(text, x, x + w, y, y + h, n), size))
            pages.append((_page_size(content) or default_size, objects))
    return pages


class OfdReader:
    suffixes = (".ofd",)

    def read(self, path: Path) -> RawDocument:
        pages = [group_lines([line for line, _size in objects]) for _size, objects in ofd_pages(path)]
        paras = paragraphs(pages)
        if not paras:
            raise ReadError("OFD has no text (scanned image?)")
        return RawDocument.from_paragraphs(paras, source_type="ofd")
