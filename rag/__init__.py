"""Question answering with citations over Chinese government reports.

The public entry point is :func:`rag.pipeline.build_pipeline`; ``rag.answer(question)`` is a shortcut
that builds a pipeline from the environment's settings once per call site.
"""

from __future__ import annotations

from typing import Any

__all__ = ["answer"]


def answer(question: str, **kwargs: Any) -> dict[str, Any]:
    """Answer one question with the settings from the environment; returns the ``rag ask --json`` object."""
    from rag.pipeline import build_pipeline
    from rag.settings import Settings

    return build_pipeline(Settings()).ask(question, **kwargs).to_dict()
