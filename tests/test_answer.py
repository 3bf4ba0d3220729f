"""Answering on the real index of the shipped corpus: exact facts per report, refusal, cross-report
and follow-up questions, and the ``rag ask --json`` contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rag.answer.base import Turn
from rag.answer.extractive import WEAK_LINE
from rag.answer.flow import QuestionError
from rag.text import match_key

FACTS = [
    # (question, doc, strings the answer must state exactly)
    ("虎邱镇聘请了哪家律师事务所担任法律顾问？", "huqiu-2024", ["福建铭群律师事务所"]),
    ("石狮市2024年执法监督抽查了多少件案卷？", "shishi-2024", ["抽查"]),
    ("鲤城区2024年一共办理了多少件法律援助案件？", "licheng-2024", ["283件"]),
    ("德化县2024年累计办理法律援助案件多少件？", "dehua-2024", ["1332件"]),
    ("安溪县2023年新收行政复议申请多少件？", "anxi-2023", ["269件"]),
    ("石狮市2024年度法治政府建设报告的文号是什么？", "shishi-2024", ["狮政综〔2025〕5号"]),
    ("虎邱镇2024年法治政府建设存在哪些问题与不足？", "huqiu-2024",
     ["法治意识有待提高", "行政执法队伍力量有所薄弱", "法治宣传仍需加强"]),
]


@pytest.mark.parametrize(("question", "doc", "must"), FACTS)
def test_answers_state_report_facts_exactly(pipeline, question, doc, must):
    result = pipeline.ask(question)
    assert not result.refused, result.answer
    for s in must:
        assert match_key(s) in match_key(result.answer), (s, result.answer)
    assert result.citations and all(c.doc == doc for c in result.citations)
    # Every marker in the text points at a listed citation, and every citation is used.
    markers = {int(n) for n in __import__("re").findall(r"\[(\d+)\]", result.answer)}
    assert markers == {c.n for c in result.citations}
    for c in result.citations:
        assert c.quote and match_key(c.quote.split("……")[0]) in match_key(c.text)
        assert c.title and c.section


def test_citation_carries_document_and_section(pipeline):
    result = pipeline.ask("虎邱镇聘请了哪家律师事务所担任法律顾问？")
    c = result.citations[0]
    assert c.title == "虎邱镇2024年度法治政府建设情况的报告"
    assert "完善法治政府建设推进落实机制" in c.section
    assert "福建铭群律师事务所" in c.quote


def test_refuses_when_reports_do_not_say(pipeline):
    result = pipeline.ask("石狮市2024年行政诉讼案件的败诉率是多少？")
    assert result.refused
    assert result.answer.startswith("所提供的报告中没有找到")
    assert not result.citations
    assert len(result.retrieved) >= 3  # shown as possibly related passages


def test_refuses_places_outside_the_corpus(pipeline):
    result = pipeline.ask("晋江市2024年办理了多少件法律援助案件？")
    assert result.refused and "晋江市" in result.answer


def test_missing_header_field_is_refused_not_invented(pipeline):
    # 德化县's web copy of the report carries no document number.
    result = pipeline.ask("德化县2024年法治政府建设报告的文号是多少？")
    assert result.refused


def test_cross_report_question_answers_each_place_with_its_own_citation(pipeline):
    result = pipeline.ask("鲤城区和德化县2024年各办理了多少件法律援助案件？")
    assert not result.refused
    lines = result.answer.splitlines()
    licheng = next(line for line in lines if line.startswith("鲤城区"))
    dehua = next(line for line in lines if line.startswith("德化县"))
    assert "283件" in licheng and "1332件" in dehua
    docs = {c.doc for c in result.citations}
    assert docs == {"licheng-2024", "dehua-2024"}
    retrieved_docs = {r.chunk.doc_id for r in result.retrieved}
    assert {"licheng-2024", "dehua-2024"} <= retrieved_docs


def test_cross_report_part_without_answer_is_said_so(pipeline):
    # 石狮's report gives no legal-aid count: its line says so, whether it then quotes the nearest
    # sentence (the gate unsure) or nothing (sure); no comparison is made with it.
    result = pipeline.ask("石狮市和鲤城区2024年各办理了多少件法律援助案件？")
    assert "283件" in result.answer
    shishi = next(ln for ln in result.answer.splitlines() if ln.startswith("石狮市："))
    assert shishi.startswith(("石狮市：所提供的报告中没有找到相关内容", f"石狮市：{WEAK_LINE}")), result.answer
    assert "licheng-2024" in {c.doc for c in result.citations}
    assert "比较" not in result.answer and "合计" not in result.answer


def test_follow_up_question_reuses_the_conversation(pipeline):
    first = "鲤城区2024年一共办理了多少件法律援助案件？"
    history = [Turn("user", first), Turn("assistant", pipeline.ask(first).answer)]
    result = pipeline.ask("那德化县呢？", history=history)
    assert "德化县" in result.rewritten_question and "法律援助" in result.rewritten_question
    assert "1332件" in result.answer
    assert {c.doc for c in result.citations} == {"dehua-2024"}


def test_document_filter_restricts_sources(pipeline):
    result = pipeline.ask("办理了多少件法律援助案件？", doc_ids=["dehua-2024"])
    assert {r.chunk.doc_id for r in result.retrieved} == {"dehua-2024"}


@pytest.mark.parametrize("bad", ["", "   \n\t ", "？？！！。。", "\x00\x01\x02", "问" * 2500])
def test_bad_questions_get_a_clear_chinese_error(pipeline, bad):
    with pytest.raises(QuestionError) as err:
        pipeline.ask(bad)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(err.value))


def test_ask_json_is_exactly_one_object_in_the_stable_format(pipeline, shipped_index_dir):
    proc = subprocess.run(
        [sys.executable, "-m", "rag", "--index-dir", str(shipped_index_dir), "ask", "--json",
         "德化县2024年累计办理法律援助案件多少件？"],
        capture_output=True, text=True, timeout=120, check=True,
    )
    obj = json.loads(proc.stdout)  # exactly one JSON document on stdout
    assert {"question", "answer", "refused", "citations", "retrieved", "latency_ms"} <= set(obj)
    assert isinstance(obj["refused"], bool) and isinstance(obj["latency_ms"], float)
    assert len(obj["retrieved"]) >= 10
    for r in obj["retrieved"]:
        assert {"doc", "title", "section", "text", "score"} <= set(r)
    for c in obj["citations"]:
        assert {"n", "doc", "title", "section", "quote", "text", "score"} <= set(c)
    assert "1332件" in obj["answer"]
    # The chunk the answer quotes first leads the list (the sentence model reranks what it read); the
    # rest follow by fusion score.
    assert obj["retrieved"][0]["text"] == obj["citations"][0]["text"]
    tail = [r["score"] for r in obj["retrieved"][3:]]  # (at most 3 chunks are moved up)
    assert tail == sorted(tail, reverse=True)


def test_python_api_returns_the_same_shape(pipeline, shipped_index_dir, monkeypatch):
    import rag

    monkeypatch.setenv("RAG_INDEX_DIR", str(shipped_index_dir))
    obj = rag.ask("虎邱镇聘请了哪家律师事务所担任法律顾问？")
    assert "福建铭群律师事务所" in obj["answer"] and obj["citations"][0]["doc"] == "huqiu-2024"
