"""Run gold questions through systems that answer like ``rag ask --json`` and score them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.evaluation.gold import GoldItem
from rag.evaluation.metrics import breakdown, score_question

History = list[tuple[str, str]]


@dataclass
class System:
    """A system under test: ``ask(question, history)`` answers like ``rag ask --json``.

    ``history`` holds the conversation's earlier (role, content) turns; systems without conversation
    state (the naive baseline) ignore it.
    """

    name: str
    ask: Callable[[str, History], dict[str, Any]]
    description: str = ""


def run_system(system: System, gold: list[GoldItem], out: Path | None = None,
               progress: Callable[[int, int], None] | None = None) -> tuple[list[dict], dict[str, Any]]:
    results, rows = [], []
    for i, item in enumerate(gold):
        result = system.ask(item.question, item.history)
        results.append({"id": item.id, **result})
        rows.append(score_question(item, result))
        if progress:
            progress(i + 1, len(gold))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as f:
            for r in results:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return rows, breakdown(rows)
