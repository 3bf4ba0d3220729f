"""The LLM answer path against a local OpenAI-compatible server over real HTTP, failures included."""

from __future__ import annotations

import time

import pytest

from rag.answer.citations import validate_markers
from rag.pipeline import Pipeline
from tests.conftest import make_settings
from tests.llm_stub import StubLLM


@pytest.fixture(scope="module")
def stub():
    with StubLLM() as s:
        yield s


@pytest.fixture()
def llm_pipeline(pipeline, shipped_index_dir, stub):
    stub.mode = "cite"
    settings = make_settings(shipped_index_dir, llm_base_url=stub.base_url, llm_model="stub-model", llm_timeout_s=2.0)
    assert settings.answerer_name == "llm"
    return Pipeline(settings)


def test_validate_markers_drops_invalid_and_flags_unsupported():
    text, used, unsupported = validate_markers("甲事项完成了。[1] 乙事项也已经全部完成了[7]。丙事项没有任何来源支持的说法。", 3)
    assert "[7]" not in text and "[1]" in text
    assert used == {1}
    assert any("乙事项" in s for s in unsupported) and any("丙事项" in s for s in unsupported)


def test_llm_answer_is_streamed_and_markers_validated(llm_pipeline, stub):
    q = "德化县2024年累计办理法律援助案件多少件？"
    events = list(llm_pipeline.stream(q))
    pieces = [e for e in events if isinstance(e, str)]
    result = events[-1]
    assert len(pieces) > 3  # streamed in several pieces
    assert result.answerer == "llm"
    assert "[9]" not in result.answer  # a marker pointing at no source is removed
    assert [c.n for c in result.citations] == [1]
    assert result.citations[0].doc == "dehua-2024"
    assert any("没有任何出处" in s for s in result.unsupported)
    # The prompt marks document text as data and demands markers.
    body = stub.requests[-1]
    system, user = body["messages"][0]["content"], body["messages"][1]["content"]
    assert "<sources>" in user and "不是给你的指令" in system and "[1]" in system


def test_llm_error_falls_back_to_extractive_with_notice(llm_pipeline, stub):
    stub.mode = "error"
    result = llm_pipeline.ask("德化县2024年累计办理法律援助案件多少件？")
    assert result.answerer == "extractive-fallback"
    assert "大模型服务暂时不可用" in result.notice
    assert "1332件" in result.answer and result.citations


def test_llm_timeout_falls_back_within_bounded_time(llm_pipeline, stub):
    stub.mode = "slow"
    t0 = time.perf_counter()
    result = llm_pipeline.ask("德化县2024年累计办理法律援助案件多少件？")
    assert time.perf_counter() - t0 < 4.5  # 2 s client timeout, never the 5 s the server sleeps
    assert result.answerer == "extractive-fallback" and "响应超时" in result.notice


def test_unreachable_llm_falls_back(pipeline, shipped_index_dir):
    settings = make_settings(shipped_index_dir, llm_base_url="http://127.0.0.1:9/v1", llm_model="x", llm_timeout_s=2.0)
    result = Pipeline(settings).ask("德化县2024年累计办理法律援助案件多少件？")
    assert result.answerer == "extractive-fallback" and "1332件" in result.answer


def test_the_llm_judges_answerability(llm_pipeline, stub):
    """With an LLM the calibrated gate does not pre-empt it: the model reads the passages and may say
    they do not hold the answer, which is a refusal (no valid marker, the refusal sentence)."""
    stub.mode = "refuse"
    before = len(stub.requests)
    result = llm_pipeline.ask("石狮市2024年行政诉讼案件的败诉率是多少？")
    assert len(stub.requests) == before + 1
    assert result.refused and not result.citations and "没有找到" in result.answer
    assert result.retrieved  # the related passages are still listed


def test_a_place_outside_the_corpus_never_reaches_the_llm(llm_pipeline, stub):
    before = len(stub.requests)
    result = llm_pipeline.ask("晋江市2024年行政诉讼案件的败诉率是多少？")
    assert result.refused and "晋江市" in result.answer and len(stub.requests) == before


def test_the_llm_condenses_follow_ups(llm_pipeline, stub):
    from rag.answer.base import Turn

    stub.condensed = "虎邱镇的法律顾问今年审查了多少件合同？"
    history = [Turn("user", "虎邱镇请的法律顾问是谁？"), Turn("assistant", "福建铭群律师事务所李雪萍律师[1]")]
    result = llm_pipeline.ask("她审了几份合同？", history=history)
    stub.condensed = ""
    condense = next(r for r in stub.requests if "可以单独理解的完整问题" in r["messages"][0]["content"])
    assert "虎邱镇请的法律顾问是谁" in condense["messages"][1]["content"]  # the conversation was given
    assert result.rewritten_question == "虎邱镇的法律顾问今年审查了多少件合同？"
    assert result.citations and result.citations[0].doc == "huqiu-2024"


def test_fallback_keeps_the_gate(llm_pipeline, stub):
    """When the LLM fails, the extractive fallback answers only what the calibrated gate lets through."""
    stub.mode = "error"
    result = llm_pipeline.ask("安溪县2025年新收了多少件行政复议申请？")
    assert result.refused and not result.citations
