"""Property-based tests of cleaning, structure and chunking (hypothesis): no body text is lost, chunk
spans map back to the cleaned text, and arbitrary Unicode never crashes any text stage.
"""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.ingest.chunker import chunk_document
from rag.ingest.clean import clean_line, clean_text, is_junk
from rag.ingest.metadata import extract_metadata
from rag.ingest.structure import FRONT, parse_sections
from rag.retrieval.tokenize import normalize_query, tokenize
from rag.text import match_key, split_sentences

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- report-like text ------------------------------------------------------------------------------
# Characters real extraction output is made of, including the noise the cleaner must handle:
# full-width digits/letters, ideographic and no-break spaces, tabs, zero-width marks, control bytes.
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
BODY_CHARS = st.one_of(
    CJK, CJK, CJK, CJK,
    st.sampled_from(list("0123456789０１２３４５６７８９ABCxyzＡＢａｂ%")),
    st.sampled_from(list("，。、；：？！“”《》（）()〔〕,;:?!-—.．…")),
    st.sampled_from([" ", "\u3000", "\u00a0", "\t", "\u200b", "\ufeff", "\x00", "\x07", "\x1b"]),
)
WORDS = st.text(BODY_CHARS, min_size=1, max_size=40)
MARKERS = st.sampled_from(["一、", "二、", "十二、", "（一）", "(三)", "（十）", "1.", "2、", "12．", "一是", "三是", ""])
FURNITURE = st.sampled_from([
    "— 3 —", "- 12 -", "第 2 页", "第3页 共9页", "3/9", "扫一扫在手机上查看当前页面", "网站标识码：3505000001",
    "闽ICP备12345678号", "打印本页", "关闭窗口", "上一篇：关于……", "【字体：大 中 小】",
])
LINE = st.one_of(
    WORDS,
    st.builds(lambda m, w: m + w, MARKERS, WORDS),
    st.builds(lambda w, end: w + end, WORDS, st.sampled_from(["。", "；", "：", "，", "", "报告"])),
    st.builds(lambda y, mo, d: f"{y}年{mo}月{d}日", st.integers(2000, 2030), st.integers(1, 12), st.integers(1, 31)),
    FURNITURE,
    st.just(""),
)
LINES = st.lists(LINE, min_size=0, max_size=30)

_REMOVED = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}


def _visible(line: str) -> str:
    """What of a raw line is content: without control characters and invisible marks, compared by match_key."""
    return match_key("".join(ch for ch in line if ch not in _REMOVED and unicodedata.category(ch) != "Cc"))


def _body_lines(lines: list[str]) -> list[str]:
    """Input lines that are not page furniture (decided on the line as the cleaner sees it)."""
    out = []
    for ln in lines:
        seen = clean_line(ln)
        if seen and not is_junk(seen):
            out.append(ln)
    return out


@PROFILE
@given(LINES)
def test_cleaning_loses_no_body_text(lines):
    raw = "\n".join(lines)
    result = clean_text(raw)
    body = _body_lines(lines)
    # Every non-whitespace character of every body line survives, in order, and nothing is added:
    # joining lines only ever inserts "" or " ".
    assert match_key(result.text) == "".join(_visible(ln) for ln in body)
    # What was dropped is furniture, and only furniture.
    assert all(is_junk(d) for d in result.dropped)
    assert len(result.dropped) == sum(1 for ln in lines if clean_line(ln) and is_junk(clean_line(ln)))
    # The output shape the later stages rely on.
    text = result.text
    assert "\n\n" not in text and text == text.strip()
    assert all(ln == ln.strip() and ln for ln in text.split("\n")) or text == ""
    assert not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in text)


@PROFILE
@given(LINES, st.sampled_from([(400, 60), (150, 30), (80, 0)]))
def test_chunk_spans_map_back_to_the_cleaned_text(lines, size_overlap):
    size, overlap = size_overlap
    text = clean_text("\n".join(lines)).text
    sections = parse_sections(text)
    # Sections are in order, disjoint, and cover every line of the text.
    assert all(a.end < b.start for a, b in zip(sections, sections[1:], strict=False))
    covered = "".join(text[s.start : s.end] for s in sections)
    assert match_key(covered) == match_key(text)
    assert all(s.path for s in sections)
    meta = extract_metadata("doc-1", text, 0)
    chunks = chunk_document("doc-1", text, sections, meta.title, meta.year, size=size, overlap=overlap)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert len({c.id for c in chunks}) == len(chunks)
    for c in chunks:
        assert c.text == text[c.start : c.end] and c.text.strip()
        section = next(s for s in sections if s.start <= c.start and c.end <= s.end)  # never across sections
        assert c.section_path == section.path
        assert c.embed_text.endswith(c.text)
    # Together the chunks hold every non-whitespace character of every section.
    for s in sections:
        inside = [c for c in chunks if s.start <= c.start < s.end]
        held = set()
        for c in inside:
            held.update(range(c.start, c.end))
        missing = [i for i in range(s.start, s.end) if not text[i].isspace() and i not in held]
        assert not missing, f"section {s.path} loses {text[missing[0]:missing[0] + 20]!r}"
    if text and sections[0].path == [FRONT]:
        assert sections[0].start == 0


@PROFILE
@given(st.text(max_size=300))
def test_arbitrary_unicode_never_crashes(text):
    result = clean_text(text)
    cleaned = result.text
    sections = parse_sections(cleaned)
    meta = extract_metadata("x", cleaned, 0)
    chunks = chunk_document("x", cleaned, sections, meta.title, meta.year, size=80, overlap=10)
    assert all(c.text == cleaned[c.start : c.end] for c in chunks)
    assert isinstance(meta.title, str) and meta.title
    for piece in (text, cleaned):
        assert all(isinstance(t, str) and t for t in tokenize(piece))
        tokenize(piece, search_mode=False)
        normalize_query(piece)
        for s, e in split_sentences(piece):
            assert 0 <= s < e <= len(piece)


@PROFILE
@given(st.lists(st.text(max_size=60), max_size=12), st.dictionaries(st.text(max_size=20), st.integers(1, 4), max_size=3))
def test_arbitrary_lines_and_heading_styles_never_crash(lines, heading_levels):
    """As a DOCX gives them: lines plus heading-style texts, which may not even be in the document."""
    standalone = {clean_line(k): v for k, v in heading_levels.items()}
    cleaned = clean_text("\n".join(lines), standalone=standalone).text
    sections = parse_sections(cleaned, standalone)
    chunks = chunk_document("y", cleaned, sections, "标题", 2024, size=120, overlap=20)
    assert all(c.text == cleaned[c.start : c.end] for c in chunks)
