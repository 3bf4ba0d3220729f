"""The chat and the intranet widget in a real browser: Debian's Chromium, headless, driven by Playwright,
against the real server over the session index. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from rag.pipeline import Pipeline
from tests.conftest import make_settings
from tests.web_helpers import (
    CHROMIUM,
    REPO,
    TRICKY_QUESTION,
    app_server,
    launch_chromium,
    prefix_proxy,
    server_settings,
    shot,
    static_server,
    write_tricky_corpus,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium: apt-get install -y chromium"),
    # Gradio's queue uses pandas options that pandas 3 deprecates; not ours to fix.
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated"),
]

LAWYER_Q = "虎邱镇聘请了哪家律师事务所担任法律顾问？"
HUQIU_TITLE = "虎邱镇2024年度法治政府建设情况的报告"
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
DONE = ".rag-sources, .rag-refusal, .rag-error"


# -- fixtures --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("intranet-site")


@pytest.fixture(scope="module")
def site(site_dir) -> Iterator[str]:
    """The intranet: another origin, allowed to embed the chat."""
    with static_server(site_dir) as url:
        yield url


@pytest.fixture(scope="module")
def base(pipeline, site, site_dir) -> Iterator[str]:
    with app_server(pipeline, server_settings(pipeline, allowed_origins=[site])) as url:
        page = (REPO / "examples" / "intranet.html").read_text(encoding="utf-8")
        assert '<script src="http://127.0.0.1:7860/widget.js"></script>' in page
        (site_dir / "intranet.html").write_text(page.replace("http://127.0.0.1:7860/", url + "/"), encoding="utf-8")
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


class Visit:
    """A fresh browser context that records every request and refuses any that leaves loopback."""

    def __init__(self, browser: Any, **context: Any) -> None:
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, **context)
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.failed: list[str] = []
        self.page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    def _route(self, route: Any) -> None:
        url = route.request.url
        self.requests.append(url)
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost") and not url.startswith(("data:", "blob:")):
            self.outside.append(url)
            route.abort()
        else:
            route.continue_()


@pytest.fixture
def visit(browser) -> Iterator[Visit]:
    v = Visit(browser)
    yield v
    v.context.close()


def ask(root: Any, question: str, given_back: bool = False) -> Any:
    """Type a question into the chat (a page or the widget's frame) and wait for the whole answer."""
    from playwright.sync_api import expect

    bots = root.locator("#rag-chat [data-testid='bot']")
    before = bots.count()
    root.locator("#rag-input textarea").fill(question)
    root.locator("#rag-send").click()
    expect(bots).to_have_count(before + 1, timeout=30_000)
    last = bots.nth(before)
    expect(last.locator(DONE).first).to_be_visible(timeout=30_000)
    # The chat is idle again: the input was cleared (or, for an error, the question given back).
    expect(root.locator("#rag-input textarea")).to_have_value(question if given_back else "", timeout=30_000)
    return last


def open_source(answer: Any, index: int = 0) -> Any:
    """Open one source of a finished answer and wait until its passage shows.

    Clicked once the chat is idle (the input was cleared, so Gradio will not re-render the message
    under the pointer); the summary sits above the message's markdown layer (z-index in theme.py).
    """
    from playwright.sync_api import expect

    source = answer.locator(".rag-source").nth(index)
    summary = source.locator("summary")
    expect(summary).to_be_visible()
    summary.scroll_into_view_if_needed()
    summary.click()
    expect(source.locator(".rag-chunk")).to_be_visible()
    return source


# -- the chat --------------------------------------------------------------------------------------
def test_chat_answers_with_sources_and_follow_ups(base, visit):
    from playwright.sync_api import expect

    page = visit.page
    page.goto(base + "/")
    listing = page.locator("#rag-doc-list")
    expect(listing).to_contain_text(HUQIU_TITLE)
    expect(listing).to_contain_text("中共安溪县虎邱镇委员会")
    expect(listing).to_contain_text("2025-02-28")
    shot(page, "chat-start")

    answer = ask(page, LAWYER_Q)
    expect(answer.locator(".rag-answer")).to_contain_text("福建铭群律师事务所")
    expect(answer.locator(".rag-cite").first).to_have_text("[1]")
    source = answer.locator(".rag-source").first
    expect(source.locator(".rag-title")).to_have_text(HUQIU_TITLE)
    expect(source.locator(".rag-section")).to_contain_text("完善法治政府建设推进落实机制")
    expect(source.locator(".rag-chunk")).to_be_hidden()
    open_source(answer)
    expect(source.locator(".rag-chunk mark").first).to_contain_text("福建铭群律师事务所")
    shot(page, "chat-answer-source-open")

    follow = ask(page, "那安溪县呢？")
    expect(follow.locator(".rag-note").first).to_contain_text("已理解为：安溪县聘请了哪家律师事务所")
    expect(follow.locator(".rag-source .rag-title").first).to_contain_text("安溪县")
    shot(page, "chat-follow-up")

    page.locator("#rag-clear").click()
    expect(page.locator("#rag-chat [data-testid='bot']")).to_have_count(0)
    page.get_by_text("安溪县2023年行政诉讼一审败诉率是多少？").click()  # an example question
    expect(page.locator("#rag-chat [data-testid='bot'] .rag-answer")).to_contain_text("9.26%", timeout=30_000)
    assert not visit.errors, visit.errors
    assert not visit.failed, visit.failed


def test_document_filter_and_refusal(base, visit):
    from playwright.sync_api import expect

    page = visit.page
    page.goto(base + "/")
    page.locator("#rag-docs-filter input").click()
    page.get_by_role("option", name=re.compile("德化县")).click()
    page.keyboard.press("Escape")
    answer = ask(page, LAWYER_Q)
    titles = answer.locator(".rag-title").all_text_contents()
    assert titles and all("德化县" in t for t in titles), titles

    refusal = ask(page, "德化县2024年举办了几场马拉松比赛？")
    expect(refusal.locator(".rag-refusal")).to_contain_text("未找到答案")
    expect(refusal.locator(".rag-sources-head")).to_have_text("可能相关的段落（仅供参考）")
    expect(refusal.locator(".rag-source")).to_have_count(3)
    shot(page, "chat-filter-refusal")

    error = ask(page, "？？？", given_back=True)
    expect(error.locator(".rag-error")).to_contain_text("没有识别到有效的问题内容")
    expect(page.locator("#rag-input textarea")).to_have_value("？？？")  # given back to fix


def test_question_is_shown_as_text_never_run(base, visit):
    from playwright.sync_api import expect

    page = visit.page
    page.goto(base + "/")
    tricky = XSS + " **粗体** [链接](javascript:window.__xss=3) $$x^2$$"
    ask(page, tricky)
    expect(page.locator("#rag-chat .rag-question")).to_have_text(tricky)
    assert page.evaluate("window.__xss") is None
    assert page.locator("#rag-chat img, #rag-chat script, #rag-chat a[href^='javascript'], #rag-chat strong").count() == 0
    shot(page, "chat-xss-question")


def test_chat_loads_nothing_from_outside(base, visit):
    page = visit.page
    for path in ("/", "/embed/"):
        page.goto(base + path)
        open_source(ask(page, LAWYER_Q))
        page.wait_for_timeout(1000)  # Gradio keeps a stream open, so the network is never idle
    assert len(visit.requests) > 10
    assert not visit.outside, visit.outside
    fonts = page.evaluate("[...document.fonts].map(f => f.family)")
    assert not any("IBM Plex" in f or "Source Sans" in f for f in fonts), fonts


# -- a report that tries tricks --------------------------------------------------------------------
@pytest.fixture(scope="module")
def tricky_base(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("tricky")
    pipe = Pipeline(make_settings(root / "index", data_dir=write_tricky_corpus(root)))
    pipe.ingest()
    with app_server(pipe, pipe.settings) as url:
        yield url


def test_report_text_is_shown_as_text(tricky_base, visit):
    from playwright.sync_api import expect

    page = visit.page
    page.goto(tricky_base + "/")
    answer = ask(page, TRICKY_QUESTION)
    expect(answer.locator(".rag-answer")).to_contain_text("<script>window.__xss=3</script>*十二名*干部参加")
    expect(answer.locator(".rag-answer")).to_contain_text("[附件](javascript:window.__xss=5)")
    source = open_source(answer)
    chunk = source.locator(".rag-chunk")
    expect(chunk).to_contain_text('<img src=x onerror="window.__xss=4">')
    expect(chunk).to_contain_text("$$x^2$$")
    expect(chunk.locator("mark")).to_contain_text("<script>")
    assert page.evaluate("window.__xss") is None
    assert page.locator("#rag-chat img, #rag-chat script, #rag-chat a, #rag-chat strong, #rag-chat .katex").count() == 0
    shot(page, "chat-xss-report")


def test_markers_open_their_source_and_copy_has_footnotes(base, browser):
    from playwright.sync_api import expect

    v = Visit(browser, permissions=["clipboard-read", "clipboard-write"])
    try:
        page = v.page
        page.goto(base + "/")
        answer = ask(page, LAWYER_Q)
        source = answer.locator(".rag-source").first
        expect(source.locator(".rag-chunk")).to_be_hidden()
        answer.locator(".rag-answer .rag-cite").first.click()  # [1] is a link to source 1
        expect(source.locator(".rag-chunk")).to_be_visible()
        assert source.evaluate("el => el.open && el.getBoundingClientRect().top < window.innerHeight")
        shot(page, "chat-marker-opens-source")

        answer.locator(".rag-copy").click()
        expect(answer.locator(".rag-copy")).to_have_text("已复制")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "福建铭群律师事务所" in copied and "[1]" in copied
        notes = copied.split("来源：\n")[1].splitlines()
        assert notes[0].startswith(f"[1] {HUQIU_TITLE}｜") and "完善法治政府建设推进落实机制" in notes[0]
        assert not v.errors, v.errors
    finally:
        v.context.close()


def test_feedback_votes_are_stored(base, pipeline, visit):
    import sqlite3

    from playwright.sync_api import expect

    page = visit.page
    page.goto(base + "/")
    answer = ask(page, LAWYER_Q)
    answer.locator(".rag-vote.rag-down").click()
    expect(answer.locator(".rag-fb-status")).to_have_text("感谢反馈！")
    answer.locator(".rag-fb-comment input").fill("顾问单位写得不完整")
    answer.locator(".rag-fb-comment button").click()
    expect(answer.locator(".rag-fb-status")).to_have_text("已收到您的意见，谢谢！")
    shot(page, "chat-feedback")
    db = sqlite3.connect(pipeline.settings.index_dir / "feedback.sqlite")
    try:
        rows = db.execute("SELECT vote, comment, question, answer, citations, answerer FROM votes"
                          " WHERE comment = '顾问单位写得不完整'").fetchall()
    finally:
        db.close()
    assert len(rows) == 1
    vote, _, question, answer_text, citations, answerer = rows[0]
    assert vote == -1 and question == LAWYER_Q and "福建铭群律师事务所" in answer_text
    assert "huqiu-2024" in citations and answerer


# -- the widget ------------------------------------------------------------------------------------
def test_widget_on_an_intranet_page(base, site, visit):
    from playwright.sync_api import expect

    page = visit.page
    page.goto(site + "/intranet.html")
    button = page.locator("#rag-widget .btn")
    expect(button).to_contain_text("政府报告问答助手")
    assert page.locator("#rag-widget iframe").count() == 0, "the chat loads only when opened"
    shot(page, "widget-closed")

    button.click()
    frame = page.frame_locator("#rag-widget iframe")
    answer = ask(frame, LAWYER_Q)
    expect(answer.locator(".rag-answer")).to_contain_text("福建铭群律师事务所")
    source = answer.locator(".rag-source").first
    expect(source.locator(".rag-title")).to_have_text(HUQIU_TITLE)
    expect(source.locator(".rag-section")).to_contain_text("完善法治政府建设推进落实机制")
    shot(page, "widget-answer")
    open_source(answer)
    expect(source.locator(".rag-chunk mark").first).to_be_visible()
    answer.locator(".rag-vote.rag-up").click()  # feedback works in the widget too
    expect(answer.locator(".rag-fb-status")).to_have_text("感谢反馈！")
    shot(page, "widget-source-open")
    assert page.evaluate("document.querySelector('#rag-widget iframe') === null")  # shadow DOM, own styles
    page.set_viewport_size({"width": 390, "height": 760})  # a phone: the panel takes the whole screen
    shot(page, "widget-narrow")

    page.locator("#rag-widget .close").click()
    expect(page.locator("#rag-widget .panel")).to_be_hidden()
    assert not visit.outside, visit.outside
    assert {urlsplit(u).port for u in visit.requests} == {urlsplit(base).port, urlsplit(site).port}


def test_widget_refused_on_an_origin_not_allowed(base, site_dir, browser, caplog):
    """The same page from an origin missing from RAG_ALLOWED_ORIGINS: the panel says so in Chinese
    (no broken frame), and the server log names the setting to change."""
    import logging

    from playwright.sync_api import expect

    caplog.set_level(logging.WARNING, logger="rag.web.clients")
    with static_server(site_dir) as other:
        v = Visit(browser)
        try:
            v.page.goto(other + "/intranet.html")
            v.page.locator("#rag-widget .btn").click()
            notice = v.page.locator("#rag-widget .notice")
            expect(notice).to_contain_text("未被允许嵌入问答助手")
            expect(notice).to_contain_text(other)
            assert v.page.locator("#rag-widget iframe").count() == 0
            shot(v.page, "widget-refused-origin")
        finally:
            v.context.close()
    logged = [r.getMessage() for r in caplog.records if "RAG_ALLOWED_ORIGINS" in r.getMessage()]
    assert logged and other in logged[0], caplog.text


def test_widget_behind_a_path_prefix(pipeline, site, site_dir, browser):
    """Behind a proxy at /rag/ (RAG_ROOT_PATH=/rag): the script line names the proxied URL, and the
    widget, the chat and its event stream all go through the prefix (whether the proxy strips it or not)."""
    from playwright.sync_api import expect

    settings = server_settings(pipeline, root_path="/rag", allowed_origins=[site])
    with app_server(pipeline, settings) as direct, prefix_proxy(direct, "/rag") as public:
        page_html = (REPO / "examples" / "intranet.html").read_text(encoding="utf-8")
        (site_dir / "prefixed.html").write_text(page_html.replace("http://127.0.0.1:7860", public), encoding="utf-8")
        v = Visit(browser)
        try:
            v.page.goto(site + "/prefixed.html")
            v.page.locator("#rag-widget .btn").click()
            answer = ask(v.page.frame_locator("#rag-widget iframe"), LAWYER_Q)
            expect(answer.locator(".rag-answer")).to_contain_text("福建铭群律师事务所")
            app_requests = [u for u in v.requests if not u.startswith(site)]
            assert app_requests and all(u.startswith(public + "/") for u in app_requests), app_requests
            assert not [f for f in v.failed if not f.endswith("/favicon.ico")], v.failed
            # Proxies that keep the prefix send /rag/... as is: the same chat answers there.
            v.page.goto(direct + "/rag/")
            expect(ask(v.page, LAWYER_Q).locator(".rag-answer")).to_contain_text("福建铭群律师事务所")
        finally:
            v.context.close()


def test_widget_with_a_key_when_api_keys_are_set(pipeline, site, site_dir, browser):
    """RAG_API_KEYS set: the widget's data-key opens the chat (a cookie after the first load); the same page
    without the key gets no chat, and the chat's own requests are refused without the cookie."""
    from playwright.sync_api import expect

    settings = server_settings(pipeline, allowed_origins=[site], api_keys=["widget-key"])
    with app_server(pipeline, settings) as url:
        page_html = (REPO / "examples" / "intranet.html").read_text(encoding="utf-8")
        tag = '<script src="http://127.0.0.1:7860/widget.js"></script>'
        (site_dir / "keyed.html").write_text(
            page_html.replace(tag, f'<script src="{url}/widget.js" data-key="widget-key"></script>'), encoding="utf-8")
        (site_dir / "keyless.html").write_text(page_html.replace("http://127.0.0.1:7860", url), encoding="utf-8")
        v = Visit(browser)
        try:
            v.page.goto(site + "/keyed.html")
            v.page.locator("#rag-widget .btn").click()
            answer = ask(v.page.frame_locator("#rag-widget iframe"), LAWYER_Q)
            expect(answer.locator(".rag-answer")).to_contain_text("福建铭群律师事务所")
            assert not any("key=widget-key" in u for u in v.requests if "/gradio_api/" in u)
        finally:
            v.context.close()
        v = Visit(browser)
        try:
            v.page.goto(site + "/keyless.html")
            v.page.locator("#rag-widget .btn").click()
            expect(v.page.locator("#rag-widget iframe")).to_be_attached()
            v.page.wait_for_timeout(1500)
            assert v.page.frame_locator("#rag-widget iframe").locator("#rag-input").count() == 0
            assert any(f.startswith("401 ") for f in v.failed), v.failed
        finally:
            v.context.close()
