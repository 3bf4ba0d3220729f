"""Document metadata read from the report's own header, title and signature, never hard-coded per file."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［【(（]\s*\d{4}\s*[〕\]］】)）]\s*\d{1,4}\s*号")
_SIGNER = re.compile(r"签发人[：:]\s*(.+)$")
_DATE_LINE = re.compile(r"^(.{0,30}?)\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(印发)?$")
_YEAR_IN_TITLE = re.compile(r"(\d{4})\s*年")
_ISSUER_SUFFIX = r"(?:人民政府|委员会|党委|政府|办公室|办事处|司法局|局|委)"
_ISSUER_LINE = re.compile(rf"^[\u4e00-\u9fff ]{{2,50}}{_ISSUER_SUFFIX}(?:文件)?$")
_PLACE = re.compile(r"([\u4e00-\u9fff]{2,4}?(?:自治区|自治州|省|市|区|县|镇|乡|街道))")
_PLACE_STOP = {"本市", "我市", "全市", "我县", "全县", "我区", "全区", "我镇", "全镇", "城区", "社区", "园区", "市区"}
_TOPIC = re.compile(r"(?:我[县市区镇乡]|本[县市区镇乡])?([\u4e00-\u9fff]{2,8}?建设)")


@dataclass
class DocMetadata:
    doc_id: str
    title: str
    issuer: str = ""
    doc_number: str = ""
    signer: str = ""
    date: str = ""  # ISO date of issue
    year: int | None = None  # the year reported on
    places: list[str] = field(default_factory=list)  # broadest first, the document's own place last

    @property
    def place(self) -> str:
        return self.places[-1] if self.places else ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["place"] = self.place
        return d


def _places(text: str) -> list[str]:
    out: list[str] = []
    for m in _PLACE.finditer(text):
        name = m.group(1)
        # "泉州市鲤城区" yields 泉州市 then 鲤城区; strip leading "中共" of party bodies.
        name = name.removeprefix("中共")
        # "中共安溪县委安溪县人民政府" with its spaces lost (OCR): the second match "委安溪县" is no new place.
        if any(name.endswith(o) for o in out):
            continue
        if name not in _PLACE_STOP and name not in out and not re.search(r"[我本全年度关于的]", name):
            out.append(name)
    return out


def _title(front: list[str]) -> str:
    candidates = [ln for ln in front if "报告" in ln and "。" not in ln and 6 <= len(ln) <= 80]
    with_year = [ln for ln in candidates if _YEAR_IN_TITLE.search(ln)]
    pool = with_year or candidates
    return max(pool, key=len).strip("《》") if pool else ""


def _issuer(title: str, lines: list[str], front: list[str]) -> str:
    if "关于" in title:
        head = title.split("关于", 1)[0].strip()
        if head:
            return head
    # A signature line right before a date line, at the end or in a cover letter.
    for i, ln in enumerate(lines):
        m = _DATE_LINE.match(ln)
        if m and m.group(1).strip() and _ISSUER_LINE.match(m.group(1).strip()):
            return m.group(1).strip()
        if m and i > 0 and _ISSUER_LINE.match(lines[i - 1]) and not lines[i - 1].startswith("抄送"):
            return lines[i - 1].removesuffix("文件").strip()
    for ln in front:
        if _ISSUER_LINE.match(ln):
            return ln.removesuffix("文件").strip()
    return ""


def _issue_date(lines: list[str]) -> str:
    dates = [m for ln in lines if (m := _DATE_LINE.match(ln))]
    if not dates:
        return ""
    # The closing date is authoritative; a cover letter's date is the fallback.
    m = dates[-1]
    return f"{int(m.group(2)):04d}-{int(m.group(3)):02d}-{int(m.group(4)):02d}"


def extract_metadata(doc_id: str, text: str, body_start_line: int) -> DocMetadata:
    """Metadata from cleaned text; ``body_start_line`` is the index of the first heading line."""
    lines = text.split("\n")
    front = lines[:body_start_line] if body_start_line > 0 else lines[:12]
    title = _title(front)
    issuer = _issuer(title, lines, front)
    doc_number = next((m.group(0) for ln in front if (m := _DOC_NUMBER.search(ln))), "")
    signer = next((m.group(1).strip() for ln in front if (m := _SIGNER.search(ln))), "")
    date = _issue_date(lines)
    year: int | None = None
    if m := _YEAR_IN_TITLE.search(title):
        year = int(m.group(1))
    else:
        opening = next((ln for ln in front if len(ln) > 30), "")
        if m := re.match(r"^(\d{4})\s*年", opening):
            year = int(m.group(1))
    places = _places(issuer) or _places(title)
    if not title:
        # Reports that open with the addressee (no header block): compose a title from what is known.
        opening = " ".join(front)
        topic = m.group(1) if (m := _TOPIC.search(opening)) else "工作"
        year_txt = f"{year}年度" if year else ""
        title = f"{issuer}关于{year_txt}{topic}情况的报告" if issuer else doc_id
    # The title's places are more specific ("虎邱镇") than a party committee's name.
    for p in _places(title):
        if p not in places:
            places.append(p)
    return DocMetadata(
        doc_id=doc_id,
        title=title,
        issuer=issuer,
        doc_number=doc_number,
        signer=signer,
        date=date,
        year=year,
        places=places,
    )
