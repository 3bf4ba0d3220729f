"""Question answering with citations over Chinese government reports.

The public entry point is :class:`rag.pipeline.Pipeline`; ``rag.ask(question)`` is a one-call shortcut
that builds a pipeline from the environment's settings (keep a ``Pipeline`` for repeated questions).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ask"]


def ask(question: str, **kwargs: Any) -> dict[str, Any]:
    """Answer one question with the settings from the environment; returns the ``rag ask --json`` object."""
    from rag.pipeline import build_pipeline
    from rag.settings import Settings

    return build_pipeline(Settings()).ask(question, **kwargs).to_dict()
