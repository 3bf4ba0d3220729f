"""When to say "not in the reports": the best sentence must cover the question's content words and the
best chunk must be semantically close. Thresholds are calibrated on the dev split of the gold set
(``rag calibrate``); a place outside the corpus is refused outright.
"""

from __future__ import annotations

from rag.answer.base import Part
from rag.answer.evidence import Evidence
from rag.retrieval.scope import Scope
from rag.settings import Settings


def should_refuse(evidence: Evidence, scope: Scope, settings: Settings) -> bool:
    if scope.unknown_places:
        return True
    if not evidence.sentences:
        return True
    if not evidence.terms:
        # Nothing to check the question against (e.g. only a place name): rely on similarity alone.
        return evidence.dense < settings.refusal_min_dense
    return (
        evidence.coverage < settings.refusal_min_coverage
        or evidence.chunk_coverage < settings.refusal_min_chunk_coverage
        or evidence.dense < settings.refusal_min_dense
    )


def refusal_text(question: str, scope: Scope, parts: list[Part]) -> str:
    if scope.unknown_places:
        names = "、".join(scope.unknown_places)
        return f"所提供的报告中没有找到关于{names}的内容。目前收录的报告不包括{names}，以下是可能相关的段落，仅供参考。"
    return "所提供的报告中没有找到能回答这个问题的内容。以下是可能相关的段落，仅供参考。"
