"""One server for everything web: the chat at ``/``, its compact form for the widget at ``/embed``,
the JSON API at ``/api`` and ``/widget.js``. ``serve`` builds the index first when it is missing.
"""

from __future__ import annotations

import logging
import sys
from importlib import resources
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse, Response

from rag.settings import Settings
from rag.web.access import ADMIN_PREFIX, Access, RateLimit
from rag.web.guard import RouteGuard
from rag.web.limits import BodyLimit, ForPaths, FramePolicy, clean_origins
from rag.web.prefix import PrefixTolerant

if TYPE_CHECKING:
    import uvicorn

    from rag.pipeline import Pipeline

log = logging.getLogger(__name__)

EMBED_PATH = "/embed"
#: Gradio's page says lang="en"; Chinese text then picks Japanese glyph variants in some fonts.
HEAD = '<script>document.documentElement.lang = "zh-CN";</script>'
#: Mounted by other modules (OpenAI-compatible API, MCP, admin); they pass the route allow-list and are
#: covered by the keys, the admin token and the rate limit through their prefixes.
OWN_PREFIXES = ("/v1", "/mcp", ADMIN_PREFIX)
#: Where browsers on the allowed origins may call us directly (CORS); the chat is framed, not called.
CORS_PREFIXES = ("/api", "/v1")


def chat_head() -> str:
    """HEAD plus the chat's script (clickable [n], copy, feedback), inline so nothing else is fetched."""
    script = resources.files("rag.web").joinpath("static/chat.js").read_text(encoding="utf-8")
    return f"{HEAD}<script>{script}</script>"


def widget_js() -> bytes:
    return resources.files("rag.web").joinpath("static/widget.js").read_bytes()


def create_app(pipeline: Pipeline, settings: Settings) -> FastAPI:
    """The ASGI app. Routes are added before the Gradio mount at ``/``, which would catch them all.

    Middleware, outermost first: path prefix, frame policy, CORS (API only), body limit, route allow-list,
    keys, rate limit. All are plain ASGI, so they see Gradio's routes as well as ours.
    """
    import gradio as gr

    from rag.web.api import build_api
    from rag.web.theme import CSS, EMBED_CSS, make_theme
    from rag.web.ui import build_ui

    origins = clean_origins(settings.allowed_origins)
    root = settings.root_path.rstrip("/")
    from rag.feedback.store import FeedbackStore
    from rag.web.clients import add_client_routes

    app = FastAPI(title="政府报告问答", docs_url=None, redoc_url=None, openapi_url=None)
    feedback = FeedbackStore(settings.index_dir / "feedback.sqlite")
    add_client_routes(app, pipeline, settings, feedback)  # before /api and /, which would catch them
    app.mount("/api", build_api(pipeline, settings))
    script = widget_js()

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> Response:
        return Response(script, media_type="application/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300"})

    @app.get(EMBED_PATH, include_in_schema=False)
    def embed_slash() -> RedirectResponse:
        return RedirectResponse("embed/")  # relative, so a proxy prefix is kept

    # /embed first: the mount at / would otherwise take its requests.
    for path, embed in ((EMBED_PATH, True), ("/", False)):
        gr.mount_gradio_app(
            app, build_ui(pipeline, settings, embed=embed, feedback=feedback), path=path,
            root_path=(root + path.rstrip("/")) if root else None,
            theme=make_theme(), css=CSS + EMBED_CSS if embed else CSS, head=chat_head(), footer_links=[],
            ssr_mode=False, mcp_server=False, run_history=False, show_error=False,
            server_name=settings.host, server_port=settings.port,
            # Belt and braces behind RouteGuard: no uploads, no file serving from anywhere on disk.
            max_file_size=1, allowed_paths=[], blocked_paths=[str(settings.index_dir.resolve()),
                                                               str(settings.data_dir.resolve()), "/"],
        )
    app.add_middleware(RateLimit, prefixes=settings.ask_paths, per_minute=settings.rate_limit_per_minute,
                       burst=settings.rate_limit_burst)
    app.add_middleware(Access, settings=settings)
    app.add_middleware(RouteGuard, open_prefixes=OWN_PREFIXES)
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes)
    if origins:
        # Outside the limits, so that 413, 401 and 429 answers carry the headers a browser needs to read them.
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(ForPaths, prefixes=CORS_PREFIXES, middleware=CORSMiddleware, allow_origins=origins,
                           allow_methods=["GET", "POST"], allow_headers=["content-type", "authorization"],
                           max_age=600)
    app.add_middleware(FramePolicy, origins=origins)
    if root:
        app.add_middleware(PrefixTolerant, prefix=root)
    return app


class _Progress:
    """A terminal progress bar for indexing, drawn only once indexing actually starts."""

    def __init__(self) -> None:
        self.bar = None

    def __call__(self, name: str, i: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="份", desc="建立索引", file=sys.stderr, dynamic_ncols=True)
        self.bar.total = total
        self.bar.n = i
        self.bar.set_postfix_str(name[-40:])
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def prepare(pipeline: Pipeline) -> None:
    """Build the index on first start and load the models, so the first question is answered quickly."""
    from vectorstore.base import StoreUnavailable

    print("检查索引……", file=sys.stderr, flush=True)
    try:
        progress = _Progress()
        try:
            report = pipeline.ensure_index(progress=progress)
        finally:
            progress.close()
        if report is not None:
            print(report.summary(), file=sys.stderr)
        docs = pipeline.documents()
        print(f"已收录 {len(docs)} 份报告，共 {sum(d['chunks'] for d in docs)} 个片段。", file=sys.stderr)
        if docs:
            pipeline.search("法治政府建设", k=1)  # loads the embedder and the lexical index
    except StoreUnavailable as exc:
        print(f"警告：向量数据库无法连接（{exc}）。服务照常启动，恢复连接后即可问答。", file=sys.stderr)


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def exposure_warning(settings: Settings) -> str | None:
    """The start-up warning for a server that listens beyond this machine with no key set."""
    if settings.host in LOOPBACK or settings.host.startswith("127.") or settings.api_keys:
        return None
    return (f"警告 / WARNING: 服务监听 {settings.host}，局域网内任何人都可以访问问答页面和 API，且未设置访问密钥"
            f"（RAG_API_KEYS）。 The server listens on {settings.host} and anyone on the network can use the "
            "chat and the API: set RAG_API_KEYS, or RAG_HOST=127.0.0.1 behind a reverse proxy.")


def warn_if_exposed(settings: Settings) -> None:
    message = exposure_warning(settings)
    if message:
        bar = "!" * 78
        print(f"{bar}\n{message}\n{bar}", file=sys.stderr, flush=True)
        log.warning(message)


def server_config(app: FastAPI, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """How uvicorn runs the app; shared with the tests so they exercise the same setup."""
    import uvicorn

    from rag.web.conn import protocol_options

    options: dict[str, Any] = {
        "host": settings.host, "port": settings.port, "root_path": settings.root_path.rstrip("/"),
        "log_level": "info", "proxy_headers": True, "forwarded_allow_ips": "127.0.0.1",
        "timeout_graceful_shutdown": 5, **protocol_options(settings),
    }
    return uvicorn.Config(app, **{**options, **overrides})


def serve(settings: Settings, pipeline: Pipeline | None = None) -> None:
    """Index if needed, then serve until interrupted (``python app.py`` and ``rag serve``)."""
    import uvicorn

    from rag.pipeline import Pipeline

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    pipeline = pipeline or Pipeline(settings)
    warn_if_exposed(settings)
    prepare(pipeline)
    app = create_app(pipeline, settings)
    root = settings.root_path.rstrip("/")
    shown = "localhost" if settings.host in ("0.0.0.0", "::") else settings.host
    base = f"http://{shown}:{settings.port}{root}"
    print(f"问答页面：{base}/", file=sys.stderr)
    print(f"嵌入组件：<script src=\"{base}/widget.js\"></script>", file=sys.stderr, flush=True)
    uvicorn.Server(server_config(app, settings)).run()
