"""Questions about the document itself (文号, 签发人, 落款日期, 主送, 抄送, 发文单位) are answered from the
report's own header and signature lines, quoted and cited like any other answer. When a report has
no such line (德化县's web copy has no 文号), that is a grounded "not in the report".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.ingest.structure import CLOSING, FRONT
from rag.schema import Chunk

_DATE = r"\d{4}年\d{1,2}月\d{1,2}日"


@dataclass(frozen=True)
class Field:
    name: str
    asks: re.Pattern[str]  # the question asks for this field
    line: re.Pattern[str]  # the line of the report that answers it
    where: tuple[str, ...]  # sections to look in


FIELDS = (
    Field("doc_number", re.compile(r"文号|发文字号|发文号|字号|文件号|编号是|(?i:document (reference )?number)"),
          re.compile(r"[\u4e00-\u9fff]{1,10}〔\d{4}〕\d{1,4}号"), (FRONT,)),
    Field("signer", re.compile(r"签发|签的字|签字|署名|(报告|文件|这份|那份|公文)[^，。？?]{0,12}(谁签|签的)|谁签的?[？?吗呀啊]*$"
                         r"|(?i:who signed|signed by|signatory)"), re.compile(r"签发人[：:].+"), (FRONT,)),
    Field("date", re.compile(r"(落款|印发|成文|发布|出的|报出|发出).{0,6}(日期|时间|哪天|哪一天|几号|什么时候)"
                             r"|(哪天|哪一天|什么时候|何时)(印发|发布|出的|成文)|落款"),
          re.compile(rf".{{0,30}}{_DATE}(印发)?$"), (CLOSING, FRONT)),
    # Asked of the report itself ("报告是报给谁的"), not of documents filed with someone ("要报给上级和人大备案
    # 的规范性文件有几份").
    Field("addressee", re.compile(r"(报送给|报给|呈报给?|写给|递交给|提交给)(谁|哪)|主送|报送.{0,4}(谁|哪)|"
                                  r"(向|给)(谁|哪个单位|哪里)报|(给|向)(哪个|什么)(机关|部门|单位)"),
          re.compile(r"^[^。，]{2,40}：$"), (FRONT,)),
    Field("cc", re.compile(r"抄送|抄给|抄报|还(发|报|送)给了?(谁|哪)"), re.compile(r"抄送[：:].+"), (FRONT, CLOSING)),
    # Asked as such ("以什么名义报送", "报告的发文机关"), not a figure of documents issued in some name
    # ("市政府名义出的规范性文件有几件").
    Field("issuer", re.compile(r"以(哪|什么|谁).{0,6}名义|(报告|文件)[^，。？?]{0,12}(哪个|什么|谁)[^，。？?]{0,4}(名义|发文(机关|单位))"
                               r"|(报告|文件)[^，。？?]{0,8}的?发文(机关|单位)|报告.{0,6}(哪个单位|谁)(发|印发|出)"),
          re.compile(r"^[\u4e00-\u9fff ]{2,60}(人民政府|委员会|党委|办公室)(文件)?$"), (FRONT, CLOSING)),
)


def asked_field(question: str) -> Field | None:
    for f in FIELDS:
        if f.asks.search(question):
            return f
    return None


def find_field_lines(field: Field, chunks: list[Chunk]) -> list[tuple[Chunk, str]]:
    """Lines answering ``field`` in the front matter / closing chunks of one document."""
    found: list[tuple[Chunk, str]] = []
    for where in field.where:
        for c in chunks:
            if not c.section_path or c.section_path[0] != where:
                continue
            for line in c.text.split("\n"):
                line = line.strip()
                m = field.line.search(line)
                if m and not any(line == f for _, f in found):
                    found.append((c, line if field.name != "doc_number" else m.group(0)))
        if found:
            break
    if field.name == "date" and len(found) > 1:
        # The closing date is the date of issue; a cover letter's date comes first in the text.
        found = found[-1:]
    return found
