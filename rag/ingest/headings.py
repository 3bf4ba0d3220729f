"""Heading markers of Chinese official documents: 一、 / （一） / 1. 1、 / 一是.

Levels are fixed by the marker kind, which is how these reports are written (GB/T 9704 numbering).
"""

from __future__ import annotations

import re

_NUM = "一二三四五六七八九十"
HEADING_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^[{_NUM}]{{1,3}}、")),
    (2, re.compile(rf"^[（(][{_NUM}]{{1,3}}[）)]")),
    (3, re.compile(r"^\d{1,2}(?:[.．](?!\d)|、)")),
    (4, re.compile(rf"^[{_NUM}]{{1,3}}是(?=[\u4e00-\u9fff“《])")),
)
# A heading's title ends at the first full stop; longer "titles" are prose that happens to start with a marker.
MAX_TITLE_CHARS = 60
_TITLE_END = re.compile(r"[。！？；]")


def heading_level(line: str) -> int | None:
    for level, pattern in HEADING_PATTERNS:
        if pattern.match(line):
            return level
    return None


def heading_title(line: str) -> str:
    """The heading part of a line: up to the first full stop (inline headings run on into the body)."""
    m = _TITLE_END.search(line)
    title = line[: m.start()] if m else line
    return title.strip()


def is_heading_only(line: str) -> bool:
    """A line that is a heading and nothing else (no sentence after it)."""
    if heading_level(line) is None:
        return False
    m = _TITLE_END.search(line)
    return m is None or m.end() >= len(line.rstrip())


def parse_heading(line: str) -> tuple[int, str] | None:
    """(level, title) when the line opens with a heading marker and a plausible title, else None."""
    level = heading_level(line)
    if level is None:
        return None
    title = heading_title(line)
    if len(title) > MAX_TITLE_CHARS or len(title) < 3:
        return None
    return level, title
