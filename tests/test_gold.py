"""Mechanical checks of the gold question/answer set in eval/gold.jsonl.

Every evidence span, must_contain string and section heading is checked
against the report texts in data/reports/ (whitespace-insensitive), and the
set is checked for size, type/split balance and coverage of every report part.
"""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "eval" / "gold.jsonl"
REPORT_DIR = ROOT / "data" / "reports"

KEYS = {"id", "question", "answer", "must_contain", "doc", "evidence",
        "section", "type", "split"}
TYPES = {"number", "entity", "list", "yesno", "cross_doc", "unanswerable"}
SPLITS = {"dev", "test"}
SINGLE_TYPES = TYPES - {"cross_doc", "unanswerable"}
DOC_PREFIXES = {"anxi", "dehua", "huqiu", "licheng", "shishi"}

WS = re.compile(r"\s+")
TOP_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+、")
SUB_HEADING = re.compile(r"^\s*[（(][一二三四五六七八九十]+[）)]")
NUM_HEADING = re.compile(r"^\s*\d+[.．]")


def nows(s):
    return WS.sub("", s)


def heading_text(line):
    return line.strip().split("。")[0]


def heading_level(line):
    if TOP_HEADING.match(line):
        return 1
    if SUB_HEADING.match(line):
        return 2
    if NUM_HEADING.match(line):
        return 3
    return 0


class Report:
    def __init__(self, path):
        self.doc = path.stem
        self.text = path.read_text(encoding="utf-8")
        self.lines = self.text.split("\n")
        chars, owner = [], []
        for i, line in enumerate(self.lines):
            for ch in line:
                if not ch.isspace():
                    chars.append(ch)
                    owner.append(i)
        self.flat = "".join(chars)
        self.char_line = owner
        self.line_prefixes = [nows(ln) for ln in self.lines if ln.strip()]
        self.headings = []  # (line index, level, text)
        for i, line in enumerate(self.lines):
            lvl = heading_level(line)
            if lvl:
                self.headings.append((i, lvl, heading_text(line)))
        self.top_headings = [t for _, lvl, t in self.headings if lvl == 1]

    def section_at_line(self, line_no):
        path = {}
        for ln, lvl, text in self.headings:
            if ln > line_no:
                break
            path[lvl] = text
            for k in [k for k in path if k > lvl]:
                del path[k]
        return " > ".join(path[k] for k in sorted(path))

    def evidence_lines(self, span):
        """Line indices where the whitespace-free span starts."""
        s = nows(span)
        out, start = [], self.flat.find(s)
        while start != -1:
            out.append(self.char_line[start])
            start = self.flat.find(s, start + 1)
        return out


REPORTS = {p.stem: Report(p) for p in sorted(REPORT_DIR.glob("*.txt"))}


def load_items():
    items = []
    with open(GOLD, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as e:  # pragma: no cover
                pytest.fail(f"line {n} does not parse: {e}")
    return items


ITEMS = load_items()


def as_list(x):
    return x if isinstance(x, list) else [x]


def single_docs(items):
    return [it for it in items if it["type"] in SINGLE_TYPES]


# ---------------------------------------------------------------- structure

def test_reports_present():
    assert set(REPORTS) == {"anxi-2023", "dehua-2024", "huqiu-2024",
                            "licheng-2024", "shishi-2024"}


def test_keys_and_types():
    for it in ITEMS:
        assert set(it) == KEYS, it.get("id")
        assert isinstance(it["id"], str) and it["id"]
        assert isinstance(it["question"], str) and it["question"].strip(), it["id"]
        assert isinstance(it["answer"], str) and it["answer"].strip(), it["id"]
        assert isinstance(it["must_contain"], list), it["id"]
        assert all(isinstance(m, str) and m.strip() for m in it["must_contain"]), it["id"]
        assert it["type"] in TYPES, it["id"]
        assert it["split"] in SPLITS, it["id"]
        t = it["type"]
        if t == "unanswerable":
            continue
        if t == "cross_doc":
            assert isinstance(it["doc"], list) and len(it["doc"]) >= 2, it["id"]
            assert len(set(it["doc"])) == len(it["doc"]), it["id"]
            assert isinstance(it["evidence"], list), it["id"]
            assert isinstance(it["section"], list), it["id"]
            assert len(it["evidence"]) == len(it["doc"]) == len(it["section"]), it["id"]
            assert all(isinstance(x, str) for x in it["evidence"] + it["section"]), it["id"]
        else:
            assert isinstance(it["doc"], str), it["id"]
            assert isinstance(it["evidence"], str), it["id"]
            assert isinstance(it["section"], str), it["id"]
        for d in as_list(it["doc"]):
            assert d in REPORTS, (it["id"], d)
        assert 1 <= len(it["must_contain"]) <= 4, it["id"]


def test_ids_unique_and_prefixed():
    ids = [it["id"] for it in ITEMS]
    assert len(ids) == len(set(ids)), [i for i, c in Counter(ids).items() if c > 1]
    for it in ITEMS:
        m = re.fullmatch(r"([a-z]+)-(\d{3})", it["id"])
        assert m, it["id"]
        prefix = m.group(1)
        if it["type"] == "unanswerable":
            assert prefix == "unans", it["id"]
        elif it["type"] == "cross_doc":
            assert prefix == "cross", it["id"]
        else:
            assert prefix in DOC_PREFIXES, it["id"]
            assert it["doc"].split("-")[0] == prefix, it["id"]


def test_unanswerable_shape():
    for it in ITEMS:
        if it["type"] == "unanswerable":
            assert it["doc"] is None, it["id"]
            assert it["evidence"] is None, it["id"]
            assert it["section"] is None, it["id"]
            assert it["must_contain"] == [], it["id"]


# ---------------------------------------------------------------- counts

def test_counts():
    types = Counter(it["type"] for it in ITEMS)
    assert len(ITEMS) >= 150
    assert types["unanswerable"] >= 15
    assert types["cross_doc"] >= 10
    per_doc = Counter(it["doc"] for it in single_docs(ITEMS))
    for doc in REPORTS:
        assert per_doc[doc] >= 20, (doc, per_doc[doc])


def test_splits_cover_every_type_and_doc():
    for split in SPLITS:
        sub = [it for it in ITEMS if it["split"] == split]
        assert {it["type"] for it in sub} == TYPES, split
        docs = {it["doc"] for it in single_docs(sub)}
        assert docs == set(REPORTS), split
    dev_share = sum(it["split"] == "dev" for it in ITEMS) / len(ITEMS)
    assert 0.3 <= dev_share <= 0.5, dev_share


# ---------------------------------------------------------------- grounding

def grounded(items):
    for it in items:
        if it["type"] == "unanswerable":
            continue
        for doc, ev, sec in zip(as_list(it["doc"]), as_list(it["evidence"]),
                                as_list(it["section"]), strict=True):
            yield it, doc, ev, sec


def test_evidence_spans():
    for it, doc, ev, _ in grounded(ITEMS):
        n = len(nows(ev))
        assert 8 <= n <= 60, (it["id"], n, ev)
        assert nows(ev) in REPORTS[doc].flat, (it["id"], doc, ev)


def test_must_contain_in_reports():
    for it in ITEMS:
        if it["type"] == "unanswerable":
            continue
        docs = as_list(it["doc"])
        for m in it["must_contain"]:
            assert any(nows(m) in REPORTS[d].flat for d in docs), (it["id"], m)


# Unnumbered parts the structure parser names (rag.ingest.structure): the signature block and
# problems / plans paragraphs written without a heading.
PART_LABELS = {"导言", "落款", "存在问题", "下一步工作"}


def test_section_headings_exist():
    for it, doc, _, sec in grounded(ITEMS):
        if sec == "" or sec in PART_LABELS:
            continue
        rep = REPORTS[doc]
        for h in sec.split(" > "):
            hh = nows(h)
            assert hh, (it["id"], sec)
            assert hh in rep.flat, (it["id"], h)
            assert any(p.startswith(hh) for p in rep.line_prefixes), (it["id"], h)


def test_section_matches_evidence_location():
    """The section must be the heading path in force where the evidence is."""
    for it, doc, ev, sec in grounded(ITEMS):
        rep = REPORTS[doc]
        if sec in PART_LABELS:
            # A named unheaded part lies after the last numbered heading's first line.
            last_heading_line = rep.headings[-1][0]
            assert all(ln > last_heading_line for ln in rep.evidence_lines(ev)), (it["id"], sec)
            continue
        expected = {nows(rep.section_at_line(ln)) for ln in rep.evidence_lines(ev)}
        assert nows(sec) in expected, (it["id"], doc, sec, expected)


# ---------------------------------------------------------------- coverage

def test_every_report_part_covered():
    sections = {doc: [] for doc in REPORTS}
    for _, doc, _, sec in grounded(ITEMS):
        sections[doc].append(nows(sec))
    for doc, rep in REPORTS.items():
        assert rep.top_headings, doc
        assert "" in sections[doc], f"{doc}: no opening/metadata question"
        for top in rep.top_headings:
            t = nows(top)
            assert any(s.startswith(t) for s in sections[doc]), (doc, top)


def test_single_doc_questions_cover_every_top_heading():
    """Same as above but counting only single-document questions."""
    for doc, rep in REPORTS.items():
        secs = [nows(it["section"]) for it in single_docs(ITEMS) if it["doc"] == doc]
        assert "" in secs, doc
        for top in rep.top_headings:
            assert any(s.startswith(nows(top)) for s in secs), (doc, top)
