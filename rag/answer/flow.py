"""One question through the whole pipeline: check it, resolve follow-ups, scope it to documents,
retrieve (per place for cross-report questions), decide answer or refusal, and answer with citations.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rag.answer.base import Draft, Part, Turn
from rag.answer.conversation import resolve_follow_up
from rag.answer.evidence import Evidence, SentenceHit, embedding_evidence, find_evidence, outline_evidence
from rag.answer.gaps import failed_report_notice
from rag.answer.metadata import Field, asked_field, find_field_lines
from rag.answer.refusal import is_cross_language, refusal_text, should_refuse
from rag.retrieval.scope import Scope, aliases
from rag.retrieval.tokenize import to_simplified
from rag.schema import AnswerResult, ScoredChunk

if TYPE_CHECKING:
    from rag.pipeline import Pipeline


CROSS_LANGUAGE_NOTICE = "问题不是用中文提出的：以下按多语言语义相似度摘录报告原文，请核对所引原文。"


class QuestionError(ValueError):
    """A question that cannot be asked as given; the message is shown to the user (Chinese)."""


_MEANINGFUL = re.compile(r"[\w\u4e00-\u9fff]")


def check_question(question: str, max_chars: int) -> str:
    if not isinstance(question, str):
        raise QuestionError("问题必须是文字。")
    # Control characters (but not newlines) are dropped; they carry no meaning and break display. So are
    # lone surrogates (from JSON "\ud800" or undecodable command-line bytes): they cannot be encoded.
    cleaned = "".join(ch for ch in question if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise QuestionError("问题不能为空，请输入您想了解的内容。")
    if len(cleaned) > max_chars:
        raise QuestionError(f"问题太长（{len(cleaned)}字），请精简到{max_chars}字以内。")
    if not _MEANINGFUL.search(cleaned):
        raise QuestionError("没有识别到有效的问题内容，请用文字描述您的问题。")
    return cleaned


def _place_words(scope: Scope) -> list[str]:
    words = []
    for p in scope.places:
        words.extend(aliases(p))
    return words


def answer_flow(pipe: Pipeline, question: str, history: list[Turn], doc_ids: list[str] | None,
                k: int) -> Iterator[str | AnswerResult]:
    t0 = time.perf_counter()
    settings = pipe.settings
    question = check_question(question, settings.max_question_chars)
    retriever = pipe.retriever
    # Traditional characters are folded to simplified, as the retriever does for its query, so the
    # question's words also match the report text in place names, evidence and the refusal gate.
    asked = to_simplified(question)
    history = [Turn(t.role, to_simplified(t.content)) for t in history]
    standalone = resolve_follow_up(asked, history, retriever.resolver)
    scope = retriever.scope_for(standalone)
    lexical = pipe.lexical

    drop = _place_words(scope) + ["报告", "年度"]
    parts: list[Part]
    field = asked_field(standalone)

    def make_part(label: str, hits: list[ScoredChunk], docs: list[str] | None) -> Part:
        if field is not None and docs and len(docs) == 1:
            return Part(label, standalone, metadata_evidence(field, hits, lexical.chunks_of(docs)))
        evidence = find_evidence(standalone, hits, lexical.idf, drop)
        if is_cross_language(evidence):
            return Part(label, standalone, embedding_evidence(standalone, evidence, pipe.embeddings))
        outline = outline_evidence(standalone, evidence, lexical.chunks_of([h.chunk.doc_id for h in hits[:3]]),
                                   lexical.idf)
        return Part(label, standalone, outline or evidence)

    if len(scope.groups) > 1 and not doc_ids:
        # Cross-report question: each place gets its own retrieval and its own answer part.
        parts = []
        for group, place in zip(scope.groups, scope.places, strict=False):
            sub = retriever.retrieve(standalone, k=max(k, 10), doc_ids=group, scope=Scope(doc_ids=group))
            parts.append(make_part(place, sub.chunks, group))
        retrieved = _interleave([p.evidence.hits for p in parts])
    else:
        main = retriever.retrieve(standalone, k=max(k, 10), doc_ids=doc_ids, scope=scope)
        single = doc_ids if doc_ids and len(doc_ids) == 1 else scope.doc_ids
        parts = [make_part("", main.chunks, single)]
        retrieved = parts[0].evidence.hits

    answerable = [p for p in parts if not should_refuse(p.evidence, scope, settings)]
    best = max(parts, key=lambda p: (p.evidence.coverage, p.evidence.dense))
    result = AnswerResult(
        question=question,
        answer="",
        refused=False,
        retrieved=retrieved[: max(k, 10)],
        rewritten_question=standalone if standalone != asked else "",
        gate={
            "coverage": round(best.evidence.coverage, 4),
            "dense": round(best.evidence.dense, 4),
            "chunk_coverage": round(min(p.evidence.chunk_coverage for p in parts), 4),
            "unknown_place": float(bool(scope.unknown_places)),
            "foreign": round(min(p.evidence.foreign for p in parts), 4),
        },
    )
    # A place whose report failed to ingest is named as such, not "not covered" (rag.answer.gaps).
    gap = failed_report_notice(retriever.resolver.unknown_places(standalone), pipe.failures()) \
        if retriever.resolver is not None else ""
    if not answerable:
        result.refused = True
        result.answer = gap or refusal_text(standalone, scope, parts, settings.answerer_name)
        result.answerer = "refusal"
        yield result.answer
    else:
        draft: Draft | None = None
        for event in pipe.answerer.answer(standalone, answerable):
            if isinstance(event, Draft):
                draft = event
            else:
                yield event
        assert draft is not None
        missing = [p.label for p in parts if p not in answerable and p.label]
        text = draft.answer
        if missing:
            note = "\n".join(f"{m}：所提供的报告中没有找到相关内容。" for m in missing)
            text = f"{text}\n{note}"
            yield note
        result.answer = text
        result.citations = draft.citations
        result.notice = draft.notice or (
            CROSS_LANGUAGE_NOTICE if any(p.evidence.kind == "multilingual" for p in answerable) else ""
        )
        if gap:
            result.notice = f"{gap}\n{result.notice}".strip()
        result.unsupported = draft.unsupported
        result.answerer = draft.answerer
        result.refused = draft.answerer != "extractive" and "没有找到" in text and not draft.citations
    result.latency_ms = (time.perf_counter() - t0) * 1000
    yield result


def metadata_evidence(field: Field, hits: list[ScoredChunk], doc_chunks) -> Evidence:
    """Evidence for a question about the document itself: its header or signature line, or nothing."""
    lines = find_field_lines(field, doc_chunks)
    if not lines:
        return Evidence(hits=hits, sentences=[], terms=[field.name])
    sentences, top = [], []
    for chunk, line in lines:
        hit = next((h for h in hits if h.chunk.id == chunk.id), None) or ScoredChunk(chunk, score=1.0, dense=1.0)
        start = chunk.text.find(line)
        sentences.append(SentenceHit(hit, 0, start, start + len(line), coverage=1.0, score=2.0))
        top.append(hit)
    rest = [h for h in hits if all(h.chunk.id != t.chunk.id for t in top)]
    return Evidence(hits=top + rest, sentences=sentences, terms=[field.name], chunk_coverage=1.0)


def _interleave(lists: list[list[ScoredChunk]]) -> list[ScoredChunk]:
    out: list[ScoredChunk] = []
    for i in range(max((len(x) for x in lists), default=0)):
        for lst in lists:
            if i < len(lst):
                out.append(lst[i])
    return out


__all__ = ["answer_flow", "check_question", "QuestionError"]
