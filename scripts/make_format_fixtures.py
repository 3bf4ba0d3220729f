"""Build the shipped reports the way offices publish them, for the format tests and the per-format eval.

From each ``data/reports/*.txt`` (its cleaned paragraphs): a 公文 DOCX (python-docx: red header, 文号, title on
two lines, bold headings, "— 1 —" footers), a PDF converted from it by LibreOffice headless, a government-site
HTML page (menu, breadcrumb, 索引号 table, footer) in UTF-8 and in GBK, an OFD (the PDF's text lines as OFD
text objects) and a scan (pdftoppm page images back into an image-only PDF).

    python scripts/make_format_fixtures.py OUT_DIR [--formats docx,pdf,html,html-gbk,ofd,scan] [--docs shishi-2024]

Writes OUT_DIR/<format>/<doc>.<ext>; existing files are kept (delete the folder to rebuild). Needs soffice
(libreoffice-writer-nogui), pdftoppm (poppler-utils) and a CJK font (fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.ingest.document import parse_document  # noqa: E402
from rag.ingest.headings import heading_title, parse_heading  # noqa: E402
from rag.ingest.structure import CLOSING, FRONT  # noqa: E402

FORMATS = ("docx", "pdf", "html", "html-gbk", "ofd", "scan")
BODY_FONT = "Noto Serif CJK SC"
HEAD_FONT = "Noto Sans CJK SC"


def report_parts(txt: Path) -> tuple[list[str], list[str], list[str], str]:
    """(header lines before the title, body lines, closing lines, title) of a shipped report."""
    parsed = parse_document(txt)
    lines = parsed.text.split("\n")
    front = next((s for s in parsed.sections if s.path == [FRONT]), None)
    closing = next((s for s in parsed.sections if s.path == [CLOSING]), None)
    n_front = parsed.text[: front.end].count("\n") + 1 if front else 0
    n_close = parsed.text[: closing.start].count("\n") if closing else len(lines)
    return lines[:n_front], lines[n_front:n_close], lines[n_close:], parsed.metadata.title


def _split_title(line: str) -> list[str]:
    if "关于" in line and not line.startswith("关于"):
        head, tail = line.split("关于", 1)
        return [head + "关于", tail]
    return [line]


# -- DOCX ---------------------------------------------------------------------------------------------
def _font(run, name: str, size: float, bold: bool = False, color: tuple[int, int, int] | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if color:
        run.font.color.rgb = RGBColor(*color)


def _page_number_footer(section) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("— "), BODY_FONT, 14)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    field.append(r)
    p._p.append(field)
    _font(p.add_run(" —"), BODY_FONT, 14)


def write_docx(txt: Path, out: Path) -> None:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    front, body, closing, title = report_parts(txt)
    d = docx.Document()
    sec = d.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    _page_number_footer(sec)

    def para(text: str, size: float = 16, font: str = BODY_FONT, align=None, indent: bool = True,
             bold_prefix: str = "", bold: bool = False, color=None):
        p = d.add_paragraph()
        fmt = p.paragraph_format
        fmt.line_spacing = Pt(28.9)
        fmt.space_after = Pt(0)
        if align is not None:
            p.alignment = align
        elif indent:
            fmt.first_line_indent = Pt(size * 2)
        if bold_prefix:
            _font(p.add_run(bold_prefix), HEAD_FONT, size, bold=True)
            text = text[len(bold_prefix):]
        if text:
            _font(p.add_run(text), font, size, bold=bold, color=color)
        return p

    for line in front:
        if line == title:
            for piece in _split_title(line):
                para(piece, 22, HEAD_FONT, WD_ALIGN_PARAGRAPH.CENTER)
        elif line.endswith("文件") or line.endswith("委员会") and len(line) < 20:
            para(line, 26, HEAD_FONT, WD_ALIGN_PARAGRAPH.CENTER, color=(0xC0, 0, 0))  # red header
        elif "〔" in line and line.endswith("号") or line.startswith("签发人"):
            para(line, 16, align=WD_ALIGN_PARAGRAPH.CENTER)
        elif line.endswith("：") and len(line) <= 40:
            para(line, indent=False)  # addressee, flush left
        else:
            para(line)
    for line in body:
        parsed = parse_heading(line)
        if parsed:
            head = heading_title(line)
            rest = line[len(head):]
            if rest.startswith("。"):
                head += "。"
            para(line, bold_prefix=head)
        else:
            para(line)
    for line in closing:
        right = not line.startswith(("抄送", "（", "特此"))
        para(line, align=WD_ALIGN_PARAGRAPH.RIGHT if right else None, indent=not right)
    d.save(str(out))


# -- PDF (LibreOffice) and scan (pdftoppm) --------------------------------------------------------------
def write_pdf(docx_path: Path, out: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise SystemExit("soffice not found: apt-get install -y libreoffice-writer-nogui fonts-noto-cjk")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to", "pdf",
                        "--outdir", tmp, str(docx_path)], check=True, capture_output=True, timeout=300)
        shutil.move(str(Path(tmp) / (docx_path.stem + ".pdf")), out)


def write_scan(pdf: Path, out: Path, dpi: int = 150, last_page: int | None = None) -> None:
    from PIL import Image

    if not shutil.which("pdftoppm"):
        raise SystemExit("pdftoppm not found: apt-get install -y poppler-utils")
    with tempfile.TemporaryDirectory() as tmp:
        pages = ["-l", str(last_page)] if last_page else []
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", *pages, str(pdf), f"{tmp}/p"], check=True,
                       timeout=300)
        pages = [Image.open(p).convert("L") for p in sorted(Path(tmp).glob("p-*.png"))]
        pages[0].save(out, "PDF", resolution=float(dpi), save_all=True, append_images=pages[1:])


# -- HTML -----------------------------------------------------------------------------------------------
HTML_PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{title}_{site}</title>
<link rel="stylesheet" href="/css/style.css"><script src="/js/jquery.min.js"></script></head>
<body>
<div class="top"><a href="/">{site}</a> | <a href="/wza/">无障碍</a> | <a href="/en/">English</a></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwfw/">政务服务</a></li>
<li><a href="/hdjl/">互动交流</a></li><li><a href="/zjxx/">走进{place}</a></li></ul></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/fdzdgknr/">法定主动公开内容</a> &gt; 法治政府建设</div>
<div class="main">
<table class="xxgk"><tr><td>索引号：</td><td>{index_no}</td><td>发布机构：</td><td>{issuer}</td></tr>
<tr><td>生成日期：</td><td>{date}</td><td>文号：</td><td>{number}</td></tr>
<tr><td>主题分类：</td><td>综合政务</td><td>有效性：</td><td>有效</td></tr></table>
<div class="article">
<h1 class="title">{title}</h1>
<div class="info">发布时间：{date} 来源：{issuer} 浏览次数：1024 【字体：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】</div>
<div class="content" id="zoom">
{paragraphs}
</div>
</div>
<div class="tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
<div class="prevnext"><p>上一篇：<a href="/zwgk/1.htm">关于公布2024年度部门预算的公告</a></p><p>下一篇：<a href="/zwgk/3.htm">关于开展2025年普法工作的通知</a></p></div>
<div class="qr">扫一扫在手机上查看当前页面</div>
</div>
<div class="side"><h3>相关链接</h3><ul><li><a href="/a">国务院</a></li><li><a href="/b">福建省人民政府</a></li><li><a href="/c">泉州市人民政府</a></li></ul></div>
<div class="footer"><p>主办单位：{site}办公室　承办单位：{place}大数据中心</p>
<p>联系电话：0595-12345678　传真：0595-87654321　联系邮箱：zwgk@example.gov.cn</p>
<p>网站标识码：3505000001　闽ICP备05012345号　闽公网安备 35050002000123号</p>
<p>为确保最佳浏览效果，建议您使用以下浏览器版本：IE浏览器9.0版本及以上</p></div>
</body></html>
"""


def write_html(txt: Path, out: Path, encoding: str) -> None:
    front, body, closing, title = report_parts(txt)
    parsed = parse_document(txt)
    meta = parsed.metadata
    paras = []
    skipped = False
    for line in front:
        if line == title and not skipped:
            skipped = True
            continue  # the page's <h1> carries the title
        align = ' style="text-align:center"' if line.endswith("文件") or "〔" in line else ""
        paras.append(f"<p{align}>{html.escape(line)}</p>")
    for line in body:
        if parse_heading(line):
            head = heading_title(line)
            paras.append(f'<p style="text-indent:2em"><strong>{html.escape(head)}</strong>{html.escape(line[len(head):])}</p>')
        else:
            paras.append(f'<p style="text-indent:2em">{html.escape(line)}</p>')
    for line in closing:
        paras.append(f'<p style="text-align:right">{html.escape(line)}</p>')
    site = f"{meta.places[-1] if meta.places else '某市'}人民政府网"
    page = HTML_PAGE.format(
        charset="gbk" if encoding == "gbk" else "utf-8", title=html.escape(title), site=site,
        place=meta.places[-1] if meta.places else "", index_no=f"XM00100-0200-2025-{len(body):05d}",
        issuer=html.escape(meta.issuer), date=meta.date, number=html.escape(meta.doc_number),
        paragraphs="\n".join(paras),
    )
    out.write_bytes(page.encode(encoding, errors="xmlcharrefreplace"))


# -- OFD ------------------------------------------------------------------------------------------------
def write_ofd(pdf: Path, out: Path) -> None:
    """The PDF's text lines as OFD TextObjects (millimetres, one object per line segment)."""
    import pypdfium2 as pdfium

    from rag.ingest.readers.pdf import pdf_lines

    doc = pdfium.PdfDocument(str(pdf))
    pt = 25.4 / 72
    pages_xml = []
    for page_lines in pdf_lines(doc):
        objs = []
        for i, ln in enumerate(page_lines):
            x, y, w, h = ln.x0 * pt, ln.top * pt, (ln.x1 - ln.x0) * pt, (ln.bottom - ln.top) * pt
            objs.append(
                f'<ofd:TextObject ID="{i + 10}" Boundary="{x:.2f} {y:.2f} {w:.2f} {h:.2f}" Font="1" Size="{h * 0.85:.2f}">'
                f'<ofd:TextCode X="0" Y="{h * 0.85:.2f}">{html.escape(ln.text)}</ofd:TextCode></ofd:TextObject>'
            )
        pages_xml.append(
            '<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016">'
            '<ofd:Area><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:Area><ofd:Content>'
            f'<ofd:Layer ID="2">{"".join(objs)}</ofd:Layer></ofd:Content></ofd:Page>'
        )
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    page_refs = "".join(f'<ofd:Page ID="{i + 100}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages_xml)))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} Version="1.0" DocType="OFD">'
                   '<ofd:DocBody><ofd:DocInfo><ofd:DocID>0</ofd:DocID></ofd:DocInfo>'
                   '<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
        z.writestr("Doc_0/Document.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}>'
                   '<ofd:CommonData><ofd:MaxUnitID>9999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297'
                   '</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>'
                   f'<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>')
        z.writestr("Doc_0/PublicRes.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {ns} BaseLoc="Res">'
                   '<ofd:Fonts><ofd:Font ID="1" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>')
        for i, xml in enumerate(pages_xml):
            z.writestr(f"Doc_0/Pages/Page_{i}/Content.xml", xml)


def build(out_dir: Path, formats: tuple[str, ...] = FORMATS, docs: list[str] | None = None) -> dict[str, Path]:
    """Build (or reuse) every fixture; returns {format: folder}."""
    sources = sorted((REPO / "data" / "reports").glob("*.txt"))
    if docs:
        sources = [s for s in sources if s.stem in docs]
    folders = {}
    need = set(formats)
    if need & {"pdf", "ofd", "scan"}:
        need |= {"docx", "pdf"}
    for fmt in [f for f in FORMATS if f in need]:
        folder = out_dir / fmt
        folder.mkdir(parents=True, exist_ok=True)
        folders[fmt] = folder
        for txt in sources:
            ext = {"html-gbk": "html", "scan": "pdf"}.get(fmt, fmt)
            target = folder / f"{txt.stem}.{ext}"
            if target.exists():
                continue
            if fmt == "docx":
                write_docx(txt, target)
            elif fmt == "pdf":
                write_pdf(out_dir / "docx" / f"{txt.stem}.docx", target)
            elif fmt == "html":
                write_html(txt, target, "utf-8")
            elif fmt == "html-gbk":
                write_html(txt, target, "gbk")
            elif fmt == "ofd":
                write_ofd(out_dir / "pdf" / f"{txt.stem}.pdf", target)
            elif fmt == "scan":
                write_scan(out_dir / "pdf" / f"{txt.stem}.pdf", target)
    return {f: folders[f] for f in formats}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--docs", help="comma-separated document ids (default: all shipped reports)")
    args = ap.parse_args()
    built = build(args.out, tuple(args.formats.split(",")), args.docs.split(",") if args.docs else None)
    for fmt, folder in built.items():
        print(f"{fmt}: {folder}")


if __name__ == "__main__":
    main()
