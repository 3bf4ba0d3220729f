"""Reports as offices publish them (issue 11): 公文 DOCX, LibreOffice PDF, government-site HTML in UTF-8 and
GBK, OFD and a scan, all built from the shipped reports by scripts/make_format_fixtures.py with the real
tools (python-docx, soffice, pdftoppm). Each must parse to the same text, sections and metadata as the .txt,
carry page numbers into citations, the API and the original-page view, and failures must be named.

Needs soffice (libreoffice-writer-nogui), pdftoppm (poppler-utils) and fonts-noto-cjk; scripts/install.sh
installs them for tests.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from rag.ingest.document import parse_document
from rag.ingest.readers import ReadError, ReadOptions, read_document
from rag.pipeline import Pipeline
from rag.text import match_key
from scripts.make_format_fixtures import build, write_scan
from tests.conftest import REPORTS, make_settings
from tests.test_faults import seed_cache
from tests.web_helpers import app_server, fetch

DOCS = [p.stem for p in sorted(REPORTS.glob("*.txt"))]
FURNITURE = ("索引号", "打印本页", "关闭窗口", "联系电话", "当前位置", "ICP备", "扫一扫", "上一篇", "浏览次数", "主题分类")

pytestmark = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftoppm")),
                                reason="needs soffice and pdftoppm: apt-get install -y libreoffice-writer-nogui "
                                       "poppler-utils fonts-noto-cjk")


@pytest.fixture(scope="session")
def fixtures(tmp_path_factory) -> dict[str, Path]:
    return build(tmp_path_factory.mktemp("office-formats"), ("docx", "pdf", "html", "html-gbk", "ofd"))


def _file(fixtures: dict[str, Path], fmt: str, doc: str) -> Path:
    return fixtures[fmt] / f"{doc}.{ {'html-gbk': 'html'}.get(fmt, fmt)}"


def _paths(parsed) -> list[str]:
    return [match_key(" > ".join(s.path)) for s in parsed.sections]


@pytest.mark.parametrize("fmt", ["docx", "pdf", "ofd"])
@pytest.mark.parametrize("doc", DOCS)
def test_layout_formats_parse_like_the_text(fixtures, fmt, doc):
    reference = parse_document(REPORTS / f"{doc}.txt")
    parsed = parse_document(_file(fixtures, fmt, doc))
    assert match_key(parsed.text) == match_key(reference.text)  # no split words, page numbers or furniture
    assert _paths(parsed) == _paths(reference)
    assert parsed.metadata.to_dict() == reference.metadata.to_dict()
    if fmt != "docx":
        pages = [c.page for c in parsed.chunks]
        assert all(pages) and pages == sorted(pages) and pages[-1] >= 4


@pytest.mark.parametrize("fmt", ["html", "html-gbk"])
@pytest.mark.parametrize("doc", DOCS)
def test_web_pages_keep_the_article_and_drop_the_site(fixtures, fmt, doc):
    reference = parse_document(REPORTS / f"{doc}.txt")
    path = _file(fixtures, fmt, doc)
    if fmt == "html-gbk":
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    parsed = parse_document(path)
    for chunk in parsed.chunks:
        assert not any(word in chunk.text for word in FURNITURE), chunk.text
    # The page's <h1> comes first; otherwise the same lines (a report without a printed title gains it).
    lines = {match_key(x) for x in parsed.text.split("\n")}
    assert {match_key(x) for x in reference.text.split("\n")} <= lines
    assert _paths(parsed) == _paths(reference)
    assert parsed.metadata.to_dict() == reference.metadata.to_dict()


def test_two_line_title_keeps_the_place(fixtures):
    """公文 DOCX set the title on two lines; metadata and chunk headers keep the issuer's place."""
    import docx

    lines = [p.text for p in docx.Document(str(_file(fixtures, "docx", "shishi-2024"))).paragraphs[:6]]
    assert "石狮市人民政府关于" in lines
    parsed = parse_document(_file(fixtures, "docx", "shishi-2024"))
    assert parsed.metadata.title == "石狮市人民政府关于2024年度法治政府建设情况的报告"
    assert parsed.metadata.place == "石狮市" and parsed.metadata.year == 2024
    assert all(c.embed_text.startswith("石狮市人民政府关于") for c in parsed.chunks)


def _pdf_page_text(path: Path, page: int) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return match_key(pdf[page - 1].get_textpage().get_text_range())
    finally:
        pdf.close()


def test_a_paragraph_over_a_page_break_knows_both_pages(fixtures):
    path = _file(fixtures, "pdf", "shishi-2024")
    parsed = parse_document(path)
    crossing = next(c for c in parsed.chunks if c.page_marks)
    offset, page = crossing.page_marks[0]
    assert page == crossing.page + 1
    assert match_key(crossing.text[offset:][:12]) in _pdf_page_text(path, page)
    assert match_key(crossing.text[:12]) in _pdf_page_text(path, crossing.page)


def test_scan_is_read_by_ocr(fixtures, tmp_path):
    """Two scanned pages (rendered by pdftoppm, back into an image-only PDF) through the packaged OCR model."""
    scan = tmp_path / "shishi-2024.pdf"
    write_scan(_file(fixtures, "pdf", "shishi-2024"), scan, last_page=2)
    raw = read_document(scan)
    assert raw.ocr and raw.source_type == "pdf"
    assert {m[0][1] for m in raw.page_marks} == {1, 2}
    import pypdfium2 as pdfium

    from bench.format_parse import retention

    two_pages = pdfium.PdfDocument.new()
    two_pages.import_pages(pdfium.PdfDocument(str(_file(fixtures, "pdf", "shishi-2024"))), [0, 1])
    two_pages.save(str(tmp_path / "text.pdf"))
    reference = read_document(tmp_path / "text.pdf").text
    assert retention(reference, raw.text) >= 0.97
    assert "一2一" not in raw.text  # the printed page number "— 2 —", as OCR reads it, is not text
    with pytest.raises(ReadError, match="OCR is off"):
        read_document(scan, ReadOptions(ocr=False))


@pytest.mark.parametrize(("doc", "page_no", "flip"), [("anxi-2023", 2, True), ("huqiu-2024", 1, False)])
def test_a_scanned_page_reads_like_the_text_page(fixtures, tmp_path, doc, page_no, flip):
    """Every printed line of a scanned page is read, also from a page fed in upside down, and rebuilt into the
    same paragraphs as the text PDF's page. (RapidOCR's per-line angle classifier used to flip upright lines of
    anxi's page 2, which then read empty; on huqiu's page 1 lines opening with 《 and （ looked indented.)"""
    import pypdfium2 as pdfium
    from PIL import Image

    from bench.format_parse import retention
    from rag.ingest.readers.layout import paragraphs
    from rag.ingest.readers.ocr import ocr_image
    from rag.ingest.readers.pdf import pdf_lines

    text_pdf = pdfium.PdfDocument(str(_file(fixtures, "pdf", doc)))
    reference = [p.text for p in paragraphs([pdf_lines(text_pdf)[page_no - 1]])]
    text_pdf.close()
    write_scan(_file(fixtures, "pdf", doc), tmp_path / "scan.pdf", last_page=page_no)
    scan = pdfium.PdfDocument(str(tmp_path / "scan.pdf"))
    image = scan[page_no - 1].render(scale=2, grayscale=True).to_pil()
    scan.close()
    for page in (image, image.transpose(Image.Transpose.ROTATE_180)) if flip else (image,):
        lines = ocr_image(page, page_no)
        assert retention("\n".join(reference), "\n".join(ln.text for ln in lines)) >= 0.99
        read = [p.text for p in paragraphs([lines])]
        assert len(read) == len(reference)
        assert all(retention(a, b) >= 0.95 for a, b in zip(reference, read, strict=True))


def _docx_with_saved_pages(path: Path) -> None:
    """A DOCX as Word saves it: page ends it laid out (w:lastRenderedPageBreak), one inside a paragraph, and a
    hard page break followed by Word's own mark for the same page."""
    import docx
    from docx.enum.text import WD_BREAK
    from docx.oxml import OxmlElement

    d = docx.Document()
    d.add_paragraph("某县人民政府关于2024年度法治政府建设情况的报告")
    for i in range(3):
        d.add_paragraph(f"第{i + 1}段。" + "依法行政工作稳步推进，" * 8 + "成效明显。")
    p = d.add_paragraph()
    p.add_run("这一段跨页，前半在第一页，")
    p.add_run("后半在第二页。")._r.insert(0, OxmlElement("w:lastRenderedPageBreak"))
    d.add_paragraph("第二页的段落。").runs[0].add_break(WD_BREAK.PAGE)
    d.add_paragraph().add_run("第三页的开头。")._r.insert(0, OxmlElement("w:lastRenderedPageBreak"))
    d.save(str(path))


def test_docx_pages_from_the_layout_word_saved(tmp_path):
    path = tmp_path / "paged.docx"
    _docx_with_saved_pages(path)
    parsed = parse_document(path, chunk_size=80, chunk_overlap=0)
    text = parsed.text

    def page_of(phrase: str) -> int:
        at = text.index(phrase)
        chunk = next(c for c in parsed.chunks if c.start <= at < c.end)
        return max([chunk.page] + [p for o, p in chunk.page_marks if chunk.start + o <= at])

    assert page_of("第1段") == 1 and page_of("前半在第一页") == 1
    assert page_of("后半在第二页") == 2 and page_of("第二页的段落") == 2
    assert page_of("第三页的开头") == 3  # the hard break and Word's mark after it are one page change


@pytest.mark.parametrize("doc", ["anxi-2023"])
def test_docx_without_saved_pages_gets_them_from_libreoffice(fixtures, doc):
    """A generated DOCX records no pages; RAG_DOCX_PAGES=libreoffice lays it out, giving the pages of the PDF
    LibreOffice prints from it. By default it has none."""
    path = _file(fixtures, "docx", doc)
    assert all(c.page is None for c in parse_document(path).chunks)
    paged = parse_document(path, options=ReadOptions(docx_pages="libreoffice"))
    printed = parse_document(_file(fixtures, "pdf", doc))
    assert [(c.text, c.page, c.page_marks) for c in paged.chunks] == \
        [(c.text, c.page, c.page_marks) for c in printed.chunks]
    assert paged.chunks[-1].page >= 4


# -- end to end: pages in citations, the page view, failed files ------------------------------------------------
@pytest.fixture(scope="module")
def pdf_pipeline(fixtures, tmp_path_factory, shipped_index_dir, pipeline):
    data = tmp_path_factory.mktemp("pdf-corpus")
    for doc in ("dehua-2024", "huqiu-2024"):
        shutil.copy(_file(fixtures, "pdf", doc), data)
    shutil.copy(_file(fixtures, "ofd", "licheng-2024"), data)
    # shishi-2024 as a scan that cannot be read with OCR off: a named gap, not "not covered".
    write_scan(_file(fixtures, "pdf", "shishi-2024"), data / "shishi-2024.pdf", last_page=1)
    index = tmp_path_factory.mktemp("pdf-index")
    seed_cache(index, shipped_index_dir)
    pipe = Pipeline(make_settings(index, data_dir=data, ocr=False))
    report = pipe.ingest()
    assert sorted(report.added) == ["dehua-2024", "huqiu-2024", "licheng-2024"]
    return pipe, data


def test_citations_carry_the_page_of_the_quote(pdf_pipeline):
    pipe, data = pdf_pipeline
    result = pipe.ask("虎邱镇聘请了哪家律师事务所担任法律顾问？")
    assert not result.refused and result.citations
    for c in result.citations:
        assert c.page and c.source_type == "pdf"
        quote = match_key(c.quote.split("……")[0])[:15]
        assert quote in _pdf_page_text(data / f"{c.doc}.pdf", c.page)
    from rag.web import render

    html = render.answer(result)  # what the chat shows: the page, and a link to the original page
    first = result.citations[0]
    assert f"第{first.page}页" in html and f"/api/page/{first.doc}/{first.page}.png?q=" in html
    as_json = result.to_dict()
    assert all(isinstance(c["page"], int) for c in as_json["citations"])
    assert all(r["page"] for r in as_json["retrieved"])


def test_failed_report_is_named_everywhere(pdf_pipeline, capsys):
    pipe, _ = pdf_pipeline
    failed = pipe.failures()
    assert [f.file for f in failed] == ["shishi-2024.pdf"] and "OCR" in failed[0].reason
    result = pipe.ask("石狮市2024年办理了多少件行政复议案件？")
    assert result.refused and "石狮市的报告未能读取" in result.answer and "OCR" in result.answer
    from rag.cli import main

    assert main(["--index-dir", str(pipe.settings.index_dir), "docs"]) == 0
    out = capsys.readouterr().out
    assert "shishi-2024.pdf" in out and "OCR" in out


def _yellow(image) -> int:
    import numpy as np

    px = np.asarray(image.convert("RGB")).astype(int)
    return int(((px[..., 0] > 200) & (px[..., 1] > 180) & (px[..., 2] < 150)).sum())


def test_api_serves_pages_and_lists_failures(pdf_pipeline):
    from PIL import Image

    pipe, _ = pdf_pipeline
    with app_server(pipe, pipe.settings) as url:
        health = fetch("GET", f"{url}/api/health").json()
        assert health["failed"][0]["file"] == "shishi-2024.pdf" and health["failed"][0]["reason_zh"]
        answer = fetch("POST", f"{url}/api/ask", {"question": "虎邱镇聘请了哪家律师事务所担任法律顾问？"}).json()
        c = answer["citations"][0]
        reply = fetch("GET", f"{url}/api/page/{c['doc']}/{c['page']}.png?q={quote(c['quote'])}")
        assert reply.status == 200 and reply.headers["content-type"] == "image/png"
        yellow = _yellow(Image.open(io.BytesIO(reply.body)))
        assert yellow > 500  # the quote is highlighted
        plain = Image.open(io.BytesIO(fetch("GET", f"{url}/api/page/{c['doc']}/{c['page']}.png").body))
        assert _yellow(plain) < yellow // 10
        for bad in (f"/api/page/{c['doc']}/999.png", "/api/page/..%2F..%2Fetc%2Fpasswd/1.png", "/api/page/nope/1.png"):
            assert fetch("GET", url + bad).status == 404


def test_ofd_pages_are_shown_with_the_quote(pdf_pipeline):
    """An OFD source opens its page too: the text objects drawn in place, the quote highlighted."""
    from PIL import Image

    from rag.web import render

    pipe, _ = pdf_pipeline
    result = pipe.ask("鲤城区2024年二十届三中全会精神专题研讨班轮训了多少人次区管干部？")
    cited = next(c for c in result.citations if c.doc == "licheng-2024")
    assert cited.source_type == "ofd" and cited.page
    assert f"/api/page/licheng-2024/{cited.page}.png?q=" in render.answer(result)
    with app_server(pipe, pipe.settings) as url:
        reply = fetch("GET", f"{url}/api/page/licheng-2024/{cited.page}.png?q={quote(cited.quote)}")
        assert reply.status == 200 and reply.headers["content-type"] == "image/png"
        page = Image.open(io.BytesIO(reply.body))
        assert page.height > page.width > 500 and _yellow(page) > 500
        plain = Image.open(io.BytesIO(fetch("GET", f"{url}/api/page/licheng-2024/{cited.page}.png").body))
        assert _yellow(plain) == 0
        assert fetch("GET", f"{url}/api/page/licheng-2024/99.png").status == 404


def test_empty_index_warns(tmp_path):
    pipe = Pipeline(make_settings(tmp_path / "idx", data_dir=tmp_path / "none"))
    result = pipe.ask("虎邱镇聘请了哪家律师事务所？")
    assert result.refused and "索引中还没有任何报告" in result.notice
