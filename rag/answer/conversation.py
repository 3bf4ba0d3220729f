"""Follow-up questions: "那德化县呢？" after a question about 石狮 asks the same about 德化."""

from __future__ import annotations

import re

from rag.answer.base import Turn
from rag.answer.evidence import question_terms
from rag.retrieval.scope import ScopeResolver

_PRONOUN = re.compile(r"^(那|那么|那它|它|其|该|这个|那个|还有|另外|同样|又)|[它其该](的|们)|呢[？?]?$")
_FILLER = re.compile(r"^(那么|那|还有|另外|同样地?)|(的情况|情况)?呢[？?。]*$|[？?。]+$")


def last_user_question(history: list[Turn]) -> str | None:
    for turn in reversed(history):
        if turn.role == "user" and turn.content.strip():
            return turn.content.strip()
    return None


def resolve_follow_up(question: str, history: list[Turn], resolver: ScopeResolver | None) -> str:
    """The standalone question a follow-up stands for; the question itself when it is standalone."""
    previous = last_user_question(history)
    if not previous or resolver is None:
        return question
    places = resolver.places_in(question)
    prev_places = resolver.places_in(previous)
    terms = question_terms(question, places)
    if places and not terms:
        # Only a place (and particles): the same question about the new place.
        new = "、".join(places)
        if prev_places:
            rewritten = previous
            first = True
            for p in prev_places:
                rewritten = rewritten.replace(p, new if first else "", 1)
                first = False
            return rewritten
        return new + previous
    if not places and prev_places and _PRONOUN.search(question):
        # A new question about the same place ("它的行政复议案件呢？").
        body = _FILLER.sub("", question).strip()
        body = re.sub(r"^(它|其|该[市县区镇]?)(的)?", "", body)
        return f"{'、'.join(prev_places)}{body}？"
    return question
