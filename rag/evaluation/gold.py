"""The gold Q&A set: loading and the matching rules every metric uses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rag.text import match_key


@dataclass
class GoldItem:
    id: str
    question: str
    answer: str
    must_contain: list[str]
    docs: list[str]  # empty for unanswerable
    evidence: list[str]
    sections: list[str]
    type: str
    split: str
    history: list[tuple[str, str]] = field(default_factory=list)  # earlier (role, content) turns

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"

    @property
    def doc_label(self) -> str:
        if not self.docs:
            return "(none)"
        return self.docs[0] if len(self.docs) == 1 else "(cross)"


def _as_list(v) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


def _history(turns, path: Path, n: int) -> list[tuple[str, str]]:
    out = []
    for t in turns or []:
        if not isinstance(t, dict) or t.get("role") not in ("user", "assistant") or not isinstance(t.get("content"), str):
            raise ValueError(f"{path}:{n}: history turns are {{'role': 'user'|'assistant', 'content': str}}")
        out.append((t["role"], t["content"]))
    return out


def load_gold(path: Path, split: str | None = None) -> list[GoldItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON: {exc}") from exc
        item = GoldItem(
            id=d["id"], question=d["question"], answer=d.get("answer", ""),
            must_contain=list(d.get("must_contain") or []), docs=_as_list(d.get("doc")),
            evidence=_as_list(d.get("evidence")), sections=_as_list(d.get("section")),
            type=d["type"], split=d.get("split", "test"), history=_history(d.get("history"), path, n),
        )
        if split in (None, "all") or item.split == split:
            items.append(item)
    return items


def contains(haystack: str, needle: str) -> bool:
    return match_key(needle) in match_key(haystack)


def section_matches(gold_section: str, cited_section: str) -> bool:
    """The cited section path holds the gold section's deepest heading (front matter: 导言/落款)."""
    if not gold_section:
        return cited_section in ("导言", "落款", "")
    last = gold_section.split(" > ")[-1]
    return match_key(last) in match_key(cited_section)
