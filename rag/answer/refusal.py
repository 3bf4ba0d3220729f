"""When to say "not in the reports": the best sentence must cover the question's content words and the
best chunk must be semantically close. Thresholds are calibrated on the dev split of the gold set
(``rag eval --calibrate``); a place outside the corpus is refused outright.

A question asked mostly in another language (English) has content words that Chinese report sentences
cannot contain, so word coverage cannot judge it: there the multilingual model's similarity between the
question and the best report sentence decides (``refusal_min_sentence_similarity``, calibrated on the
English gold questions in ``eval/gold_en.jsonl``).
"""

from __future__ import annotations

from rag.answer.base import Part
from rag.answer.evidence import Evidence
from rag.retrieval.scope import Scope
from rag.settings import Settings

#: Above this share of term weight in another script, a question counts as cross-language.
CROSS_LANGUAGE_SHARE = 0.5



def is_cross_language(evidence: Evidence) -> bool:
    return evidence.foreign > CROSS_LANGUAGE_SHARE


def should_refuse(evidence: Evidence, scope: Scope, settings: Settings) -> bool:
    if scope.unknown_places:
        return True
    if not evidence.sentences:
        return True
    if is_cross_language(evidence):
        if not scope.places:
            # Similarity alone cannot tell an off-topic question ("GDP of Beijing") from a real one;
            # a named report place (石狮/Shishi, …) is required before quoting across languages.
            return True
        best = evidence.sentences[0].coverage if evidence.kind == "multilingual" else 0.0
        return best < settings.refusal_min_sentence_similarity
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
    return "所提供的报告中没有找到能回答这个问题的内容。以下是可能相关的段落，仅供参考。"
