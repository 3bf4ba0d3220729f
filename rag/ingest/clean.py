"""Clean extracted report text without losing content.

Handles what real extraction output shows: sentences broken by page breaks and blank lines, web-page
furniture and page numbers, full/half-width variants, stray spaces between Chinese and digits.
Only lines matching a known furniture pattern are dropped, and they are returned so callers can audit them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field

from rag.ingest.headings import heading_level, is_heading_only
from rag.text import CJK_RE

# Whole lines that are page furniture, never report content.
JUNK_LINE_PATTERNS = tuple(
    re.compile(p)
    for p in (
        r"^[-—–－~～\s]*\d{1,4}[-—–－~～\s]*$",  # — 3 —
        r"^第\s*\d+\s*页(\s*[/，,]?\s*共\s*\d+\s*页)?$",
        r"^\d{1,4}\s*/\s*\d{1,4}$",
        r"扫一扫在手机上(查看|打开)",
        r"^(主办|承办|协办|技术支持|版权所有|网站标识码|联系我们|网站地图)(单位)?[：:]?",
        r"(ICP|icp)备\d*|公网安备",
        r"为(确保|了获得)最佳浏览效果",
        r"^建议(您)?使用.{0,40}浏览器",
        r"^【?\s*字[体号]\s*[：:]",
        r"^(打印本页|关闭窗口|返回顶部|分享到[：:]?|【打印】|【关闭】)",
        r"^(上一篇|下一篇)[：:]",
    )
)
_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_TERMINAL = set("。！？；：…”’」』")
_DATE_LINE = re.compile(r"^\S{0,30}?\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日(印发)?$")
_CJK_ALNUM_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])[ \t]+(?=[0-9A-Za-z])|(?<=[0-9A-Za-z%])[ \t]+(?=[\u4e00-\u9fff])")
_MARKER_SPACE = re.compile(r"^(\d{1,2}[.．、]|[（(][一二三四五六七八九十]{1,3}[）)]|[一二三四五六七八九十]{1,3}、)\s+")
_PAREN = re.compile(r"\(([^()\n]{0,80})\)")


@dataclass
class CleanResult:
    text: str
    dropped: list[str] = field(default_factory=list)
    # Per line of ``text``: (offset in line, page) where a page starts; empty lists without page marks.
    page_marks: list[list[tuple[int, int]]] = field(default_factory=list)


def _normalize_chars(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = text.translate(_INVISIBLE).translate(_FULLWIDTH_ALNUM)
    text = text.replace("\u3000", " ").replace("\u00a0", " ")
    # Drop control characters except newline and tab; they break tokenizers and JSON consumers.
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def _full_width_punct(line: str) -> str:
    """Half-width , ; : ? ! ( ) next to Chinese text become their full-width forms."""
    line = _PAREN.sub(lambda m: f"（{m.group(1)}）" if CJK_RE.search(m.group(1)) else m.group(0), line)
    out = []
    for i, ch in enumerate(line):
        if ch in _TO_FULL:
            prev = line[i - 1] if i else ""
            nxt = line[i + 1] if i + 1 < len(line) else ""
            if CJK_RE.match(prev) or CJK_RE.match(nxt) or prev in "）”" or nxt in "（“":
                ch = _TO_FULL[ch]
        out.append(ch)
    return "".join(out)


#: Markdown emphasis left by web-page extraction ("**三是探索数字赋能基层社会治理。**"): never content.
_EMPHASIS = re.compile(r"\*\*+")


#: A character the source's encoding could not hold, written as "???" ("中国白???德化瓷"): the conventional
#: placeholder for a missing character, so that no sentence is cut at a question mark inside a name.
_LOST_CHAR = re.compile(r"(?<=[\u4e00-\u9fff“”《])\?{2,}(?=[\u4e00-\u9fff“”》])")


def normalize_line(line: str) -> str:
    line = _LOST_CHAR.sub("□", _EMPHASIS.sub("", line))
    line = re.sub(r"[ \t]+", " ", line.strip())
    line = _CJK_ALNUM_SPACE.sub("", line)
    line = _MARKER_SPACE.sub(r"\1", line)
    return _full_width_punct(line)


def is_junk(line: str) -> bool:
    return any(p.search(line) for p in JUNK_LINE_PATTERNS)


def _is_standalone(line: str) -> bool:
    """Lines that always stand alone: headings, dates, addressees, notes like （此件主动公开）."""
    return (
        heading_level(line) is not None
        or bool(_DATE_LINE.match(line))
        or (line.endswith("：") and len(line) <= 40)
        or (line.startswith("（") and line.endswith("）") and len(line) <= 20)
        or line.startswith("抄送")
    )


def _continues(prev: str, line: str) -> bool:
    """Does ``line`` continue the sentence that ``prev`` left unfinished (page break, blank line)?"""
    if not prev or _is_standalone(line) or is_heading_only(prev) or _DATE_LINE.match(prev):
        return False
    last = prev[-1]
    if last in _TERMINAL or prev.endswith("报告"):
        return False
    if last in "，、（“《":
        return True
    # A body line cut mid-word: long enough to be prose, ending in a Chinese character or a digit.
    return len(prev) >= 16 and (bool(CJK_RE.match(last)) or last.isdigit()) and "。" in prev + line


def _title_continues(prev: str, line: str) -> bool:
    """A title set over two lines: "XX市人民政府关于" / "2024年度法治政府建设情况的报告"."""
    return (len(prev) <= 40 and prev.endswith("关于") and "报告" in line and len(line) <= 50
            and not any(p in prev + line for p in "。：；"))


def _cleaned_offset(raw_line: str, offset: int, line: str) -> int:
    """Where ``offset`` of a raw line lands in its normalised form (spaces and marks removed before it)."""
    if offset >= len(raw_line):
        return len(line)
    return min(len(line), max(0, len(normalize_line(raw_line[: offset + 1])) - 1))


def clean_line(line: str) -> str:
    """One line as ``clean_text`` writes it: to match lines known from the source format (DOCX headings)."""
    return normalize_line(_normalize_chars(line).replace("\n", " "))


def clean_text(raw: str, standalone: Collection[str] = (), page_marks: list[list[tuple[int, int]]] | None = None,
               paragraphs_known: bool = False) -> CleanResult:
    """Cleaned text: one paragraph per line, no blank lines; dropped furniture lines are reported.

    ``standalone``: cleaned lines never joined with their neighbours (headings known from DOCX styles).
    ``page_marks``: per raw line, where pages start (from the reader); carried to the cleaned lines.
    ``paragraphs_known``: the reader rebuilt paragraphs from layout, so only a split title is rejoined.
    """
    raw_lines = _normalize_chars(raw).split("\n")
    lines = [normalize_line(x) for x in raw_lines]
    keep_apart = set(standalone)
    kept: list[str] = []
    marks: list[list[tuple[int, int]]] = []
    dropped: list[str] = []
    for i, line in enumerate(lines):
        if not line:
            continue
        if is_junk(line):
            dropped.append(line)
            continue
        own = [(_cleaned_offset(raw_lines[i], o, line), p) for o, p in page_marks[i]] \
            if page_marks and i < len(page_marks) else []
        prev = kept[-1] if kept else ""
        joins = prev and prev not in keep_apart and line not in keep_apart and (
            _title_continues(prev, line) or (not paragraphs_known and _continues(prev, line)))
        if joins:
            joiner = " " if prev[-1].isascii() and line[0].isascii() else ""
            shift = len(prev) + len(joiner)
            kept[-1] = prev + joiner + line
            marks[-1].extend((o + shift, p) for o, p in own if not marks[-1] or marks[-1][-1][1] != p)
        else:
            kept.append(line)
            marks.append(own)
    return CleanResult(text="\n".join(kept), dropped=dropped, page_marks=marks if page_marks else [])
