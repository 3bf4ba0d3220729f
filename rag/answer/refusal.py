"""When to say "not in the reports": the best sentence must cover the question's content words and the
best chunk must be semantically close. Thresholds are calibrated on the dev split of the gold set
(``rag calibrate``); a place outside the corpus is refused outright.

A question asked mostly in another language (English) has content words that Chinese report sentences
cannot contain, so word coverage cannot judge it. The LLM answerer reads across languages: for it the
dense similarity decides, and the model itself says when the sources do not answer. The extractive
answerer can only quote sentences that share the question's words, so it declines with a message that
says why (and the related passages), rather than quoting a sentence it cannot check.
"""

from __future__ import annotations

from rag.answer.base import Part
from rag.answer.evidence import Evidence
from rag.retrieval.scope import Scope
from rag.settings import Settings

#: Above this share of term weight in another script, a question counts as cross-language.
CROSS_LANGUAGE_SHARE = 0.5

CROSS_LANGUAGE_TEXT = (
    "报告原文为中文，摘录式回答需要按中文词语核对原文，无法可靠地回答主要用其他语言提出的问题。"
    "请用中文提问，以下是可能相关的段落，仅供参考。"
    "（The reports are in Chinese: please ask in Chinese for an answer quoted from them. "
    "The passages below may be relevant.）"
)


def is_cross_language(evidence: Evidence) -> bool:
    return evidence.foreign > CROSS_LANGUAGE_SHARE


def should_refuse(evidence: Evidence, scope: Scope, settings: Settings) -> bool:
    if scope.unknown_places:
        return True
    if not evidence.sentences:
        return True
    if is_cross_language(evidence):
        if settings.answerer_name == "extractive":
            return True
        return evidence.dense < settings.refusal_min_dense
    if not evidence.terms:
        # Nothing to check the question against (e.g. only a place name): rely on similarity alone.
        return evidence.dense < settings.refusal_min_dense
    return (
        evidence.coverage < settings.refusal_min_coverage
        or evidence.chunk_coverage < settings.refusal_min_chunk_coverage
        or evidence.dense < settings.refusal_min_dense
    )


def refusal_text(question: str, scope: Scope, parts: list[Part], answerer: str = "extractive") -> str:
    if scope.unknown_places:
        names = "、".join(scope.unknown_places)
        return f"所提供的报告中没有找到关于{names}的内容。目前收录的报告不包括{names}，以下是可能相关的段落，仅供参考。"
    if answerer == "extractive" and parts and all(is_cross_language(p.evidence) for p in parts):
        return CROSS_LANGUAGE_TEXT
    return "所提供的报告中没有找到能回答这个问题的内容。以下是可能相关的段落，仅供参考。"
