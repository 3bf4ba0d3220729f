"""Summaries and lists from the report's own structure: the points of the section a question is about.

"石狮市承认了哪些不足？" is answered by the 存在问题 section's points — its sub-headings, or the 一是…二是…
items of its paragraph — each cited, all of them, in report order. A list answer that stops at the first
item is wrong, and a summary written by a model can drop or invent points; the report's own outline
cannot.
"""

from __future__ import annotations

import re

from rag.answer.evidence import Evidence, SentenceHit, coverage
from rag.answer.sentences import sentence_spans
from rag.schema import Chunk, ScoredChunk

MAX_POINTS = 8
#: An enumerated item inside a paragraph: 一是… / （一）… / 1. … / 第一，…
_ITEM = re.compile(r"(?:(?<=[。；：:\n])|^)\s*(?:[一二三四五六七八九十]+是|[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.、．]|第[一二三四五六七八九十]+[，、])")
_INTRO = re.compile(r"[:：]\s*$")
#: Generic words of summary questions: they say "a list is wanted", not which section.
_GENERIC = {"主要", "哪些", "什么", "情况", "工作", "方面", "总结", "概括", "介绍", "做", "干", "搞", "啥"}


def _heading_score(weights: dict[str, float], heading: str) -> float:
    return coverage(weights, heading.lower())


def _section_chunks(chunks: list[Chunk], doc_id: str, prefix: list[str]) -> list[Chunk]:
    n = len(prefix)
    return sorted((c for c in chunks if c.doc_id == doc_id and c.section_path[:n] == prefix),
                  key=lambda c: c.ordinal)


def _items_in_text(chunk: Chunk) -> list[tuple[int, int]]:
    """Spans of the enumerated items of a paragraph, or of its sentences after an introducing colon."""
    text = chunk.text
    starts = [m.start() for m in _ITEM.finditer(text)]
    if len(starts) >= 2:
        spans = []
        for i, s in enumerate(starts):
            while s < len(text) and text[s].isspace():
                s += 1
            e = starts[i + 1] if i + 1 < len(starts) else len(text)
            # An item is its first sentence: "一是X有待提高。" (the rest explains it).
            first = next(((a, b) for a, b in sentence_spans(text[s:e])), None)
            spans.append((s, s + first[1]) if first else (s, e))
        return spans
    spans = sentence_spans(text)
    for i, (s, e) in enumerate(spans):
        if _INTRO.search(text[s:e]) or text[s:e].endswith(("：", ":")):
            # "主要表现在以下方面：A，B，C。" — the listed points follow the colon.
            rest = spans[i + 1 :] or []
            if len(rest) == 1:
                a, b = rest[0]
                parts = [p for p in re.finditer(r"[^，,；;。]+", text[a:b])]
                if len(parts) >= 2:
                    return [(a + p.start(), a + p.end()) for p in parts]
            return rest
    return spans


def outline_evidence(ev: Evidence, doc_chunks: list[Chunk], weights: dict[str, float]) -> Evidence | None:
    """The points of the section the best evidence sits in, at the heading level the question names."""
    if not ev.sentences:
        return None
    specific = {t: w for t, w in weights.items() if t not in _GENERIC} or weights
    top = ev.sentences[0].hit
    path = top.chunk.section_path
    doc_chunks = [c for c in doc_chunks if c.doc_id == top.chunk.doc_id]
    # The section the question is about: the best-matching heading anywhere in the report (a question
    # about next year's plans matches 三、2025年工作思路 even when the best sentence sits elsewhere),
    # preferring the best sentence's own headings and, on ties, the broader heading.
    best: tuple[float, int, tuple[str, ...]] | None = None
    for c in doc_chunks:
        for d in range(1, len(c.section_path) + 1):
            prefix = tuple(c.section_path[:d])
            if prefix[-1] in ("导言", "落款"):
                continue
            own = 0.15 if list(prefix) == path[:d] else 0.0
            key = (_heading_score(specific, prefix[-1]) + own, -d, prefix)
            if best is None or key[:2] > best[:2]:
                best = key
    if best is None or best[0] < 0.45:
        if not path or path[0] in ("导言", "落款"):
            return None
        prefix = tuple(path)
    else:
        prefix = best[2]
    prefix_l = list(prefix)
    depth = len(prefix_l)
    chunks = _section_chunks(doc_chunks, top.chunk.doc_id, prefix_l)
    if not chunks:
        return None
    points: list[SentenceHit] = []
    children: dict[str, Chunk] = {}
    for c in chunks:
        if len(c.section_path) > depth:
            children.setdefault(c.section_path[depth], c)
    if len(children) >= 2:
        for child, c in children.items():
            start = c.text.find(child)
            if start < 0:
                continue
            points.append(_point(top, c, start, start + len(child), len(points)))
    else:
        for c in chunks:
            for s, e in _items_in_text(c):
                body = c.text[s:e].strip()
                if len(body) < 4 or body in prefix_l:
                    continue
                points.append(_point(top, c, s, e, len(points)))
    if len(points) < 2:
        return None
    return Evidence(hits=ev.hits, sentences=points[:MAX_POINTS], terms=ev.terms, chunk_coverage=1.0,
                    kind="outline", foreign=ev.foreign, features=ev.features, p_answer=ev.p_answer)


def _point(top: ScoredChunk, chunk: Chunk, start: int, end: int, i: int) -> SentenceHit:
    hit = ScoredChunk(chunk, score=top.score, dense=top.dense, lexical=top.lexical)
    return SentenceHit(hit, i, start, end, coverage=1.0, score=2.0 - i / 100)
