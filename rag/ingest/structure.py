"""The heading tree of a cleaned report as a flat list of sections, each with its heading path and span.

Besides numbered headings it names the unnumbered parts people ask about: the front matter (header block,
addressee, opening), the closing signature, and trailing "problems" / "next steps" paragraphs that some
reports write without a heading.

附件 (attachments) are their own sections: the list under the body (「附件：1. …」, path ``[附件]``) and each
attachment body after the signature, which starts with its label on a line of its own (「附件1」, path
``[附件, "附件1 <its title>"]``, its own headings below that). Neither joins the last body section nor the 落款.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.ingest.headings import is_heading_only, parse_heading

FRONT = "导言"
CLOSING = "落款"
PROBLEMS = "存在问题"
PLANS = "下一步工作"
ATTACHMENT = "附件"

_CLOSING_LINE = re.compile(
    r"^(特此报告。?|抄送[：:].*|（此件.{0,8}）|.{0,30}\d{4}年\d{1,2}月\d{1,2}日(印发)?|[\u4e00-\u9fff ]{2,40}(人民政府|委员会|办公室|党委))$"
)
# An attachment body's label on a line of its own: 附件 / 附件1 / 附件 2 / 附件一, or with its title after a
# space (附件1 石狮市…统计表). With a colon it is the attachment list instead.
_ATTACH_LABEL = re.compile(r"^(附件\s*[0-9０-９一二三四五六七八九十]{0,3})(?:\s+([^。；：:]{2,40}))?$")
# The attachment list under the body: 「附件：1. …」 and its further numbered items.
_ATTACH_LIST = re.compile(r"^附件\s*[0-9一二三四五六七八九十]{0,3}\s*[:：]")
_ATTACH_ITEM = re.compile(r"^\d{1,2}\s*[.．、]")
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
    # Attachment bodies: from the first label line on its own after the body began.
    attach_from = next((i for i, ln in enumerate(lines) if i > 0 and _ATTACH_LABEL.match(ln.strip())), len(lines))
    # The closing block (signature, date, distribution notes) and the attachment list, in either order,
    # at the end of the body.
    closing_from = _closing_start(lines, attach_from)
    list_from = _list_start(lines, closing_from)
    has_list = list_from < closing_from
    if has_list and closing_from == attach_from:  # the list comes after the signature
        closing_from = _closing_start(lines, list_from)
    if not has_list:
        list_from = attach_from
    body_end = min(list_from, closing_from)

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

    base: list[str] = []  # path of the attachment the headings belong to
    for i, line in enumerate(lines):
        s, e = spans[i]
        if not line.strip():
            continue
        in_body = i < body_end or i > attach_from
        parsed = parse_heading(line) if in_body else None
        styled = parsed is None and line in heading_levels and in_body
        if styled:
            parsed = (heading_levels[line], line)
        if i >= attach_from and _ATTACH_LABEL.match(line.strip()):
            base = [ATTACHMENT, _attachment_name(line, lines[i + 1:])]
            stack = []
            open_section(list(base), s, 0)
            current_has_body = False  # its first heading takes the label in, as a bare heading would
        elif i == list_from and has_list:
            open_section([ATTACHMENT], s, 0)
            current_has_body = True
        elif i == closing_from and closing_from < attach_from and closing_from != list_from:
            open_section([CLOSING], s, 0)
            current_has_body = True
        elif base and _is_attachment_title(line, current, base):
            pass  # the attachment's title, already in its section name
        elif parsed:
            level, title = parsed
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            path = base + [t for _, t in stack]
            if current is not None and not current_has_body and (0 < current.level < level or current.path == base):
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
            part = _unheaded_tail_part(line, current) if i < body_end else None
            if part:
                open_section([part], s, 0)
            current_has_body = True
        assert current is not None
        current.end = e
    if current is not None:
        sections.append(current)
    return sections


def _closing_start(lines: list[str], end: int) -> int:
    start = end
    while start > 0 and _CLOSING_LINE.match(lines[start - 1].strip()):
        start -= 1
    return start


def _list_start(lines: list[str], end: int) -> int:
    """Start of an attachment list (「附件：1. …」 and numbered items) ending at ``end``; ``end`` when none."""
    start = end
    while start > 1 and _ATTACH_ITEM.match(lines[start - 1].strip()):
        start -= 1
    return start - 1 if start > 0 and _ATTACH_LIST.match(lines[start - 1].strip()) else end


def _attachment_name(label: str, after: list[str]) -> str:
    """「附件1 <title>」: the label and the short line below it, when that line is a title."""
    m = _ATTACH_LABEL.match(label.strip())
    label = re.sub(r"\s+", "", m.group(1)) if m else label.strip()
    if m and m.group(2):  # the title is on the label's line
        return f"{label} {m.group(2).strip()}"
    title = next((ln.strip() for ln in after if ln.strip()), "")
    if title and len(title) <= 40 and not re.search(r"[。；]", title) and not _ATTACH_LABEL.match(title):
        return f"{label} {title}"
    return label


def _is_attachment_title(line: str, current: Section | None, base: list[str]) -> bool:
    """The title line right under an attachment label is part of the label section, not a heading."""
    return current is not None and current.path == base and base[-1].endswith(" " + line.strip())


def _unheaded_tail_part(line: str, current: Section | None) -> str | None:
    """Problems/plans paragraphs written without a heading after the last numbered section."""
    if current is None or current.path and current.path[0] in (PROBLEMS, PLANS, CLOSING, ATTACHMENT):
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
