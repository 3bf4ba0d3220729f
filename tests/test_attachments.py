"""附件 (attachments) of a 公文: the list under the body (「附件：1. …」) and the attachment bodies after the
signature are their own sections. They never join the last body section or the 落款, and their own dates and
issuers never become the report's metadata. Checked on a shipped report extended the way offices write it, as
plain text and as a 公文 DOCX (python-docx: bold attachment titles, a page break before the attachments).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.ingest.document import parse_document
from rag.ingest.structure import ATTACHMENT, CLOSING
from tests.conftest import REPORTS

ATTACHMENT_LIST = ["附件：1. 石狮市2024年度行政执法数据统计表", "2. 石狮市2024年度法治政府建设工作台账"]
ATTACHMENTS = [
    "附件1", "石狮市2024年度行政执法数据统计表", "一、行政许可", "全年办理行政许可事项5216件。",
    "二、行政处罚", "全年作出行政处罚决定347件，统计截至2024年12月31日。",
    "附件2", "石狮市2024年度法治政府建设工作台账", "（一）制度建设", "制定行政规范性文件12件。",
    "泉州市司法局", "2024年12月31日",
]


def _report_lines(list_after_signature: bool = False) -> list[str]:
    lines = [ln.strip() for ln in (REPORTS / "shishi-2024.txt").read_text(encoding="utf-8").split("\n") if ln.strip()]
    signature_at = lines.index("特此报告。")
    body, signature = lines[:signature_at], lines[signature_at:]
    if list_after_signature:
        return body + signature + ATTACHMENT_LIST + ATTACHMENTS
    return body + ATTACHMENT_LIST + signature + ATTACHMENTS


def _write_docx(path: Path, lines: list[str]) -> None:
    import docx
    from docx.enum.text import WD_BREAK

    d = docx.Document()
    for line in lines:
        if line == "附件1":
            d.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        p = d.add_paragraph()
        run = p.add_run(line)
        run.bold = line.startswith("石狮市2024年度") and not line.startswith("附件")
    d.save(str(path))


@pytest.mark.parametrize("fmt", ["txt", "docx", "txt-list-after-signature"])
def test_attachments_are_their_own_sections(tmp_path, fmt):
    lines = _report_lines(list_after_signature=fmt.endswith("after-signature"))
    path = tmp_path / ("shishi-2024.docx" if fmt == "docx" else "shishi-2024.txt")
    if fmt == "docx":
        _write_docx(path, lines)
    else:
        path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    parsed = parse_document(path)
    reference = parse_document(REPORTS / "shishi-2024.txt")
    text = parsed.text

    def section_of(phrase: str) -> list[str]:
        at = text.index(phrase)
        return next(s.path for s in parsed.sections if s.start <= at < s.end)

    assert section_of("附件：1.") == [ATTACHMENT] and section_of("法治政府建设工作台账") == [ATTACHMENT]
    assert section_of("石狮市人民政府\n2025年1月22日") == [CLOSING]
    assert section_of("全年办理行政许可事项") == [ATTACHMENT, "附件1 石狮市2024年度行政执法数据统计表", "一、行政许可"]
    assert section_of("制定行政规范性文件") == [ATTACHMENT, "附件2 石狮市2024年度法治政府建设工作台账", "（一）制度建设"]
    # The body keeps exactly the sections of the report without attachments.
    body = [s.path for s in parsed.sections if s.top not in (ATTACHMENT, CLOSING)]
    assert body == [s.path for s in reference.sections if s.top != CLOSING]
    last_body = max((s for s in parsed.sections if s.top not in (ATTACHMENT, CLOSING)), key=lambda s: s.end)
    assert "附件" not in text[last_body.start:last_body.end]
    # Metadata comes from the report: its signature date and issuer, not the attachment's.
    assert parsed.metadata.to_dict() == reference.metadata.to_dict()
    for chunk in parsed.chunks:
        if "行政许可事项5216件" in chunk.text:
            assert chunk.section.startswith(ATTACHMENT) and "附件1" in chunk.section


def test_attachment_labels_as_offices_write_them():
    """A list that opens with 「附件：」 alone, a label with its title on the same line, a label with a space."""
    from rag.ingest.structure import parse_sections

    text = ("某县人民政府关于2024年度法治政府建设情况的报告\n一、主要工作\n全年办理行政复议案件12件。\n附件：\n1. 执法统计表\n"
            "2. 工作台账\n某县人民政府\n2025年1月2日\n附件1 执法统计表\n一、行政许可\n办理许可事项30件。\n附件 2\n工作台账\n"
            "制定规范性文件3件。")
    got = [(s.path, text[s.start:s.end].split("\n")[0]) for s in parse_sections(text)]
    assert got[2:] == [
        ([ATTACHMENT], "附件："), ([CLOSING], "某县人民政府"),
        ([ATTACHMENT, "附件1 执法统计表", "一、行政许可"], "附件1 执法统计表"),
        ([ATTACHMENT, "附件2 工作台账"], "附件 2"),
    ]
