"""Real servers for the web tests: the app under uvicorn in a thread, a static file server for the
intranet page (another origin), and headless Debian Chromium driven by Playwright.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.pipeline import Pipeline
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def raw_request(base: str, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request with the path sent exactly as given (no client-side normalisation of ../ or %2e)."""
    import http.client

    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body is not None:
            conn.send(body)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def app_server(pipeline: Pipeline, settings: Settings) -> Iterator[str]:
    """The real app (``create_app`` + the uvicorn config ``serve`` uses) on a free loopback port."""
    import uvicorn

    from rag.web.server import create_app, server_config

    port = free_port()
    settings = settings.model_copy(update={"host": "127.0.0.1", "port": port})
    server = uvicorn.Server(server_config(create_app(pipeline, settings), settings, log_level="warning"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def server_settings(pipeline: Pipeline, **overrides: Any) -> Settings:
    return pipeline.settings.model_copy(update=overrides)


@contextlib.contextmanager
def static_server(directory: Path) -> Iterator[str]:
    """Plain files from ``directory`` on another port: a different origin from the app."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(method: str, url: str, body: bytes | str | dict | None = None,
         headers: dict[str, str] | None = None) -> Reply:
    """One real HTTP request; 4xx/5xx come back as replies, not exceptions."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    if isinstance(data, str):
        data = data.encode()
    hdrs = {"Content-Type": "application/json", **(headers or {})} if data is not None else dict(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=60) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def shot(page: Any, name: str, **kwargs: Any) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), **kwargs)
    return path


#: A report whose text tries HTML, Markdown and LaTeX tricks; the chat must show all of it as text.
TRICKY_REPORT = """测试镇2024年度法治政府建设情况的报告

2024年，测试镇深入推进法治政府建设，现将有关情况报告如下：

一、加强网络安全和普法工作
（一）开展网络安全演练
测试镇2024年组织网络安全应急演练，共有<script>window.__xss=3</script>*十二名*干部参加，演练脚本见[附件](javascript:window.__xss=5)。
演练中发现的问题<img src=x onerror="window.__xss=4">已全部整改，$$x^2$$ 形式的公式不会被渲染。

（二）推进普法宣传
测试镇全年开展普法讲座8场，覆盖群众1200人次。

测试镇人民政府
2025年1月10日
"""
TRICKY_QUESTION = "测试镇网络安全应急演练有多少名干部参加？"
TRICKY_SNIPPET = "<script>window.__xss=3</script>*十二名*干部参加"


def write_tricky_corpus(root: Path) -> Path:
    reports = root / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "ceshi-2024.txt").write_text(TRICKY_REPORT, encoding="utf-8")
    return reports


@contextlib.contextmanager
def prefix_proxy(target: str, prefix: str) -> Iterator[str]:
    """A reverse proxy that serves ``target`` under ``prefix`` and strips it, as nginx would with
    ``location /rag/ { proxy_pass http://app/; }``. Streams responses, so Gradio's event stream works.
    """
    import httpx
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    port = free_port()
    client = httpx.AsyncClient(base_url=target, timeout=None)
    hop = {"host", "content-length", "transfer-encoding", "connection", "content-encoding", "accept-encoding"}

    async def forward(request: Request) -> Response:
        path = request.url.path
        if not (path == prefix or path.startswith(prefix + "/")):
            return Response("not proxied", status_code=404)
        url = (path[len(prefix):] or "/") + (f"?{request.url.query}" if request.url.query else "")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in hop}
        headers.update({"x-forwarded-host": f"127.0.0.1:{port}", "x-forwarded-proto": "http"})
        upstream = await client.send(
            client.build_request(request.method, url, headers=headers, content=await request.body()), stream=True)
        kept = {k: v for k, v in upstream.headers.items() if k.lower() not in hop}
        return StreamingResponse(upstream.aiter_bytes(), status_code=upstream.status_code, headers=kept,
                                 background=None)

    methods = ["GET", "POST", "OPTIONS", "HEAD", "PUT", "DELETE"]
    app = Starlette(routes=[Route("/{path:path}", forward, methods=methods)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}{prefix}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
