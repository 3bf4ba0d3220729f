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
