"""Cleaning on the shipped corpus and on synthetic extraction output: no content lost, furniture gone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.ingest.clean import clean_text
from rag.ingest.readers import read_document
from rag.text import match_key, split_sentences

REPORTS = Path(__file__).resolve().parents[1] / "data" / "reports"
REPORT_FILES = sorted(REPORTS.glob("*.txt"))

# The only lines of the shipped corpus that are not report content: dehua-2024 was saved from a web page.
KNOWN_FURNITURE = {
    "dehua-2024": ("扫一扫在手机上查看当前页面", "主办:德化县人民政府办公室", "为确保最佳浏览效果"),
}


def _raw(name: str) -> str:
    return (REPORTS / f"{name}.txt").read_text(encoding="utf-8")


def _clean(name: str):
    return clean_text(read_document(REPORTS / f"{name}.txt").text)


def test_corpus_is_shipped():
    assert {p.stem for p in REPORT_FILES} == {"anxi-2023", "dehua-2024", "huqiu-2024", "licheng-2024", "shishi-2024"}


def test_sentence_broken_by_blank_line_is_rejoined():
    raw = _raw("licheng-2024")
    assert "开展区管干部学\n\n习贯彻" in raw  # the defect this test is about is really in the file
    text = _clean("licheng-2024").text
    assert "开展区管干部学习贯彻" in text
    # ...and it is one sentence again, not two pieces on two lines.
    sentences = [text[s:e] for s, e in split_sentences(text)]
    joined = [s for s in sentences if "开展区管干部学" in s]
    assert len(joined) == 1
    assert joined[0].startswith("开展区管干部学习贯彻习近平新时代中国特色社会主义思想")
    assert joined[0].endswith("轮训区管干部504人次。")


def test_web_page_furniture_is_dropped():
    result = _clean("dehua-2024")
    for needle in ("扫一扫", "在手机上查看当前页面", "主办", "最佳浏览效果", "浏览器", "IE内核"):
        assert needle not in result.text, needle
    # The report itself still ends with its signature and the disclosure note.
    assert result.text.rstrip().endswith("德化县人民政府\n2025年2月20日\n（此件主动公开）")
    assert len(result.dropped) == 3


@pytest.mark.parametrize("path", REPORT_FILES, ids=lambda p: p.stem)
def test_only_known_furniture_is_dropped(path: Path):
    dropped = clean_text(read_document(path).text).dropped
    known = KNOWN_FURNITURE.get(path.stem, ())
    unexpected = [ln for ln in dropped if not any(match_key(k) in match_key(ln) for k in known)]
    assert unexpected == []


def test_page_numbers_and_furniture_in_synthetic_extraction_output():
    raw = "\n".join([
        "测试县人民政府关于2024年度法治政府建设情况的报告",
        "一、主要工作情况",
        "2024年，全县共办理法律援助案件1332件，线上线下提供免费法律",
        "",
        "— 3 —",
        "",
        "咨询2116人次。全县共有“法律明白人”20人。",
        "- 12 -",
        "第 3 页 共 10 页",
        "扫一扫在手机上查看当前页面",
        "主办：测试县人民政府办公室  网站标识码：3505260001",
        "为确保最佳浏览效果，建议您使用以下浏览器版本：IE浏览器9.0版本及以上",
        "二、存在问题",
        "执法规范化水平仍需提升，全年共有12-15人次参加培训。",
    ])
    result = clean_text(raw)
    lines = result.text.split("\n")
    assert not any(re.fullmatch(r"[-—–\s\d]+", ln) for ln in lines), lines
    assert "第3页" not in match_key(result.text)
    for furniture in ("扫一扫", "主办", "网站标识码", "浏览器"):
        assert furniture not in result.text
    # The sentence cut by the page break is whole again, and numbers inside sentences are kept.
    assert "线上线下提供免费法律咨询2116人次。" in result.text
    assert "全年共有12-15人次参加培训。" in result.text
    assert lines[0] == "测试县人民政府关于2024年度法治政府建设情况的报告"
    assert "一、主要工作情况" in lines and "二、存在问题" in lines
    assert len(result.dropped) == 6


def test_half_width_heading_markers_become_full_width():
    raw = _raw("dehua-2024")
    assert "(六)聚焦法治为民" in raw
    text = _clean("dehua-2024").text
    lines = text.split("\n")
    assert "（六）聚焦法治为民，夯实法治社会建设基础" in lines
    assert not re.search(r"^\([一二三四五六七八九十]+\)", text, flags=re.M)
    # Same in synthetic input, with the stray space after the marker removed.
    cleaned = clean_text("一、总体情况\n(一) 坚持思想引领\n内容。\n(二)完善制度(试行)\n内容。").text.split("\n")
    assert "（一）坚持思想引领" in cleaned
    assert "（二）完善制度（试行）" in cleaned


def test_web_extraction_marks_are_not_text():
    """"**三是…**" (markdown emphasis of a web page) and "中国白???德化瓷" (a character the source could not
    encode) would cut sentences at a question mark and print asterisks in answers."""
    text = _clean("dehua-2024").text
    assert "“中国白□德化瓷”品牌的十项举措" in text
    assert "???" not in text and "？？" not in text
    shishi = _clean("shishi-2024").text
    assert "**" not in shishi
    assert "三是探索数字赋能基层社会治理。依托智慧石狮城市大脑" in shishi
    assert clean_text("他问：是吗??").text == "他问：是吗？？"  # doubled marks after a question stay


@pytest.mark.parametrize("path", REPORT_FILES, ids=lambda p: p.stem)
def test_cleaning_keeps_every_sentence_in_order(path: Path):
    raw = path.read_text(encoding="utf-8")
    furniture = KNOWN_FURNITURE.get(path.stem, ())
    body = "\n".join(ln for ln in raw.split("\n") if not any(match_key(f) in match_key(ln) for f in furniture))
    # Markdown emphasis is dropped and a lost character ("???") becomes one placeholder; nothing else changes.
    body = re.sub(r"\?{2,}", "□", body.replace("**", ""))
    cleaned = match_key(clean_text(read_document(path).text).text)
    sentences = [match_key(s) for s in re.split(r"[。！？]", body)]
    sentences = [s for s in sentences if s]
    assert len(sentences) > 40
    pos = 0
    for s in sentences:
        found = cleaned.find(s, pos)
        assert found >= 0, f"lost or reordered: {s[:60]}"
        pos = found


def test_cleaned_text_has_no_blank_lines_or_control_characters():
    for path in REPORT_FILES:
        text = clean_text(read_document(path).text).text
        assert "\n\n" not in text and not text.startswith("\n")
        assert not re.search(r"[\x00-\x08\x0b-\x1f\u200b\ufeff\u3000]", text)
        assert all(ln == ln.strip() for ln in text.split("\n"))
