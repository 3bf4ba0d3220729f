"""HTML for the chat: answers with citation markers, sources with highlighted quotes, refusals, errors.

Every piece of report text or user input goes through ``text()``, which turns *all* ASCII punctuation
into numeric character references. HTML cannot be injected that way, and neither can Markdown, LaTeX
or autolinks: Gradio's Markdown renderer sees no ``*``, ``[``, ``$``, ``<`` or ``:`` to act on. The HTML
built here is a single line (no blank lines or indentation) so Markdown keeps it as one raw HTML block.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence
from html import escape as html_escape
from typing import Any
from urllib.parse import quote as quote_url

from rag.answer.citations import MARKER
from rag.schema import AnswerResult, Citation, ScoredChunk
from rag.web.page_image import PAGE_RENDERERS as PAGE_VIEW_TYPES

_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in string.punctuation})
QUOTE_SEP = "……"  # CitationBook joins several quotes from one chunk with this
REFUSAL_RELATED = 3


def text(s: str) -> str:
    """Plain text as inert HTML: punctuation as character references, newlines as <br>."""
    lines = str(s).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<br>".join(line.translate(_ENTITIES) for line in lines)


def _with_markers(answer: str) -> str:
    """Answer text with its ``[n]`` markers as superscript links to the source below."""
    out: list[str] = []
    pos = 0
    for m in MARKER.finditer(answer):
        out.append(text(answer[pos : m.start()]))
        n = int(m.group(1))
        out.append(f'<sup class="rag-cite" title="来源 {n}">&#91;{n}&#93;</sup>')
        pos = m.end()
    out.append(text(answer[pos:]))
    return "".join(out)


def quote_spans(chunk: str, quote: str) -> list[tuple[int, int]]:
    """Where the quoted sentences lie in the chunk text (whitespace may differ), merged and sorted."""
    spans: list[tuple[int, int]] = []
    for part in quote.split(QUOTE_SEP):
        part = part.strip()
        if not part:
            continue
        i = chunk.find(part)
        if i >= 0:
            spans.append((i, i + len(part)))
            continue
        chars = [re.escape(c) for c in part if not c.isspace()]
        if chars:
            m = re.search(r"\s*".join(chars), chunk)
            if m:
                spans.append(m.span())
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlighted(chunk: str, quote: str) -> str:
    out: list[str] = []
    pos = 0
    for start, end in quote_spans(chunk, quote):
        out.append(text(chunk[pos:start]))
        out.append(f"<mark>{text(chunk[start:end])}</mark>")
        pos = end
    out.append(text(chunk[pos:]))
    return "".join(out)


def _origin(title: str, section: str) -> str:
    sec = f'<span class="rag-section">{text(section)}</span>' if section else ""
    return f'<span class="rag-title">{text(title or "（无标题）")}</span>{sec}'


def page_link(c: Citation, page_base: str) -> str:
    """The original page, quote highlighted, for PDF and OFD sources (served by ``GET /api/page/…``)."""
    if not c.page or c.source_type not in PAGE_VIEW_TYPES or not page_base:
        return ""
    url = f"{page_base}/{quote_url(c.doc, safe='')}/{int(c.page)}.png?q={quote_url(c.quote[:1000], safe='')}"
    return (f'<a class="rag-page-link" href="{html_escape(url)}" target="_blank" rel="noopener noreferrer">'
            f"查看原文第{int(c.page)}页</a>")


def source(c: Citation, page_base: str = "/api/page") -> str:
    """One citation: title, section path, page and quote; the whole chunk, quote highlighted, when opened."""
    page = f'<span class="rag-page">第{int(c.page)}页</span>' if c.page else ""
    return (
        f'<details class="rag-source"><summary><span class="rag-n">&#91;{c.n}&#93;</span>'
        f"{_origin(c.title, c.section)}{page}"
        f'<span class="rag-quote">“{text(c.quote)}”</span></summary>'
        f'<div class="rag-chunk">{highlighted(c.text, c.quote)}</div>{page_link(c, page_base)}</details>'
    )


def related(hit: ScoredChunk) -> str:
    c = hit.chunk
    return (
        f'<details class="rag-source"><summary>{_origin(c.title, c.section)}'
        f'<span class="rag-quote">{text(_preview(c.text))}</span></summary>'
        f'<div class="rag-chunk">{text(c.text)}</div></details>'
    )


def _preview(s: str, limit: int = 80) -> str:
    s = " ".join(s.split())
    return s if len(s) <= limit else s[:limit] + "……"


def _list(heading: str, items: Iterable[str]) -> str:
    body = "".join(items)
    return f'<div class="rag-sources"><div class="rag-sources-head">{heading}</div>{body}</div>' if body else ""


def pending(partial: str = "") -> str:
    """What the chat shows while the answer is being produced."""
    if partial:
        return f'<div class="rag-answer">{_with_markers(partial)}</div>'
    return '<div class="rag-pending">正在检索报告……</div>'


def actions(answer_id: str | None) -> str:
    """Copy, 👍 and 👎 under an answer (as words: intranet machines often lack an emoji font). The answer
    id rides in a class name (the chat's HTML sanitizer keeps classes); static/chat.js does the rest."""
    if not answer_id or not answer_id.isalnum():
        return '<div class="rag-actions"><span class="rag-copy" title="复制回答和出处">复制</span></div>'
    return (
        f'<div class="rag-actions rag-id-{answer_id}"><span class="rag-copy" title="复制回答和出处">复制</span>'
        '<span class="rag-vote rag-up" title="👍 这个回答有帮助">有帮助</span>'
        '<span class="rag-vote rag-down" title="👎 这个回答没有帮助">没帮助</span></div>'
    )


def answer(result: AnswerResult, answer_id: str | None = None, page_base: str = "/api/page") -> str:
    """The final assistant message: answer or refusal, notes, the sources under it, and the actions."""
    notes = []
    if result.rewritten_question:
        notes.append(f'<div class="rag-note">已理解为：{text(result.rewritten_question)}</div>')
    if result.notice:
        notes.append(f'<div class="rag-note">{text(result.notice)}</div>')
    if result.refused:
        related_list = _list("可能相关的段落（仅供参考）", (related(h) for h in result.retrieved[:REFUSAL_RELATED]))
        return (
            f'<div class="rag-refusal"><div class="rag-refusal-head">未找到答案</div>'
            f"{text(result.answer)}</div>{''.join(notes)}{related_list}{actions(answer_id)}"
        )
    sources = _list("来源", (source(c, page_base) for c in result.citations))
    return (f'<div class="rag-answer">{_with_markers(result.answer)}</div>{"".join(notes)}{sources}'
            f"{actions(answer_id)}")


def error(message: str) -> str:
    return f'<div class="rag-error">{text(message)}</div>'


def question(q: str) -> str:
    """The user's message, shown exactly as typed."""
    return f'<div class="rag-question">{text(q)}</div>'


def failed_table(failures: Sequence[Any]) -> str:
    """Files that could not be read, by name and reason: a gap the user should know about."""
    if not failures:
        return ""
    items = "".join(f'<li><div class="rag-doc-title">{text(f.file)}</div>'
                    f'<div class="rag-doc-meta">{text(f.reason_zh)}</div></li>' for f in failures)
    return (f'<div class="rag-failed"><div class="rag-sources-head">未能读取的文件（{len(failures)} 个）</div>'
            f'<ul class="rag-docs">{items}</ul></div>')


def documents_table(docs: Sequence[dict[str, Any]], failures: Sequence[Any] = ()) -> str:
    """The indexed reports: title, then issuer, date and size (a list, since the side column is narrow)."""
    if not docs:
        return ('<div class="rag-note">尚未收录任何报告，现在提问都无法回答。请先运行 <code>rag ingest</code>。</div>'
                + failed_table(failures))
    items = []
    for d in docs:
        meta = [str(d[k]) for k in ("issuer", "date") if d.get(k)]
        meta.append(f"{d.get('chunks', 0)} 个片段")
        items.append(f'<li><div class="rag-doc-title">{text(str(d.get("title") or d["doc_id"]))}</div>'
                     f'<div class="rag-doc-meta">{text(" · ".join(meta))}</div></li>')
    return f'<ul class="rag-docs">{"".join(items)}</ul>' + failed_table(failures)
