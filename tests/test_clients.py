"""The assistant through the clients people already run, over real HTTP against the real server:
the official ``openai`` SDK and LangChain's ``ChatOpenAI`` on ``/v1``, the MCP SDK's own client on
``/mcp`` and on ``rag mcp`` (stdio), and answer feedback into SQLite and out as gold candidates.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from rag.answer.base import Turn
from rag.feedback.export import gold_candidate
from rag.feedback.store import FeedbackStore
from rag.web.openai_api import reconcile
from tests.web_helpers import REPO, app_server, fetch, server_settings

LAWYER_Q = "虎邱镇聘请了哪家律师事务所担任法律顾问？"
FIRM = "福建铭群律师事务所"
HUQIU_TITLE = "虎邱镇2024年度法治政府建设情况的报告"
OFF_TOPIC = "德化县2024年举办了几场马拉松比赛？"


@pytest.fixture(scope="module")
def base(pipeline) -> Iterator[str]:
    with app_server(pipeline, server_settings(pipeline, max_request_bytes=8000)) as url:
        yield url


def _check_annotations(content: str, annotations: list, base: str) -> None:
    assert annotations, "every [n] marker becomes a url_citation annotation"
    for a in annotations:
        cite = a.url_citation
        assert a.type == "url_citation"
        assert content[cite.start_index:cite.end_index] == f"[{a.citation['n']}]"
        assert cite.url.startswith(base + "/source?")
        assert HUQIU_TITLE in cite.title
        assert {"doc", "title", "section", "quote", "chunk_id"} <= set(a.citation)


# -- OpenAI SDK ------------------------------------------------------------------------------------
def test_openai_sdk_models_and_answer_with_url_citations(base):
    from openai import OpenAI

    client = OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list()] == ["extractive"]
    reply = client.chat.completions.create(model="extractive", messages=[{"role": "user", "content": LAWYER_Q}])
    message = reply.choices[0].message
    assert FIRM in message.content and "[1]" in message.content
    annotations = [type("A", (), {"type": a.type, "url_citation": a.url_citation,
                                  "citation": a.model_extra["citation"]}) for a in message.annotations]
    _check_annotations(message.content, annotations, base)
    # The link opens the source view with the quoted sentence highlighted.
    url = message.annotations[0].url_citation.url
    assert parse_qs(urlsplit(url).query)["doc"] == ["huqiu-2024"]
    page = fetch("GET", url)
    assert page.status == 200
    assert FIRM in page.body.decode() and "<mark>" in page.body.decode()
    assert reply.model_extra["rag"]["refused"] is False


def test_openai_sdk_streams_the_same_answer(base):
    from openai import OpenAI

    client = OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
    content, annotations, extra = "", [], None
    with client.chat.completions.create(model="extractive", stream=True,
                                        messages=[{"role": "user", "content": LAWYER_Q}]) as stream:
        for chunk in stream:
            delta = chunk.choices[0].delta
            content += delta.content or ""
            annotations += (delta.model_extra or {}).get("annotations") or []
            extra = (chunk.model_extra or {}).get("rag") or extra
    assert FIRM in content
    assert annotations and all(content[a["url_citation"]["start_index"]:a["url_citation"]["end_index"]]
                               == f"[{a['citation']['n']}]" for a in annotations)
    assert extra and extra["citations"][0]["doc"] == "huqiu-2024"


def test_openai_sdk_follow_up_refusal_and_errors(base):
    import openai
    from openai import OpenAI

    client = OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
    follow = client.chat.completions.create(model="extractive", messages=[
        {"role": "system", "content": "你是助手"},
        {"role": "user", "content": "安溪县2023年行政诉讼一审败诉率是多少？"},
        {"role": "assistant", "content": "9.26%"},
        {"role": "user", "content": "那鲤城区呢？"}])
    assert all(a.model_extra["citation"]["doc"] == "licheng-2024" for a in follow.choices[0].message.annotations)
    assert "鲤城区" in follow.model_extra["rag"]["rewritten_question"]

    refused = client.chat.completions.create(model="extractive", messages=[{"role": "user", "content": OFF_TOPIC}])
    assert refused.model_extra["rag"]["refused"] is True  # a normal answer, not an error
    assert refused.choices[0].message.content and refused.choices[0].finish_reason == "stop"

    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": LAWYER_Q}])
    assert missing.value.body["code"] == "model_not_found" and "extractive" in missing.value.body["message"]
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="extractive", messages=[{"role": "user", "content": "？？？"}])
    assert bad.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="extractive", messages=[])
    with pytest.raises(openai.APIStatusError) as big:
        client.chat.completions.create(model="extractive", messages=[{"role": "user", "content": "问" * 9000}])
    assert big.value.status_code == 413 and "message" in big.value.body
    raw = fetch("POST", base + "/v1/chat/completions", b"{not json")
    assert raw.status == 400 and raw.json()["error"]["type"] == "invalid_request_error"


def test_openai_document_filter_extension(base):
    from openai import OpenAI

    client = OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
    reply = client.chat.completions.create(model="extractive", messages=[{"role": "user", "content": LAWYER_Q}],
                                           extra_body={"docs": ["dehua-2024"]})
    assert all(a.model_extra["citation"]["doc"] == "dehua-2024" for a in reply.choices[0].message.annotations)


def test_langchain_chat_openai_invoke_and_stream(base):
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(base_url=base + "/v1", api_key="unused", model="extractive", max_retries=0)
    message = llm.invoke(LAWYER_Q)
    assert FIRM in message.content
    streamed = "".join(str(chunk.content) for chunk in llm.stream(LAWYER_Q))
    assert FIRM in streamed and "[1]" in streamed


def test_stream_reconciles_dropped_markers_and_fallbacks():
    assert reconcile("甲乙[1]", "甲乙[1]丙") == ("丙", 0)
    assert reconcile("甲[9]乙", "甲乙[1]") == ("[1]", 0)  # the answerer dropped an invalid marker
    tail, start = reconcile("模型写了一半", "摘录的回答[1]")  # fell back: the final answer follows in full
    assert tail == "\n\n摘录的回答[1]" and ("模型写了一半" + tail)[start:] == "摘录的回答[1]"


# -- MCP -------------------------------------------------------------------------------------------
async def _use_mcp(client) -> dict:
    out: dict = {}
    async with client:
        out["tools"] = sorted(t.name for t in (await client.list_tools()).tools)
        out["reports"] = (await client.call_tool("list_reports", {})).structured_content
        out["ask"] = (await client.call_tool("ask", {"question": LAWYER_Q})).structured_content
        out["follow"] = (await client.call_tool("ask", {"question": "那安溪县呢？", "history": [
            {"role": "user", "content": LAWYER_Q}, {"role": "assistant", "content": FIRM}]})).structured_content
        out["search"] = (await client.call_tool("search_reports", {"query": "法律顾问", "k": 3,
                                                                   "reports": ["huqiu-2024"]})).structured_content
        out["bad"] = await client.call_tool("search_reports", {"query": "法律顾问", "reports": ["nope"]})
    return out


def _check_mcp(out: dict) -> None:
    assert out["tools"] == ["ask", "list_reports", "search_reports"]
    assert len(out["reports"]["reports"]) == 5
    assert all("source" not in r for r in out["reports"]["reports"])
    ask = out["ask"]
    assert FIRM in ask["answer"] and not ask["refused"]
    assert ask["citations"][0]["doc"] == "huqiu-2024" and "/source?" in ask["citations"][0]["url"]
    assert "安溪县" in out["follow"]["rewritten_question"]
    passages = out["search"]["passages"]
    assert len(passages) == 3 and all(p["doc"] == "huqiu-2024" and "section" in p and "page" in p for p in passages)
    assert out["bad"].is_error and "list_reports" in out["bad"].content[0].text


def test_mcp_over_streamable_http(base):
    from mcp import Client

    _check_mcp(asyncio.run(_use_mcp(Client(base + "/mcp"))))


def test_mcp_over_stdio(pipeline):
    from mcp import Client, StdioServerParameters

    env = {**os.environ, "PYTHONPATH": str(REPO), "RAG_INDEX_DIR": str(pipeline.settings.index_dir),
           "RAG_DATA_DIR": str(pipeline.settings.data_dir)}
    params = StdioServerParameters(command=sys.executable, args=["-m", "rag", "mcp"], env=env, cwd=str(REPO))
    _check_mcp(asyncio.run(_use_mcp(Client(params, read_timeout_seconds=120))))


# -- feedback --------------------------------------------------------------------------------------
def test_feedback_votes_concurrently_and_exports_gold_candidates(pipeline, tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    result = pipeline.ask(LAWYER_Q)
    errors: list[BaseException] = []

    def vote(i: int) -> None:
        try:
            # A store object per thread, each writing on its own connection, as separate workers would.
            own = FeedbackStore(store.path)
            assert own.vote(own.remember(result, [Turn("user", "你好")], "v1"), up=i % 2 == 0, comment=f"意见{i}")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=vote, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert not store.vote("0" * 32, up=True)  # an answer the server never gave
    assert store.since_last_export() == {"votes": 40, "up": 20, "down": 20}
    votes = store.votes()
    assert {v["comment"] for v in votes} == {f"意见{i}" for i in range(40)}
    assert votes[0]["answerer"] == result.answerer and votes[0]["index_version"] == "v1"
    assert votes[0]["citations"][0]["doc"] == "huqiu-2024" and votes[0]["history"] == [{"role": "user", "content": "你好"}]

    rows = [gold_candidate(v) for v in store.take_for_export()]
    assert len(rows) == 20 and store.since_last_export()["votes"] == 0 and store.take_for_export() == []
    gold = json.loads((REPO / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert set(gold) <= set(rows[0]), "same schema as eval/gold.jsonl"
    assert rows[0]["question"] == LAWYER_Q and rows[0]["doc"] == "huqiu-2024"
    assert rows[0]["answer"] == "TODO" and "must_contain" in rows[0]["_todo"]
    assert rows[0]["_feedback"]["answer_given"] == result.answer


def test_feedback_endpoint_and_cli_export(pipeline, tmp_path):
    settings = server_settings(pipeline, index_dir=pipeline.settings.index_dir)
    store_path = settings.index_dir / "feedback.sqlite"
    with app_server(pipeline, settings) as url:
        bad = fetch("POST", url + "/api/feedback", {"id": "0" * 32, "vote": "down"})
        assert bad.status == 404 and "过期" in bad.json()["error"]
        assert fetch("POST", url + "/api/feedback", {"id": "x", "vote": "meh"}).status == 400
        assert fetch("POST", url + "/api/feedback", "x" * 100_000).status == 413
    store = FeedbackStore(store_path)
    before = store.since_last_export()["down"]
    store.vote(store.remember(pipeline.ask(OFF_TOPIC), [], "v"), up=False, comment="应该能回答")
    from rag.evaluation.cli import feedback_since_export

    assert feedback_since_export(settings)["down"] == before + 1  # what `rag eval` reports
    out = tmp_path / "candidates.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO), "RAG_INDEX_DIR": str(settings.index_dir)}
    done = subprocess.run([sys.executable, "-m", "rag", "feedback", "export", "--out", str(out)],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == before + 1 and lines[-1]["_feedback"]["comment"] == "应该能回答"
    assert FeedbackStore(store_path).since_last_export()["votes"] == 0
    assert feedback_since_export(settings)["votes"] == 0


# -- with an LLM configured ------------------------------------------------------------------------
def test_openai_api_over_an_llm_answerer(pipeline, shipped_index_dir):
    """Models: the LLM and extractive. The streamed text ends as the final answer even when the
    answerer drops a marker the model invented ([9]) or falls back to extractive on an LLM error."""
    from openai import OpenAI

    from rag.answer.citations import MARKER
    from rag.pipeline import Pipeline
    from tests.conftest import make_settings
    from tests.llm_stub import StubLLM

    with StubLLM() as stub:
        settings = make_settings(shipped_index_dir, llm_base_url=stub.base_url, llm_model="stub-model",
                                 llm_timeout_s=5.0)
        with app_server(Pipeline(settings), settings) as url:
            client = OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)
            assert [m.id for m in client.models.list()] == ["stub-model", "extractive"]
            def bare(text: str) -> str:
                return MARKER.sub("", text)

            for mode in ("cite", "error"):
                stub.mode = mode
                plain = client.chat.completions.create(model="stub-model",
                                                       messages=[{"role": "user", "content": LAWYER_Q}])
                content, annotations = "", []
                for chunk in client.chat.completions.create(model="stub-model", stream=True,
                                                            messages=[{"role": "user", "content": LAWYER_Q}]):
                    content += chunk.choices[0].delta.content or "" if chunk.choices else ""
                    annotations += (chunk.choices[0].delta.model_extra or {}).get("annotations") or []
                final = plain.choices[0].message.content
                # The client keeps what was streamed (an invented [9] stays, unannotated); the text
                # around the markers is the final answer's.
                assert "[9]" not in final and bare(content).endswith(bare(final)), (mode, content, final)
                assert not any(content[a["url_citation"]["start_index"]:].startswith("[9]") for a in annotations)
                assert annotations and all(content[a["url_citation"]["start_index"]:a["url_citation"]["end_index"]]
                                           == f"[{a['citation']['n']}]" for a in annotations)
                assert plain.model_extra["rag"]["answerer"] == ("llm" if mode == "cite" else "extractive-fallback")
            stub.mode = "error"
            before = len(stub.requests)
            extractive = client.chat.completions.create(model="extractive",
                                                        messages=[{"role": "user", "content": LAWYER_Q}])
            assert FIRM in extractive.choices[0].message.content and len(stub.requests) == before
            assert extractive.model_extra["rag"]["answerer"] == "extractive"
