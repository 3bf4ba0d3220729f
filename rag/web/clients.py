"""Routes for the clients people already run, added to the app before the Gradio mount at ``/``:
the OpenAI-compatible API (``/v1``), the source view (``/source``), the MCP server over streamable
HTTP (``/mcp``), answer feedback (``/api/feedback``) and, when ``RAG_ADMIN_TOKEN`` is set, ``/admin``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from rag.settings import Settings
from rag.web.citations_out import SOURCE_PATH

if TYPE_CHECKING:
    from rag.feedback.store import FeedbackStore
    from rag.pipeline import Pipeline

MCP_PATH = "/mcp"
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
    if settings.admin_token is not None and settings.admin_token.get_secret_value():
        from rag.web.admin import build_admin

        app.mount("/admin", build_admin(pipeline, settings))
    routes, manager = _mcp_routes(pipeline, settings)
    app.router.routes.extend(routes)
    previous = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with previous(a) as state, manager.run():
            yield state

    app.router.lifespan_context = lifespan
