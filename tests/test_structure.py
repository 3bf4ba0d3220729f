"""Heading structure, chunk boundaries and document metadata of the shipped reports.

Chunks are checked both as parsed (where the cleaned text is at hand) and as stored in the session index,
so the properties hold for what retrieval really serves.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from rag.ingest.document import ParsedDocument, parse_document
from rag.ingest.headings import parse_heading
from rag.ingest.structure import Section
from rag.text import match_key

REPORTS = Path(__file__).resolve().parents[1] / "data" / "reports"
REPORT_FILES = sorted(REPORTS.glob("*.txt"))
IDS = [p.stem for p in REPORT_FILES]

# Heading markers at the start of a raw line: 一、 / （一） / (一) / 1. / 1、 / 一是
RAW_HEADING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)]|\d{1,2}(?:[.．](?!\d)|、)|[一二三四五六七八九十]{1,3}是)"
)
SENTENCE_END = "。！？；!?;"
CLOSERS = "”’」』）)》"
# Sentences of the cleaned text: up to a sentence mark (and closing quotes) or a line end.
SENTENCE = re.compile(rf"[^{SENTENCE_END}\n]*(?:[{SENTENCE_END}]+[{CLOSERS}]*|\n|$)")


@cache
def parsed(doc_id: str, size: int = 400, overlap: int = 60) -> ParsedDocument:
    return parse_document(REPORTS / f"{doc_id}.txt", chunk_size=size, chunk_overlap=overlap)


def raw_headings(doc_id: str) -> list[str]:
    """Titles of the heading lines of the raw file (text up to the first full stop, when short)."""
    titles = []
    for line in (REPORTS / f"{doc_id}.txt").read_text(encoding="utf-8").split("\n"):
        if RAW_HEADING.match(line):
            title = re.split(r"[。！？；]", line.strip(), maxsplit=1)[0]
            if 3 <= len(title) <= 40:
                titles.append(title)
    return titles


def section_of(doc: ParsedDocument, start: int, end: int) -> list[Section]:
    return [s for s in doc.sections if s.start <= start and end <= s.end]


def sentence_at(text: str, section: Section, pos: int) -> str:
    """The sentence of ``section`` that contains character ``pos``."""
    for m in SENTENCE.finditer(text, section.start, section.end):
        if m.start() <= pos < m.end():
            return m.group(0).strip()
    raise AssertionError(f"no sentence at {pos}")


def is_heading_line(text: str) -> bool:
    title_only = re.split(rf"[{SENTENCE_END}]", text.strip(), maxsplit=1)
    return parse_heading(text.strip()) is not None and (len(title_only) == 1 or not title_only[1].strip())


@pytest.fixture(scope="module")
def stored(pipeline):
    """Chunks of the session index, by document."""
    by_doc: dict[str, list] = {}
    for c in pipeline.store.all_chunks():
        by_doc.setdefault(c.doc_id, []).append(c)
    return by_doc


# -- headings ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("doc_id", IDS)
def test_every_heading_line_is_in_a_section_path(doc_id, stored):
    headings = raw_headings(doc_id)
    assert len(headings) >= 20, headings  # the pattern really finds the report's headings
    in_paths = {match_key(t) for c in stored[doc_id] for t in c.section_path}
    missing = [h for h in headings if match_key(h) not in in_paths]
    assert missing == []


@pytest.mark.parametrize("doc_id", IDS)
def test_section_paths_nest_by_marker_level(doc_id):
    """A path runs from the top heading down: 一、 before （一） before 1. before 一是."""
    order = [r"[一二三四五六七八九十]+、", r"（[一二三四五六七八九十]+）", r"\d+[.、]", r"[一二三四五六七八九十]+是"]
    for s in parsed(doc_id).sections:
        levels = [next((i for i, p in enumerate(order) if re.match(p, t)), None) for t in s.path]
        numbered = [lv for lv in levels if lv is not None]
        assert numbered == sorted(set(numbered)), s.path


def test_section_path_string_uses_the_separator(pipeline):
    hits = pipeline.search("虎邱镇聘请了哪家律师事务所担任法律顾问", k=3).chunks
    top = hits[0].to_dict()
    assert top["section"] == "一、聚焦政治统领，坚定法治政府正确方向 > （三）完善法治政府建设推进落实机制"
    for h in hits:
        assert h.to_dict()["section"] == " > ".join(h.chunk.section_path)
    # What the embedder sees starts with the title and the same path.
    doc = parsed("dehua-2024")
    deep = next(c for c in doc.chunks if len(c.section_path) == 3)
    assert deep.embed_text.startswith(f"{doc.metadata.title}｜{' > '.join(deep.section_path)}\n")


# -- chunks and sections ----------------------------------------------------------------------------------
@pytest.mark.parametrize("doc_id", IDS)
def test_stored_chunks_are_the_parsed_chunks(doc_id, stored, pipeline):
    doc = parsed(doc_id, pipeline.settings.chunk_size, pipeline.settings.chunk_overlap)
    got = [(c.text, c.section_path, c.start, c.end) for c in sorted(stored[doc_id], key=lambda c: c.ordinal)]
    assert got == [(c.text, c.section_path, c.start, c.end) for c in doc.chunks]


@pytest.mark.parametrize("size,overlap", [(400, 60), (150, 30), (80, 0)])
@pytest.mark.parametrize("doc_id", IDS)
def test_chunks_stay_inside_one_section_and_map_back(doc_id, size, overlap):
    doc = parsed(doc_id, size, overlap)
    assert doc.chunks
    for c in doc.chunks:
        assert doc.text[c.start : c.end] == c.text
        owners = section_of(doc, c.start, c.end)
        assert len(owners) == 1, f"chunk {c.ordinal} crosses sections: {c.text[:40]}"
        assert owners[0].path[0] == c.section_path[0]
        assert owners[0].path == c.section_path


@pytest.mark.parametrize("doc_id", IDS)
def test_sections_cover_every_line(doc_id):
    doc = parsed(doc_id)
    covered = "".join(doc.text[s.start : s.end] for s in doc.sections)
    assert match_key(covered) == match_key(doc.text)
    assert all(a.end < b.start for a, b in zip(doc.sections, doc.sections[1:], strict=False))


@pytest.mark.parametrize("doc_id", IDS)
def test_no_text_is_lost_between_chunks(doc_id):
    doc = parsed(doc_id)
    for s in doc.sections:
        inside = sorted((c for c in doc.chunks if s.start <= c.start < s.end), key=lambda c: c.start)
        assert inside and inside[0].start == s.start and inside[-1].end == s.end
        assert all(b.start <= a.end + 1 for a, b in zip(inside, inside[1:], strict=False)), s.path


def _check_boundaries(doc: ParsedDocument, size: int, allow_line_end: bool) -> None:
    text = doc.text
    for c in doc.chunks:
        assert c.text[0] not in "。，、；：！？", f"chunk starts with punctuation: {c.text[:20]}"
        section = section_of(doc, c.start, c.end)[0]
        if c.end == section.end or c.text.rstrip(CLOSERS)[-1] in SENTENCE_END:
            continue
        if allow_line_end and text[c.end] == "\n":
            continue
        sentence = sentence_at(text, section, c.end - 1)
        assert len(sentence) > size, f"chunk ends mid-sentence: …{c.text[-25:]}|{text[c.end:c.end + 15]}…"


@pytest.mark.parametrize("doc_id", IDS)
def test_chunks_end_on_sentence_boundaries(doc_id):
    """Default size: every chunk ends with 。！？； or at the end of its section."""
    _check_boundaries(parsed(doc_id), 400, allow_line_end=False)


@pytest.mark.parametrize("size,overlap", [(150, 30), (80, 0)])
@pytest.mark.parametrize("doc_id", IDS)
def test_small_chunks_end_on_sentence_boundaries_unless_the_sentence_is_too_long(doc_id, size, overlap):
    """Small sizes force cuts: they fall on sentence ends, paragraph ends (header lines without a full
    stop), or inside a sentence only when that sentence alone is longer than the chunk size."""
    doc = parsed(doc_id, size, overlap)
    _check_boundaries(doc, size, allow_line_end=True)
    cut = [c for c in doc.chunks if c.end != section_of(doc, c.start, c.end)[0].end]
    assert cut  # the size really forced cuts inside sections


@pytest.mark.parametrize("size,overlap", [(400, 60), (150, 30), (80, 0)])
@pytest.mark.parametrize("doc_id", IDS)
def test_no_chunk_is_a_bare_heading(doc_id, size, overlap):
    doc = parsed(doc_id, size, overlap)
    for c in doc.chunks:
        if c.start > 0 and doc.text[c.start - 1] != "\n":
            continue  # starts inside a paragraph: its first line is no heading line ("二是…" inline)
        lines = [ln for ln in c.text.split("\n") if ln.strip()]
        assert not all(is_heading_line(ln) for ln in lines), f"heading-only chunk: {c.text!r}"


def test_chunk_sizes_respect_the_setting():
    for doc_id in IDS:
        for size, overlap in [(400, 60), (150, 30)]:
            doc = parsed(doc_id, size, overlap)
            # Headings stay with their first sentence and a short tail may join its neighbour.
            assert max(len(c.text) for c in doc.chunks) <= size * 1.5 + 150
            assert sum(len(c.text) for c in doc.chunks) >= len(doc.text) * 0.95


# -- unnumbered parts -------------------------------------------------------------------------------------
ADDRESSEE = {
    "anxi-2023": "市委、市政府：",
    "dehua-2024": "泉州市人民政府：",
    "huqiu-2024": "县委、县政府：",
    "licheng-2024": "泉州市鲤城区人大常委会：",
    "shishi-2024": "石狮市人民代表大会常务委员会：",
}
CLOSING = {
    "anxi-2023": "2024年2月27日印发",
    "dehua-2024": "德化县人民政府\n2025年2月20日",
    "licheng-2024": "泉州市鲤城区人民政府\n2025年1月21日",
    "shishi-2024": "（此件主动公开）",
}


def _chunk_with(chunks, needle: str):
    found = [c for c in chunks if needle in c.text]
    assert found, needle
    return found[0]


@pytest.mark.parametrize("doc_id", IDS)
def test_front_matter_is_labelled(doc_id, stored):
    chunks = sorted(stored[doc_id], key=lambda c: c.ordinal)
    assert chunks[0].section_path == ["导言"]
    assert _chunk_with(chunks, ADDRESSEE[doc_id]).section_path == ["导言"]
    assert not any(RAW_HEADING.match(ln) for c in chunks if c.section_path == ["导言"] for ln in c.text.split("\n"))


@pytest.mark.parametrize("doc_id", sorted(CLOSING))
def test_closing_is_labelled(doc_id, stored):
    chunks = sorted(stored[doc_id], key=lambda c: c.ordinal)
    closing = _chunk_with(chunks, CLOSING[doc_id])
    assert closing.section_path == ["落款"]
    assert closing is chunks[-1]
    assert "。" not in closing.text.replace("特此报告。", "").replace("抄送：市委依法治市办。", "")


def test_unheaded_problems_and_plans_of_anxi(stored):
    chunks = stored["anxi-2023"]
    problems = _chunk_with(chunks, "边远乡镇法治建设水平有待提高")
    plans = _chunk_with(chunks, "加快推进行政复议体制改革和行政执法体制改革")
    assert problems.section_path == ["存在问题"]
    assert plans.section_path == ["下一步工作"]
    assert "志愿者" not in problems.text  # the last numbered section stays where it was
    assert "有待提高" not in plans.text
    last_numbered = _chunk_with(chunks, "累积服务时长1685小时")
    assert last_numbered.section_path[0].startswith("五、")


def test_numbered_problem_and_plan_sections_keep_their_headings(stored):
    assert _chunk_with(stored["licheng-2024"], "涉外法律供给较为不足").section_path == ["二、存在问题和短板"]
    plans = _chunk_with(stored["dehua-2024"], "加大法治检查考核力度")
    assert plans.section_path == ["三、2025年工作思路", "二是深化法治政府建设各项工作"]
    assert _chunk_with(stored["huqiu-2024"], "法治宣传仍需加强").section_path[0] == "七、存在问题与不足"


# -- metadata ---------------------------------------------------------------------------------------------
EXPECTED_META = {
    "shishi-2024": dict(
        title="石狮市人民政府关于2024年度法治政府建设情况的报告", issuer="石狮市人民政府",
        doc_number="狮政综〔2025〕5号", signer="余志伟", date="2025-01-22", year=2024, place="石狮市",
    ),
    "licheng-2024": dict(
        title="泉州市鲤城区人民政府关于2024年法治政府建设情况的报告", issuer="泉州市鲤城区人民政府",
        doc_number="泉鲤政文〔2025〕9号", signer="王克思", date="2025-01-21", year=2024, place="鲤城区",
    ),
    "anxi-2023": dict(
        title="中共安溪县委安溪县人民政府关于2023年度法治政府建设情况的报告", issuer="中共安溪县委安溪县人民政府",
        doc_number="安委〔2024〕27号", signer="吴毓舟刘永强", date="2024-02-27", year=2023, place="安溪县",
    ),
    "huqiu-2024": dict(
        title="虎邱镇2024年度法治政府建设情况的报告", issuer="中共安溪县虎邱镇委员会安溪县虎邱镇人民政府",
        doc_number="", date="2025-02-28", year=2024, place="虎邱镇",
    ),
    "dehua-2024": dict(issuer="德化县人民政府", doc_number="", date="2025-02-20", year=2024, place="德化县"),
}
TEXT_FIELDS = ("title", "issuer", "signer")  # compared without whitespace: "政府 关于" == "政府关于"


@pytest.mark.parametrize("doc_id", IDS)
def test_metadata_from_the_report_itself(doc_id, pipeline):
    docs = {d["doc_id"]: d for d in pipeline.documents()}
    meta = docs[doc_id]
    for key, want in EXPECTED_META[doc_id].items():
        got = meta.get(key)
        if key in TEXT_FIELDS:
            got = match_key(got or "")
        assert got == want, f"{doc_id}.{key}"
    assert meta["chunks"] == len(parsed(doc_id).chunks)


def test_dehua_without_header_block_gets_a_sensible_title(pipeline):
    meta = next(d for d in pipeline.documents() if d["doc_id"] == "dehua-2024")
    title = meta["title"]
    assert "德化县" in title and "2024" in title and title.endswith("报告")
    assert title != "dehua-2024" and len(title) <= 40
    # The title is what every chunk of the document carries.
    assert {c.title for c in parsed("dehua-2024").chunks} == {title}
