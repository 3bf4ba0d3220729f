"""The admin page (/admin) over real HTTP and in a real browser: off without RAG_ADMIN_TOKEN, the token
on every request, upload limits and file-name sanitizing, and the whole flow: upload a DOCX, watch it
index, ask about it in the chat, delete it, and see it gone from the answers.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from rag.pipeline import Pipeline
from rag.web.admin import UploadRejected, safe_name
from tests.conftest import make_settings
from tests.web_helpers import CHROMIUM, app_server, fetch, launch_chromium, shot, write_tricky_corpus

TOKEN = "s3cret-admin-token"
QUESTION = "示例镇2024年建成了多少个智慧法律服务站？"
FACT = "17个"


def basic(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"admin:{token}".encode()).decode()}


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "----ragtestboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def make_docx(path: Path) -> Path:
    from docx import Document

    doc = Document()
    doc.add_heading("示例镇2024年度法治政府建设情况的报告", level=0)
    doc.add_paragraph("2024年，示例镇坚持依法行政，现将有关情况报告如下：")
    doc.add_heading("一、推进公共法律服务", level=1)
    doc.add_paragraph("示例镇2024年共建成智慧法律服务站17个，覆盖全部村居，全年接待群众咨询3600人次。")
    doc.add_paragraph("示例镇人民政府")
    doc.add_paragraph("2025年1月15日")
    doc.save(str(path))
    return path


@pytest.fixture(scope="module")
def admin_pipe(tmp_path_factory) -> Pipeline:
    root = tmp_path_factory.mktemp("admin")
    settings = make_settings(root / "index", data_dir=write_tricky_corpus(root), admin_token=TOKEN,
                             max_file_mb=0.2)
    pipe = Pipeline(settings)
    pipe.ingest()
    return pipe


@pytest.fixture(scope="module")
def admin_base(admin_pipe) -> Iterator[str]:
    with app_server(admin_pipe, admin_pipe.settings) as url:
        yield url


def test_safe_names():
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("C:\\Users\\x\\报告 (终稿).DOCX") == "报告_终稿.docx"
    assert safe_name("..\\..\\a;rm -rf.md") == "a_rm_-rf.md"
    for bad in ("run.exe", "noext", "....txt", ".txt"):
        with pytest.raises(UploadRejected):
            safe_name(bad)


def test_admin_is_off_without_a_token(admin_pipe):
    for token in (None, SecretStr("")):
        with app_server(admin_pipe, admin_pipe.settings.model_copy(update={"admin_token": token})) as url:
            for path in ("/admin", "/admin/", "/admin/api/reports"):
                assert fetch("GET", url + path, headers=basic()).status == 404, path


def test_every_admin_request_needs_the_token(admin_base, admin_pipe):
    for method, path in (("GET", "/admin/"), ("GET", "/admin/api/reports"), ("POST", "/admin/api/reports"),
                         ("DELETE", "/admin/api/reports/ceshi-2024"), ("POST", "/admin/api/reports/ceshi-2024/reindex")):
        for headers in ({}, basic("wrong"), {"Authorization": "Bearer wrong"}, {"Authorization": "Basic !!"}):
            reply = fetch(method, admin_base + path, b"" if method == "POST" else None,
                          headers={**headers, "X-RAG-Admin": "1"})
            assert reply.status == 401, (method, path, headers, reply.status)
            assert reply.headers["www-authenticate"].startswith("Basic")
    listing = fetch("GET", admin_base + "/admin/api/reports", headers={"Authorization": f"Bearer {TOKEN}"})
    assert listing.status == 200
    assert [r["doc_id"] for r in listing.json()["reports"]] == ["ceshi-2024"]
    # A change without the admin page's header (what a cross-site form would send) is refused.
    assert fetch("DELETE", admin_base + "/admin/api/reports/ceshi-2024", headers=basic()).status == 403
    assert (Path(admin_pipe.settings.data_dir) / "ceshi-2024.txt").exists()


def test_uploads_are_limited_and_stay_in_the_data_folder(admin_base, admin_pipe):
    data_dir = Path(admin_pipe.settings.data_dir)
    before = sorted(p.name for p in data_dir.parent.rglob("*") if p.is_file())
    headers = {**basic(), "X-RAG-Admin": "1"}
    for name, data, problem in (("evil.exe", b"MZ", "不支持"), ("big.txt", b"a" * 220_000, "上限"),
                                ("empty.txt", b"", "空")):
        body, ctype = multipart(name, data)
        reply = fetch("POST", admin_base + "/admin/api/reports", body, headers={**headers, "Content-Type": ctype})
        assert reply.status in (400, 413), (name, reply.status)
        assert problem in reply.json()["error"], reply.json()
    assert sorted(p.name for p in data_dir.parent.rglob("*") if p.is_file()) == before
    body, ctype = multipart("../../escape.txt", "逃逸镇2024年的报告。".encode())
    reply = fetch("POST", admin_base + "/admin/api/reports", body, headers={**headers, "Content-Type": ctype})
    assert reply.status == 202 and reply.json()["name"] == "escape.txt"
    assert (data_dir / "escape.txt").exists() and not (data_dir.parent.parent / "escape.txt").exists()
    delete = fetch("DELETE", admin_base + "/admin/api/reports/escape", headers=headers)
    assert delete.status == 202


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium: apt-get install -y chromium")
@pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")
def test_upload_ask_delete_in_the_browser(admin_base, admin_pipe, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from tests.test_web_browser import ask

    docx = make_docx(tmp_path / "shili-2024.docx")
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                          http_credentials={"username": "admin", "password": TOKEN})
            page = context.new_page()
            page.goto(admin_base + "/admin")
            expect(page.locator("#admin-reports")).to_contain_text("测试镇2024年度法治政府建设情况的报告")
            page.locator("#admin-file").set_input_files(str(docx))
            page.locator("#admin-upload").click()
            row = page.locator("#admin-reports tr[data-doc='shili-2024']")
            expect(row.locator(".admin-status")).to_have_text("已索引", timeout=120_000)
            expect(row.locator(".admin-title")).to_have_text("示例镇2024年度法治政府建设情况的报告")
            expect(page.locator("#admin-jobs .job-done").first).to_contain_text("已索引")
            shot(page, "admin-uploaded")

            chat = context.new_page()
            chat.goto(admin_base + "/")
            answer = ask(chat, QUESTION)
            expect(answer.locator(".rag-answer")).to_contain_text(FACT)
            expect(answer.locator(".rag-source .rag-title").first).to_have_text("示例镇2024年度法治政府建设情况的报告")

            page.once("dialog", lambda d: d.accept())
            row.get_by_role("button", name="删除").click()
            expect(row).to_have_count(0, timeout=120_000)
            shot(page, "admin-deleted")
            assert not (Path(admin_pipe.settings.data_dir) / "shili-2024.docx").exists()

            chat.reload()
            gone = ask(chat, QUESTION)
            # The deleted report is gone from the answers: refused, or at most the closest passage of
            # another report under the caution that it may not answer the question; never 示例镇's.
            expect(gone.locator(".rag-refusal, .rag-note").first).to_be_visible()
            assert "示例镇" not in " ".join(gone.locator(".rag-source .rag-title").all_text_contents())
            context.close()
        finally:
            browser.close()


def test_reindex_one_report(admin_base):
    import time

    headers = {**basic(), "X-RAG-Admin": "1"}
    reply = fetch("POST", admin_base + "/admin/api/reports/ceshi-2024/reindex", b"", headers=headers)
    assert reply.status == 202
    job_id = reply.json()["job"]["id"]
    deadline = time.monotonic() + 120
    while True:
        listing = fetch("GET", admin_base + "/admin/api/reports", headers=basic()).json()
        job = next(j for j in listing["jobs"] if j["id"] == job_id)
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert job["state"] == "done" and job["message"].startswith("已索引"), job
    row = next(r for r in listing["reports"] if r["doc_id"] == "ceshi-2024")
    assert row["status"] == "indexed" and row["chunks"] > 0
    assert fetch("POST", admin_base + "/admin/api/reports/nope/reindex", b"", headers=headers).status == 404
