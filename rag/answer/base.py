"""The answerer contract and the shapes it works with."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from rag.answer.evidence import Evidence
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


@dataclass
class Part:
    """One part of a question: the whole question, or one place of a cross-report question."""

    label: str  # "" for a single-part question, else the place name
    question: str
    evidence: Evidence


class Answerer(Protocol):
    name: str

    def answer(self, question: str, parts: list[Part]) -> Iterator[str | Draft]:
        """Stream answer text, then yield the final ``Draft``. Only called when evidence was found."""
        ...
