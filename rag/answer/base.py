"""The answerer contract and the shapes it works with."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from rag.answer.evidence import Evidence
from rag.answer.intent import Intent
from rag.schema import Citation


@dataclass
class Turn:
    role: Literal["user", "assistant"]
    content: str


@dataclass
class Draft:
    """An answer before timing and retrieval lists are attached."""

    answer: str
    citations: list[Citation] = field(default_factory=list)
    notice: str = ""
    unsupported: list[str] = field(default_factory=list)
    answerer: str = "extractive"
    refused: bool = False  # the answerer itself found no answer in the sources (LLM)


@dataclass
class Part:
    """One part of a question: the whole question, or one place of a cross-report question."""

    label: str  # "" for a single-part question, else the place name
    question: str
    evidence: Evidence
    intent: Intent = field(default_factory=Intent)
    weak: bool = False  # evidence is real but may not answer exactly: answered with a caution
    gate: str = "answer"  # the calibrated gate's decision ("answer", "weak", "refuse"), kept for fallbacks
    source: str = ""  # the report's title, named when the question named no place


class Answerer(Protocol):
    name: str
    #: True when the answerer itself says "not in the reports" (an LLM); then the gate only refuses
    #: questions about places no report covers, or with nothing retrieved.
    judges_answerability: bool

    def condense(self, question: str, history: list[Turn]) -> str | None:
        """A follow-up rewritten as a standalone question, or None to use the rule-based resolution."""
        ...

    def answer(self, question: str, parts: list[Part]) -> Iterator[str | Draft]:
        """Stream answer text, then yield the final ``Draft``. Only called when evidence was found."""
        ...
