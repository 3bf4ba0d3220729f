"""Summaries and lists from the report's own structure: the points of the section a question is about.

"石狮市承认了哪些不足？" is answered by the 存在问题 section's points — its sub-headings, or the 一是…二是…
items of its paragraph — each cited, all of them, in report order. A list answer that stops at the first
item is wrong, and a summary written by a model can drop or invent points; the report's own outline
cannot.
"""

from __future__ import annotations

import re

import numpy as np

from rag.answer.evidence import Evidence, SentenceHit, coverage, is_heading
from rag.answer.sentences import SentenceVectors, sentence_spans
from rag.schema import Chunk, ScoredChunk

MAX_POINTS = 8
#: An enumerated item inside a paragraph: 一是… / （一）… / 1. … / 第一，…
_ITEM = re.compile(r"(?:(?<=[。；：:\n，,])|^)\s*(?:[一二三四五六七八九十]+是|[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.、．]|第[一二三四五六七八九十]+[，、])")
_INTRO = re.compile(r"[:：]\s*$")
#: The fixed parts of a 工作报告 after its achievements: a question about the future or about shortcomings
#: is about that part, whatever its topic words ("石狮以后普法想怎么搞" → 下一步工作计划 > 普法, not the
#: 2024 普法 work).
_PARTS = (
    (re.compile(r"以后|今后|下一步|明年|接下来|打算|计划|准备|将来|未来|思路|展望"), re.compile(r"下一步|今后|思路|计划|打算|展望|20\d\d年工作")),
    (re.compile(r"不足|问题|短板|差距|薄弱|毛病|缺点|困难|差在"), re.compile(r"问题|不足|短板|差距|薄弱")),
)
#: Generic words of summary questions: they say "a list is wanted", not which section.
_GENERIC = {"主要", "哪些", "什么", "情况", "工作", "方面", "总结", "概括", "介绍", "做", "干", "搞", "啥"}


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


def heading_paths(chunks: list[Chunk]) -> list[str]:
    """Every section path of these chunks as one line ("七、下一步工作计划 （三）加强法治宣传教育…"),
    the text whose vector says what a section is about (made at ingest with the sentence vectors)."""
    out: dict[str, None] = {}
    for c in chunks:
        for d in range(1, len(c.section_path) + 1):
            if c.section_path[0] not in ("导言", "落款"):
                out.setdefault(" ".join(c.section_path[:d]), None)
    return list(out)


def outline_evidence(question: str, ev: Evidence, doc_chunks: list[Chunk], weights: dict[str, float],
                     q_vec: np.ndarray | None = None, vectors: SentenceVectors | None = None) -> Evidence | None:
    """The points of the section the question is about, at the heading level the question names."""
    if not ev.sentences:
        return None
    top = ev.sentences[0].hit
    # Words of the report's title (法治政府建设) are in every heading's context: they say nothing about
    # which section is meant.
    title = top.chunk.title.lower()
    specific = {t: w for t, w in weights.items() if t not in _GENERIC and t not in title} or weights
    path = top.chunk.section_path
    doc_chunks = [c for c in doc_chunks if c.doc_id == top.chunk.doc_id]
    # The section the question is about: the heading path anywhere in the report that best matches the
    # question in words (synonyms included) and in meaning (a question about next year's 普法 finds
    # 七、下一步工作计划 > （三）加强法治宣传教育), preferring the best sentence's own headings and, on ties,
    # the broader section.
    prefixes: dict[tuple[str, ...], None] = {}
    for c in doc_chunks:
        for d in range(1, len(c.section_path) + 1):
            if c.section_path[0] not in ("导言", "落款"):
                prefixes.setdefault(tuple(c.section_path[:d]), None)
    restricted = False
    for asks, heading in _PARTS:
        if asks.search(question):
            part = {k for k in prefixes if heading.search(k[0])}
            if part:
                prefixes = {k: None for k in prefixes if k[:1] in {p[:1] for p in part}}
                restricted = True
            break
    if not prefixes:
        return None
    keys = list(prefixes)
    sems = np.zeros(len(keys), dtype=np.float32)
    if q_vec is not None and vectors is not None:
        sems = vectors.get([" ".join(k) for k in keys]) @ q_vec
        sems = sems - float(sems.mean())
    scored = []
    for k, sem in zip(keys, sems, strict=True):
        own = 0.15 if list(k) == path[: len(k)] else 0.0
        # A deeper heading must earn its place: 0.25 per level below the first.
        scored.append((coverage(specific, " ".join(k).lower()) + own + 5.0 * float(sem) - 0.25 * (len(k) - 1),
                       -len(k), k))
    best = max(scored)
    match = max(best[0], 0.45 if restricted else 0.0)
    if match < 0.45:
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
                if len(body) < 4 or is_heading(body, c.section_path):
                    continue
                points.append(_point(top, c, s, e, len(points)))
    if len(points) < 2:
        return None
    features = {**ev.features, "outline_match": min(match, 1.5)}
    return Evidence(hits=ev.hits, sentences=points[:MAX_POINTS], terms=ev.terms, chunk_coverage=1.0,
                    kind="outline", foreign=ev.foreign, features=features, p_answer=ev.p_answer)


def _point(top: ScoredChunk, chunk: Chunk, start: int, end: int, i: int) -> SentenceHit:
    hit = ScoredChunk(chunk, score=top.score, dense=top.dense, lexical=top.lexical)
    return SentenceHit(hit, i, start, end, coverage=1.0, score=2.0 - i / 100)
