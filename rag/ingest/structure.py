"""The heading tree of a cleaned report as a flat list of sections, each with its heading path and span.

Besides numbered headings it names the unnumbered parts people ask about: the front matter (header block,
addressee, opening), the closing signature, and trailing "problems" / "next steps" paragraphs that some
reports write without a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.ingest.headings import is_heading_only, parse_heading

FRONT = "导言"
CLOSING = "落款"
PROBLEMS = "存在问题"
PLANS = "下一步工作"

_CLOSING_LINE = re.compile(
    r"^(特此报告。?|抄送[：:].*|（此件.{0,8}）|.{0,30}\d{4}年\d{1,2}月\d{1,2}日(印发)?|[\u4e00-\u9fff ]{2,40}(人民政府|委员会|办公室|党委))$"
)
_PROBLEMS_PARA = re.compile(r"^(\d{4}年，)?.{0,40}(存在|差距|不足|短板|薄弱)")
_PLANS_PARA = re.compile(r"^(\d{4}年，|下一步，|今后，).{0,20}(将|继续|计划|要)")


@dataclass
class Section:
    path: list[str]  # heading titles from the top level down
    start: int  # span in the cleaned text, end exclusive
    end: int
    level: int  # depth of the deepest heading (0 for front matter / closing)

    @property
    def top(self) -> str:
        return self.path[0] if self.path else ""


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def parse_sections(text: str, heading_levels: dict[str, int] | None = None) -> list[Section]:
    """Split cleaned text into sections; every character of every line belongs to exactly one section."""
    heading_levels = heading_levels or {}
    lines = text.split("\n")
    spans = _line_spans(text)
    # The closing block: trailing lines that look like signature, date, distribution notes.
    closing_from = len(lines)
    while closing_from > 0 and _CLOSING_LINE.match(lines[closing_from - 1].strip()):
        closing_from -= 1

    sections: list[Section] = []
    stack: list[tuple[int, str]] = []  # (level, title)
    current: Section | None = None
    current_has_body = False

    def open_section(path: list[str], start: int, level: int) -> None:
        nonlocal current, current_has_body
        if current is not None:
            sections.append(current)
        current = Section(path=path, start=start, end=start, level=level)
        current_has_body = False

    for i, line in enumerate(lines):
        s, e = spans[i]
        if not line.strip():
            continue
        parsed = parse_heading(line) if i < closing_from else None
        styled = parsed is None and line in heading_levels and i < closing_from
        if styled:
            parsed = (heading_levels[line], line)
        if i == closing_from:
            open_section([CLOSING], s, 0)
            current_has_body = True
        elif parsed:
            level, title = parsed
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            path = [t for _, t in stack]
            if current is not None and not current_has_body and 0 < current.level < level:
                # A heading line directly followed by a deeper heading joins the child's section,
                # so a bare heading is never a chunk of its own.
                current.path, current.level = path, level
            else:
                open_section(path, s, level)
            # A DOCX heading-style line is a bare heading even without a numbering marker.
            current_has_body = not styled and not is_heading_only(line)
        elif current is None:
            open_section([FRONT], s, 0)
            current_has_body = True
        else:
            part = _unheaded_tail_part(line, current) if i < closing_from else None
            if part:
                open_section([part], s, 0)
            current_has_body = True
        assert current is not None
        current.end = e
    if current is not None:
        sections.append(current)
    return sections


def _unheaded_tail_part(line: str, current: Section | None) -> str | None:
    """Problems/plans paragraphs written without a heading after the last numbered section."""
    if current is None or current.path and current.path[0] in (PROBLEMS, PLANS, CLOSING):
        if current is not None and current.path[0] == PROBLEMS and _PLANS_PARA.match(line):
            return PLANS
        return None
    if parse_heading(line) is not None:
        return None
    top = current.path[0] if current.path else ""
    if any(k in top for k in ("问题", "不足", "短板", "思路", "计划", "打算", "下一步")):
        return None
    if re.match(r"^\d{4}年，", line):
        first = re.split(r"[。；]", line, maxsplit=1)[0]
        if _PROBLEMS_PARA.match(first) and ("但" in first or "问题" in first):
            return PROBLEMS
        if _PLANS_PARA.match(first):
            return PLANS
    return None
