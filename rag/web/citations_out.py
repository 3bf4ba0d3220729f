"""Citations for clients outside the chat: a link to the source view and every field of our citation.

Shared by the OpenAI-compatible API (``url_citation`` annotations) and the MCP server. Citation
fields are carried generically (the whole dataclass), so fields added later (``page``) flow through.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any
from urllib.parse import urlencode

from rag.answer.citations import MARKER

SOURCE_PATH = "/source"


def citation_dict(citation: Any) -> dict[str, Any]:
    """Every field of one citation, whatever fields the dataclass has today."""
    if is_dataclass(citation) and not isinstance(citation, type):
        return asdict(citation)
    return dict(citation)


def source_url(base: str, c: dict[str, Any]) -> str:
    """The app's source view for one citation: document, chunk, section, page and quote in the query."""
    params = {"doc": c.get("doc", ""), "chunk": c.get("chunk_id", ""), "section": c.get("section", "")}
    if c.get("page") not in (None, ""):
        params["page"] = str(c["page"])
    params["quote"] = str(c.get("quote", ""))[:300]
    return f"{base.rstrip('/')}{SOURCE_PATH}?{urlencode({k: v for k, v in params.items() if v})}"


def url_annotations(text: str, citations: list[dict[str, Any]], base: str, start: int = 0) -> list[dict[str, Any]]:
    """One OpenAI ``url_citation`` annotation per ``[n]`` marker in ``text[start:]`` that names a citation.

    ``start_index``/``end_index`` are character offsets of the marker in ``text``. The citation itself
    rides along in ``citation`` (ignored by standard clients).
    """
    by_n = {int(c["n"]): c for c in citations if "n" in c}
    out = []
    for m in MARKER.finditer(text, start):
        c = by_n.get(int(m.group(1)))
        if c is None:
            continue
        title = str(c.get("title") or c.get("doc") or "")
        if c.get("section"):
            title = f"{title}｜{c['section']}"
        out.append({
            "type": "url_citation",
            "url_citation": {"url": source_url(base, c), "title": title,
                             "start_index": m.start(), "end_index": m.end()},
            "citation": c,
        })
    return out
