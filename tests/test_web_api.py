"""The JSON API and server rules over real HTTP (real index, real uvicorn), plus the HTML rendering
and chat-turn logic that the browser tests rely on.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rag.answer.base import Turn
from rag.answer.flow import QuestionError
from rag.schema import AnswerResult, Chunk, Citation, ScoredChunk
from rag.settings import Settings
from rag.web import messages, render
from rag.web.api import build_api
from rag.web.chat import respond
from rag.web.limits import clean_origins, frame_ancestors
from tests.web_helpers import (
    REPO,
    TRICKY_QUESTION,
    TRICKY_SNIPPET,
    app_server,
    fetch,
    free_port,
    server_settings,
    write_tricky_corpus,
)
from vectorstore.base import StoreUnavailable

INTRANET = "http://intranet.example:8080"
LAWYER_Q = "虎邱镇聘请了哪家律师事务所担任法律顾问？"


@pytest.fixture(scope="module")
def base(pipeline) -> Iterator[str]:
    settings = server_settings(pipeline, allowed_origins=[INTRANET, "bad origin; script-src *"],
                               max_request_bytes=4000)
    with app_server(pipeline, settings) as url:
        yield url


# -- API -------------------------------------------------------------------------------------------
def test_health_and_docs(base):
    health = fetch("GET", f"{base}/api/health")
    assert health.status == 200
    assert health.json()["status"] == "ok" and health.json()["documents"] == 5
    docs = fetch("GET", f"{base}/api/docs").json()["documents"]
    assert {d["doc_id"] for d in docs} == {"anxi-2023", "dehua-2024", "huqiu-2024", "licheng-2024", "shishi-2024"}
    huqiu = next(d for d in docs if d["doc_id"] == "huqiu-2024")
    assert huqiu["title"] == "虎邱镇2024年度法治政府建设情况的报告" and huqiu["date"] == "2025-02-28"
    assert all("source" not in d for d in docs), "server file paths are not published"


def test_ask_answers_with_citations(base):
    reply = fetch("POST", f"{base}/api/ask", {"question": LAWYER_Q})
    assert reply.status == 200
    result = reply.json()
    assert "福建铭群律师事务所" in result["answer"] and not result["refused"]
    cited = result["citations"][0]
    assert cited["title"] == "虎邱镇2024年度法治政府建设情况的报告"
    assert "完善法治政府建设推进落实机制" in cited["section"]
    assert "[1]" in result["answer"] and cited["quote"] in cited["text"]


def test_ask_follow_up_and_document_filter(base):
    first = "安溪县2023年行政诉讼一审败诉率是多少？"
    reply = fetch("POST", f"{base}/api/ask", {"question": "那鲤城区呢？", "history": [
        {"role": "user", "content": first}, {"role": "assistant", "content": "9.26%"}]}).json()
    assert "鲤城区" in reply["rewritten_question"]
    assert reply["citations"] and all(c["doc"] == "licheng-2024" for c in reply["citations"])

    scoped = fetch("POST", f"{base}/api/ask", {"question": LAWYER_Q, "docs": ["dehua-2024"], "k": 5}).json()
    assert all(c["doc"] == "dehua-2024" for c in scoped["citations"])
    assert all(r["doc"] == "dehua-2024" for r in scoped["retrieved"])


@pytest.mark.parametrize("body", ["{bad json", b"\xff\xfe", ""])
def test_bad_json_is_400(base, body):
    reply = fetch("POST", f"{base}/api/ask", body)
    assert reply.status == 400
    assert reply.json()["error"] == messages.BAD_JSON


@pytest.mark.parametrize("body", [
    {"question": 3}, {"question": "x", "history": "not a list"}, {"question": "x", "k": 0},
    {"question": "x", "history": [{"role": "system", "content": "x"}]}, {"docs": ["huqiu-2024"]}, [1, 2],
])
def test_wrong_types_are_422(base, body):
    reply = fetch("POST", f"{base}/api/ask", json.dumps(body))
    assert reply.status == 422
    assert reply.json()["error"].startswith(messages.BAD_REQUEST)


def test_question_errors_are_400_in_chinese(base):
    empty = fetch("POST", f"{base}/api/ask", {"question": "   "})
    assert empty.status == 400 and "问题不能为空" in empty.json()["error"]
    unknown = fetch("POST", f"{base}/api/ask", {"question": LAWYER_Q, "docs": ["nope-1999"]})
    assert unknown.status == 400 and "nope-1999" in unknown.json()["error"]
    assert fetch("GET", f"{base}/api/ask").json()["error"] == messages.BAD_METHOD
    assert fetch("GET", f"{base}/api/nothing").json()["error"] == messages.NOT_FOUND


def test_oversized_body_is_413(base):
    big = json.dumps({"question": "问" * 3000})
    reply = fetch("POST", f"{base}/api/ask", big)
    assert reply.status == 413 and "过大" in reply.json()["error"]
    # Without a Content-Length (chunked upload) the limit still holds.
    chunked = fetch("POST", f"{base}/api/ask", iter([big[:2000].encode(), big[2000:].encode()]))
    assert chunked.status == 413


def test_cors_only_for_allowed_origins(base):
    ok = fetch("OPTIONS", f"{base}/api/ask", headers={
        "Origin": INTRANET, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert ok.status == 200 and ok.headers["access-control-allow-origin"] == INTRANET
    other = fetch("GET", f"{base}/api/health", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    limited = fetch("POST", f"{base}/api/ask", "x" * 5000, headers={"Origin": INTRANET})
    assert limited.status == 413 and limited.headers["access-control-allow-origin"] == INTRANET


def test_chat_pages_may_be_framed_only_by_allowed_origins(base):
    for path in ("/", "/embed/"):
        page = fetch("GET", base + path)
        assert page.status == 200 and "text/html" in page.headers["content-type"]
        assert page.headers["content-security-policy"] == f"frame-ancestors 'self' {INTRANET}"
    assert fetch("GET", f"{base}/embed").headers["location"] == "embed/"


def test_widget_script(base):
    js = fetch("GET", f"{base}/widget.js")
    assert js.status == 200 and js.headers["content-type"].startswith("application/javascript")
    text = js.body.decode()
    assert "currentScript" in text and '"embed/"' in text and "http" not in re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def test_same_origin_by_default_and_path_prefix(pipeline):
    settings = server_settings(pipeline, root_path="/rag")
    with app_server(pipeline, settings) as url:
        assert fetch("GET", f"{url}/api/health").headers["content-security-policy"] == "frame-ancestors 'self'"
        cors = fetch("GET", f"{url}/api/health", headers={"Origin": INTRANET})
        assert "access-control-allow-origin" not in cors.headers
        # A proxy serving https://intranet.example/rag/ strips the prefix and says where it is.
        page = fetch("GET", f"{url}/embed/", headers={"X-Forwarded-Host": "intranet.example"}).body.decode()
        assert '"root":"http://intranet.example/rag/embed"' in page.replace(" ", "")
        assert fetch("GET", f"{url}/widget.js").status == 200
        # A proxy that keeps the prefix (and a direct visit to /rag/) reaches the same routes.
        assert fetch("GET", f"{url}/rag/api/health").json()["status"] == "ok"
        kept = fetch("GET", f"{url}/rag/embed/", headers={"X-Forwarded-Host": "intranet.example"}).body.decode()
        assert '"root":"http://intranet.example/rag/embed"' in kept.replace(" ", "")
        assert fetch("GET", f"{url}/rag/widget.js").status == 200


def test_app_py_builds_the_index_on_first_start(tmp_path):
    """``python app.py`` on an empty index folder: indexes with progress, then serves chat and API."""
    port = free_port()
    env = {**os.environ, "RAG_DATA_DIR": str(write_tricky_corpus(tmp_path)), "RAG_INDEX_DIR": str(tmp_path / "idx"),
           "RAG_PORT": str(port), "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 90
            while True:
                assert proc.poll() is None, log.read_text()
                try:
                    if fetch("GET", f"{url}/api/health").status == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
            assert fetch("GET", f"{url}/api/health").json()["documents"] == 1
            result = fetch("POST", f"{url}/api/ask", {"question": TRICKY_QUESTION}).json()
            assert TRICKY_SNIPPET in result["citations"][0]["quote"]  # JSON carries the text as written
            assert fetch("GET", f"{url}/").status == 200
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    output = log.read_text()
    assert "建立索引" in output and "已收录 1 份报告" in output and f"127.0.0.1:{port}/widget.js" in output


# -- failures without a store ---------------------------------------------------------------------
class _DownPipeline:
    settings = Settings(_env_file=None)

    def documents(self):
        raise StoreUnavailable("connection refused")

    def ask(self, *args, **kwargs):
        raise StoreUnavailable("connection refused")

    def stream(self, *args, **kwargs):
        raise StoreUnavailable("connection refused")
        yield  # pragma: no cover


def test_store_down_is_503_with_a_clear_message():
    client = TestClient(build_api(_DownPipeline(), _DownPipeline.settings), raise_server_exceptions=False)
    for reply in (client.post("/ask", json={"question": LAWYER_Q}), client.get("/health"), client.get("/docs")):
        assert reply.status_code == 503 and reply.json()["error"] == messages.STORE_DOWN


def test_chat_shows_store_down_and_question_errors():
    *_, (chat, turns) = respond(_DownPipeline(), LAWYER_Q, [], [], None)
    assert messages.STORE_DOWN in html.unescape(chat[-1]["content"]) and turns == []

    class Refuses(_DownPipeline):
        def stream(self, *args, **kwargs):
            raise QuestionError("问题不能为空，请输入您想了解的内容。")
            yield  # pragma: no cover

    *_, (chat, turns) = respond(Refuses(), "", [], [], None)
    assert "问题不能为空" in html.unescape(chat[-1]["content"]) and 'class="rag-error"' in chat[-1]["content"]


def test_chat_keeps_answered_turns_for_follow_ups():
    result = AnswerResult(question="q1", answer="a1[1]", refused=False)

    class Answers(_DownPipeline):
        def stream(self, question, history=None, doc_ids=None, k=None):
            assert history == [Turn("user", "q0"), Turn("assistant", "a0")] and doc_ids == ["x"]
            yield "a1[1]"
            yield result

    steps = list(respond(Answers(), "q1", [], [Turn("user", "q0"), Turn("assistant", "a0")], ["x"]))
    chat, turns = steps[-1]
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert turns[-2:] == [Turn("user", "q1"), Turn("assistant", "a1[1]")]
    assert len(steps) >= 3  # pending, streamed text, final


# -- rendering -------------------------------------------------------------------------------------
TRICKS = '<script>alert(1)</script> **粗体** [链接](javascript:alert(1)) $$x$$ <img src=x onerror=alert(2)> & `code`'


def test_text_is_inert_html_and_markdown():
    out = render.text(TRICKS + "\n    缩进")
    assert not re.search(r"[<>*\[\]()$`&](?!#\d+;)", out.replace("<br>", "")), out
    assert html.unescape(out.replace("<br>", "\n")) == TRICKS + "\n    缩进"


def test_sources_highlight_quotes_inside_the_chunk():
    chunk = Chunk("d-1", 3, "第一句。第二句。第三 句<b>。", ["一、总体", "（一）细节"], 0, 10, title="报告<i>")
    cite = Citation(1, "d-1", chunk.title, chunk.section, "第一句。……第三句<b>。", chunk.text, 0.5, chunk.id)
    result = AnswerResult("问？", "第一句。[1]", False, citations=[cite], retrieved=[ScoredChunk(chunk, 0.5)])
    out = render.answer(result)
    assert out.count("<mark>") == 2 and "<mark>第三 句&#60;b&#62;。</mark>" in out
    assert "<i>" not in out and "<b>" not in out
    assert '<sup class="rag-cite"' in out and "&#91;1&#93;" in out
    assert "一、总体 &#62; （一）细节" in out
    refused = render.answer(AnswerResult("问？", "没有找到。", True, retrieved=[ScoredChunk(chunk, 0.5)] * 5))
    assert "未找到答案" in refused and refused.count('class="rag-source"') == render.REFUSAL_RELATED


def test_origins_are_checked_before_they_reach_a_header():
    assert clean_origins(["http://a.example:8080/", "https://b.example", "*", "x; script-src *", ""]) == [
        "http://a.example:8080", "https://b.example", "*"]
    assert frame_ancestors([]) == "frame-ancestors 'self'"
