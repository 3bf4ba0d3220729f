"""Honest gaps: a question about a place whose report failed to ingest says so, instead of "not covered"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from rag.ingest.failures import Failure
from rag.retrieval.scope import aliases
from rag.text import is_cjk


def _names_place(file: str, place: str) -> bool:
    stem = Path(file).stem.lower()
    tokens = set(re.split(r"[-_ .，,（）()]+", stem))
    for alias in aliases(place):
        alias = alias.lower()
        if len(alias) >= 2 and (alias in stem if is_cjk(alias[0]) else alias in tokens):
            return True
    return False


def failed_report_notice(places: Sequence[str], failures: Sequence[Failure]) -> str:
    """'石狮市的报告未能读取：扫描件识别失败。' for each place whose report is among the failed files.

    ``places``: places the question names that no indexed report covers (``ScopeResolver.unknown_places``);
    a failed file is matched by its name (石狮市…pdf, shishi-2024.pdf).
    """
    lines = []
    for place in places:
        failed = next((f for f in failures if _names_place(f.file, place)), None)
        if failed is not None:
            lines.append(f"{place}的报告未能读取（{failed.file}）：{failed.reason_zh}。")
    return "\n".join(dict.fromkeys(lines))
