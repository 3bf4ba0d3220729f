"""Answerers turn retrieved chunks into a cited answer; chosen by name from the settings."""

from __future__ import annotations

from collections.abc import Callable

from rag.answer.base import Answerer
from rag.retrieval.lexical import LexicalIndex
from rag.settings import Settings


def _extractive(settings: Settings, lexical: LexicalIndex) -> Answerer:
    from rag.answer.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer()


def _llm(settings: Settings, lexical: LexicalIndex) -> Answerer:
    from rag.answer.llm import LLMAnswerer

    if not (settings.llm_base_url and settings.llm_model):
        raise ValueError("the llm answerer needs RAG_LLM_BASE_URL and RAG_LLM_MODEL")
    return LLMAnswerer(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
        timeout_s=settings.llm_timeout_s,
        temperature=settings.llm_temperature,
    )


REGISTRY: dict[str, Callable[[Settings, LexicalIndex], Answerer]] = {
    "extractive": _extractive,
    "llm": _llm,
}


def build_answerer(settings: Settings, lexical: LexicalIndex) -> Answerer:
    name = settings.answerer_name
    try:
        return REGISTRY[name](settings, lexical)
    except KeyError:
        raise ValueError(f"unknown answerer {name!r}; choose one of {sorted(REGISTRY)}") from None
