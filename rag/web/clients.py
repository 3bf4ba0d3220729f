"""Routes for the clients people already run, added to the app before the Gradio mount at ``/``:
the OpenAI-compatible API (``/v1``), the source view (``/source``), the MCP server over streamable
HTTP (``/mcp``), answer feedback (``/api/feedback``), the widget's embedding check (``/widget/check``)
and, when ``RAG_ADMIN_TOKEN`` is set, ``/admin``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse

from rag.settings import Settings
from rag.web.access import secret_value
from rag.web.citations_out import SOURCE_PATH
from rag.web.limits import clean_origins

if TYPE_CHECKING:
    from rag.feedback.store import FeedbackStore
    from rag.pipeline import Pipeline

log = logging.getLogger(__name__)

MCP_PATH = "/mcp"
WIDGET_CHECK_PATH = "/widget/check"
NOT_ALLOWED = "此页面未被允许嵌入问答助手。请联系系统管理员，将本页面的地址加入允许列表。"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _mcp_routes(pipeline: Pipeline, settings: Settings) -> tuple[list[Any], Any]:
    """The MCP endpoint as plain routes (no redirect from /mcp to /mcp/) and its session manager."""
    from mcp.server.transport_security import TransportSecuritySettings

    from rag.mcp_server import build_mcp

    server = build_mcp(pipeline)
    security = None
    if settings.host not in LOOPBACK:
        # Reached by other hosts' names: DNS-rebinding protection would refuse them all; access control
        # belongs to the deployment (RAG_API_KEYS, the network), as for the rest of the app.
        security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, stateless_http=True, json_response=True,
                                     transport_security=security, host=settings.host,
                                     max_request_body_size=settings.max_request_bytes)
    return list(app.routes), server.session_manager


def widget_check(origins: list[str]):
    """``GET /widget/check``, asked by widget.js before it opens the chat: may this page embed it?

    Allowed (or same-origin) pages get a readable answer; others get a 403 the browser will not let
    the page read, which the widget shows as a Chinese message, and the log says what to configure.
    """
    warned: set[str] = set()

    def check(request: Request) -> JSONResponse:
        origin = request.headers.get("origin", "")
        own = f"{request.url.scheme}://{request.url.netloc}"
        if not origin or origin == own or "*" in origins or origin in origins:
            return JSONResponse({"ok": True}, headers={"Access-Control-Allow-Origin": origin or "*", "Vary": "Origin"})
        if origin not in warned and len(warned) < 1000:
            warned.add(origin)
            log.warning("widget: the page at %s may not embed the assistant; add it to RAG_ALLOWED_ORIGINS "
                        "(now %s), e.g. RAG_ALLOWED_ORIGINS='[\"%s\"]'", origin, origins or "[]", origin)
        return JSONResponse({"ok": False, "error": NOT_ALLOWED}, status_code=403, headers={"Vary": "Origin"})

    return check


def add_client_routes(app: FastAPI, pipeline: Pipeline, settings: Settings,
                      feedback: FeedbackStore | None = None) -> None:
    from rag.web.openai_api import build_openai_api
    from rag.web.source_view import source_page

    app.mount("/v1", build_openai_api(pipeline, settings))
    app.add_api_route(SOURCE_PATH, source_page(pipeline), methods=["GET"], include_in_schema=False)
    if feedback is not None:
        from rag.web.feedback_api import FEEDBACK_PATH, feedback_endpoint

        app.add_api_route(FEEDBACK_PATH, feedback_endpoint(feedback, settings), methods=["POST"],
                          include_in_schema=False)
    app.add_api_route(WIDGET_CHECK_PATH, widget_check(clean_origins(settings.allowed_origins)), methods=["GET"],
                      include_in_schema=False)
    if secret_value(settings.admin_token):  # the same test as rag.web.access: None, "" and blanks mean off
        from rag.web.admin import build_admin

        app.add_api_route("/admin", lambda: RedirectResponse("admin/"), methods=["GET"], include_in_schema=False)
        app.mount("/admin", build_admin(pipeline, settings))
    routes, manager = _mcp_routes(pipeline, settings)
    app.router.routes.extend(routes)
    previous = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with previous(a) as state, manager.run():
            yield state

    app.router.lifespan_context = lifespan
