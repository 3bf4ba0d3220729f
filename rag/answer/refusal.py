"""Answer, answer with a caution, or refuse: the calibrated answerability model decides.

``Evidence.p_answer`` is the gate model's probability that the answer built from the best sentences is
right (``rag.answer.model``, fitted on the dev splits). At or above ``answer_threshold`` the answer is
given; between ``weak_threshold`` and it, the closest sentences are given with a caution that they may
not answer exactly, if any of them shares a word with the question; otherwise the reports are said not
to hold the answer. A question that names only
places no report covers is refused outright.

A question asked mostly in another language (English) is judged by the multilingual model's similarity
between the question and the best report sentence (``refusal_min_sentence_similarity``), and only when
it names a report's place: similarity alone cannot tell "GDP of Beijing" from a real question.
"""

from __future__ import annotations

from rag.answer.evidence import Evidence
from rag.answer.model import AnswerModel
from rag.retrieval.scope import Scope
from rag.settings import Settings

#: Above this share of term weight in another script, a question counts as cross-language.
CROSS_LANGUAGE_SHARE = 0.5

ANSWER, WEAK, REFUSE = "answer", "weak", "refuse"
#: How every refusal begins (the extractive answerer's, the LLM answerer's, a comparison's missing place).
REFUSAL_PREFIX = "所提供的报告中没有找到"
WEAK_NOTICE = "以下摘录的原文与问题最接近，但可能不能完全回答您的问题，请核对原文。"


def is_cross_language(evidence: Evidence) -> bool:
    # Half or more: "What is the GDP of Beijing?" keeps GDP as a Chinese usage and is still English.
    return evidence.foreign >= CROSS_LANGUAGE_SHARE


def decide(evidence: Evidence, scope: Scope, settings: Settings, model: AnswerModel) -> str:
    if not evidence.sentences:
        return REFUSE
    if is_cross_language(evidence):
        if not scope.places:
            return REFUSE
        return ANSWER if evidence.sentences[0].sem >= settings.refusal_min_sentence_similarity else REFUSE
    p = evidence.p_answer
    answer_at = settings.refusal_threshold if settings.refusal_threshold is not None else model.answer_threshold
    weak_at = min(model.weak_threshold, answer_at)
    if p >= answer_at:
        return ANSWER
    return WEAK if p >= weak_at and found_something(evidence) else REFUSE


def found_something(evidence: Evidence) -> bool:
    """Whether any retrieved sentence shares a word with the question (or a section was matched): the
    caution band quotes the closest text only then. With nothing shared (德化的马拉松比赛), the closest
    sentence is the small model's guess, and the question is refused outright."""
    return evidence.kind == "outline" or evidence.features.get("lex_max", 1.0) > 0


def refusal_text(scope: Scope, failed: list[str] | None = None, year_miss: list[int] | None = None) -> str:
    if scope.unknown_places and not scope.places:
        names = "、".join(scope.unknown_places)
        return f"{REFUSAL_PREFIX}关于{names}的内容。目前收录的报告不包括{names}，以下是可能相关的段落，仅供参考。"
    if year_miss:
        years = "、".join(f"{y}年" for y in year_miss)
        return f"{REFUSAL_PREFIX}{years}的相关内容。以下是可能相关的段落，仅供参考。"
    return f"{REFUSAL_PREFIX}能回答这个问题的内容。以下是可能相关的段落，仅供参考。"
