"""Generate N realistic reports from the five shipped ones, each with known facts to ask about.

Every generated report starts from one shipped report (its "base") and changes it the way real reports
of other places differ:

* places: the base's own place (安溪县, 虎邱镇, ...) becomes an invented one (e.g. 岑坪县), unique in the
  corpus; its parent county/city become invented parents. Invented names are checked against the shipped
  text and jieba's dictionary, so they collide neither with real words nor with the shipped places;
* the reporting year moves (2021–2025), and every year in the text moves with it; document number and
  signers change;
* numbers with a counting unit (件、起、人次、家、项 …) are scaled by a random factor;
* subsections (（一）（二）…) are shuffled inside their section, and some are swapped for subsections of
  other reports of the same administrative level (county-level vs. town), then renumbered;
* three fact sentences from templates with random numbers or names are inserted, each with a question
  and the expected answer string, written to ``facts.jsonl``.

Generation is deterministic per (seed, index): the first 100 reports of a 1,000-report corpus are the
100-report corpus, so one set of probe questions works at every size.

    python -m bench.corpus 1000     # -> bench/out/corpus-1000/{reports/*.txt,facts.jsonl}: 5 shipped + 995
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "data" / "reports"
OUT = Path(os.environ.get("BENCH_OUT") or REPO / "bench" / "out")

# The shipped reports: own place stem and suffix, level, parent stems.
BASES = {
    "anxi-2023": ("安溪", "县", "county"),
    "dehua-2024": ("德化", "县", "county"),
    "huqiu-2024": ("虎邱", "镇", "town"),
    "licheng-2024": ("鲤城", "区", "county"),
    "shishi-2024": ("石狮", "市", "county"),
}
CITY_STEM = "泉州"
COUNTY_OF_TOWN = "安溪"  # 虎邱镇 lies in 安溪县
SHIPPED_STEMS = ("安溪", "德化", "虎邱", "鲤城", "石狮", "泉州")

_FIRST = ("云溪泉山川江河湖林峰岭宁平丰泰兴昌隆盛清永福德仁华龙凤鹤桂兰梅松柏桐枫竹石金银玉宝珠明光阳东西南北新长乐康顺"
          "吉祥瑞嘉庆延昭汶沅湘漳洛涟潼岑岱嵩崇峨岚霞蓉芷芦荷莲茗翠碧澄湄沙田坪塘垄埔洲浦港湾滨泽沂淇渭泾汀浔浯浚溧沭")
_SECOND = "溪山川江河湖林峰岭宁平丰泰兴昌隆盛清源口坪塘洲浦阳田埔城亭岗坑坂洋尾头庄桥关门湾岙港阴岩谷冈台墩"
_SURNAMES = "陈林黄张李王吴刘蔡杨郑许谢洪郭邱曾廖赖徐周叶苏庄吕江何萧罗高潘简朱钟彭游詹胡施沈余"
_GIVEN = "志建明国文华伟强军平辉德荣新春海林清泉振鸿毅峰俊杰丽芳秀英玉婷燕敏晓斌育锦"

_TOP = re.compile(r"^\s*[一二三四五六七八九十]+、")
_SUB = re.compile(r"^(\s*)([（(])([一二三四五六七八九十]+)([）)])")
_YEAR = re.compile(r"(?<![\d.])(20[0-3]\d)(?![\d.])")
_COUNT = re.compile(r"(?<![\d.])(\d{1,6})(\s*)(余件|多件|件|起|人次|名|家|项|个|场|宗|份|期|篇|户|条|次|所|处)")
_DOCNUM = re.compile(r"〔(\d{4})〕(\d{1,4})号")
_SIGNER = re.compile(r"^(签发人[：:]\s*)(.+)$", re.M)
_CN_NUM = "一二三四五六七八九十"


@dataclass
class Fact:
    template: str
    question: str
    sentence: str
    expected: str
    conflict: str  # the template is skipped when the report already talks about this


def _cn(n: int) -> str:
    if n <= 10:
        return _CN_NUM[n - 1]
    if n < 20:
        return "十" + (_CN_NUM[n - 11] if n > 10 else "")
    return _CN_NUM[n // 10 - 1] + "十" + (_CN_NUM[n % 10 - 1] if n % 10 else "")


def _facts(rng: random.Random, place: str, year: int) -> list[Fact]:
    """One fact per template; numbers drawn per fact, so no two facts of a report share an answer."""
    n = rng.sample(range(120, 9800), 6)
    m = rng.sample(range(11, 99), 6)
    firm = "福建" + rng.choice(_FIRST) + rng.choice(_SECOND)
    slogan = rng.choice(["法润", "和美", "善治", "清风", "守正", "明理"]) + rng.choice(["乡村", "家园", "邻里", "同心"])
    return [
        Fact("legal_aid", f"{place}{year}年共办理了多少件法律援助案件？",
             f"{year}年，{place}共办理法律援助案件{n[0]}件，为困难群众挽回经济损失{m[0]}万元。", f"{n[0]}件",
             "法律援助案件"),
        Fact("admin_review", f"{place}{year}年共受理了多少件行政复议申请？",
             f"全年共受理行政复议申请{n[1]}件，依法作出纠错决定{m[1]}件。", f"{n[1]}件", "行政复议申请"),
        Fact("law_firm", f"{place}聘请了哪家律师事务所担任政府法律顾问？",
             f"{place}人民政府聘请{firm}律师事务所担任政府常年法律顾问，全年审查各类合同{n[2]}份。",
             f"{firm}律师事务所", "律师事务所"),
        Fact("training", f"{place}{year}年行政执法人员专题培训累计培训了多少人次？",
             f"组织行政执法人员专题培训{m[3]}期，累计培训{n[3]}人次。", f"{n[3]}人次", "累计培训"),
        Fact("culture_park", f"{place}{year}年新建了多少个法治文化公园？",
             f"新建法治文化公园{m[4]}个、法治宣传长廊{n[4]}处，打造“{slogan}”法治文化阵地。", f"{m[4]}个",
             "法治文化公园"),
        Fact("mediation", f"{place}的“{slogan}”调解室{year}年调处了多少起纠纷？",
             f"“{slogan}”调解室全年调处各类纠纷{n[5]}起，调解成功率{rng.randint(90, 99)}%。", f"{n[5]}起", "调解室"),
    ]


# -- the shipped reports, split into blocks ---------------------------------------------------------------
@dataclass
class Section:
    head: list[str]  # heading line and lines before the first subsection
    subs: list[list[str]]  # each: subsection heading line + body lines


@dataclass
class Base:
    name: str
    text: str
    front: list[str]
    sections: list[Section]


def _split(name: str, text: str) -> Base:
    lines = text.split("\n")
    front: list[str] = []
    sections: list[Section] = []
    for line in lines:
        if _TOP.match(line):
            sections.append(Section([line], []))
        elif not sections:
            front.append(line)
        elif _SUB.match(line):
            sections[-1].subs.append([line])
        elif sections[-1].subs:
            sections[-1].subs[-1].append(line)
        else:
            sections[-1].head.append(line)
    return Base(name, text, front, sections)


@cache
def _bases() -> dict[str, Base]:
    return {name: _split(name, (SHIPPED / f"{name}.txt").read_text(encoding="utf-8")) for name in BASES}


@cache
def _stem_pools(seed: int) -> tuple[list[str], list[str], list[str]]:
    """(own places, parent counties, cities): invented two- and three-character stems, never a real word."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    shipped = "".join(b.text for b in _bases().values())

    def fine(s: str) -> bool:
        return s not in shipped and not jieba.dt.FREQ.get(s) and not any(t in s for t in SHIPPED_STEMS)

    first, second = list(dict.fromkeys(_FIRST)), list(dict.fromkeys(_SECOND))
    two = [a + b for a in first for b in second if a != b and fine(a + b)]
    rng = random.Random(seed)
    rng.shuffle(two)
    three: list[str] = []
    seen: set[str] = set()
    while len(three) < 20_000:  # enough for any corpus we build; drawn, not enumerated (550k combinations)
        s = rng.choice(first) + rng.choice(first) + rng.choice(second)
        if len(set(s)) == 3 and s not in seen and fine(s):
            seen.add(s)
            three.append(s)
    cities, parents, own = two[:40], two[40:440], two[440:] + three
    return own, parents, cities


def _renumber(subs: list[list[str]]) -> list[list[str]]:
    out = []
    for i, sub in enumerate(subs, 1):
        first = _SUB.sub(lambda m, i=i: f"{m.group(1)}{m.group(2)}{_cn(i)}{m.group(4)}", sub[0], count=1)
        out.append([first, *sub[1:]])
    return out


def _relocate(text: str, base: str, own: str, suffix: str, county: str, city: str) -> str:
    """Move a piece of a shipped report to the invented place (full names first, then bare stems)."""
    stem, base_suffix, _ = BASES[base]
    text = text.replace(stem + base_suffix, own + suffix).replace(stem, own)
    text = text.replace(CITY_STEM, city)
    for other in SHIPPED_STEMS:
        if other not in (stem, CITY_STEM):
            text = text.replace(other, county)
    return text


def generate_report(i: int, seed: int = 7) -> tuple[str, str, list[dict]]:
    """The i-th report of the corpus: (doc_id, text, facts)."""
    rng = random.Random(f"{seed}-{i}")
    own_pool, parents, cities = _stem_pools(seed)
    if i >= len(own_pool):
        raise ValueError(f"at most {len(own_pool)} reports with unique places")
    bases = _bases()
    base_name = rng.choice(sorted(bases))
    stem, suffix, level = BASES[base_name]
    own, county, city = own_pool[i], rng.choice(parents), rng.choice(cities)
    base = bases[base_name]
    base_year = int(base_name[-4:])
    year = rng.randint(2021, 2025)
    delta = year - base_year
    donors = [b for b in bases.values() if BASES[b.name][2] == level and b.name != base_name]

    def place(text: str, src: str) -> str:
        return _relocate(text, src, own, suffix, county, city)

    lines = [place(line, base_name) for line in base.front]
    for si, sec in enumerate(base.sections):
        last = si == len(base.sections) - 1
        subs = [[place(line, base_name) for line in sub] for sub in sec.subs]
        if not last and subs:
            rng.shuffle(subs)
            for k in range(len(subs)):
                if donors and rng.random() < 0.3:
                    donor = rng.choice(donors)
                    pool = [s for d in donor.sections[:-1] for s in d.subs]
                    if pool:
                        subs[k] = [place(line, donor.name) for line in rng.choice(pool)]
            subs = _renumber(subs)
        lines.extend(place(line, base_name) for line in sec.head)
        for sub in subs:
            lines.extend(sub)
    text = "\n".join(lines)

    text = _YEAR.sub(lambda m: str(int(m.group(1)) + delta), text)
    text = _COUNT.sub(lambda m: f"{max(1, round(int(m.group(1)) * rng.uniform(0.6, 1.6)))}{m.group(2)}{m.group(3)}", text)
    text = _DOCNUM.sub(lambda m: f"〔{m.group(1)}〕{rng.randint(1, 160)}号", text)
    text = _SIGNER.sub(
        lambda m: m.group(1) + " ".join(rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
                                        for _ in range(len(m.group(2).split()))),
        text,
    )

    # Facts go at the end of a body paragraph of a subsection (never the closing section).
    full = own + suffix
    candidates = [f for f in _facts(rng, full, year) if f.conflict not in text]
    facts = rng.sample(candidates, k=min(3, len(candidates)))
    out_lines = text.split("\n")
    body = [k for k, line in enumerate(out_lines) if len(line) > 40 and not _TOP.match(line) and line.endswith("。")]
    tops = [k for k, line in enumerate(out_lines) if _TOP.match(line)]
    if len(tops) > 1:  # between the first heading and the closing section
        body = [k for k in body if tops[0] < k < tops[-1]] or body
    for f, k in zip(facts, sorted(rng.sample(body, k=len(facts))), strict=True):
        out_lines[k] = out_lines[k] + f.sentence
    doc_id = f"gen{i:05d}-{year}"
    rows = [
        {"id": f"{doc_id}-{f.template}", "doc": doc_id, "question": f.question, "expected": f.expected,
         "template": f.template, "place": full, "year": year, "base": base_name}
        for f in facts
    ]
    return doc_id, "\n".join(out_lines), rows


def write_corpus(n: int, out: Path | None = None, seed: int = 7) -> Path:
    """The five shipped reports plus n - 5 generated ones, and facts.jsonl for the generated ones.

    An existing corpus of the same size and seed is reused. With the shipped reports in every corpus, the
    gold questions (eval/gold.jsonl) can be asked at every size too.
    """
    out = out or OUT / f"corpus-{n}"
    manifest = out / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("seed") == seed:
        return out
    reports = out / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    chars = 0
    for name in BASES:
        text = (SHIPPED / f"{name}.txt").read_text(encoding="utf-8")
        (reports / f"{name}.txt").write_text(text, encoding="utf-8")
        chars += len(text)
    with (out / "facts.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(max(0, n - len(BASES))):
            doc_id, text, facts = generate_report(i, seed)
            (reports / f"{doc_id}.txt").write_text(text, encoding="utf-8")
            chars += len(text)
            for row in facts:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    manifest.write_text(json.dumps({"n": n, "seed": seed, "chars": chars,
                                    "seconds": round(time.perf_counter() - t0, 1)}, indent=2))
    return out


def read_facts(corpus: Path) -> list[dict]:
    return [json.loads(line) for line in (corpus / "facts.jsonl").read_text(encoding="utf-8").splitlines()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    out = write_corpus(args.n, args.out, args.seed)
    print(out, (out / "manifest.json").read_text())


if __name__ == "__main__":
    main()
