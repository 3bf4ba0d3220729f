"""ASGI middleware for the embedding rules: a request body limit (every route, Gradio's included) and
the frame-ancestors policy.

Both are plain ASGI so they see every request, including the ones Gradio and its sub-apps handle.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.web import messages

log = logging.getLogger(__name__)

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")


def clean_origins(origins: Iterable[str]) -> list[str]:
    """Origins as ``scheme://host[:port]`` (or ``*``); anything else could smuggle policy text."""
    out = []
    for o in origins:
        o = o.strip().rstrip("/")
        if o == "*" or _ORIGIN.match(o):
            out.append(o)
        elif o:
            log.warning("ignoring invalid allowed origin %r (expected e.g. http://intranet.example:8080)", o)
    return out


class BodyLimit:
    """Answers 413 once a request body grows past ``limit`` bytes, before anything parses it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await self._reject(send, scope)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                await self._reject(send, scope)
                return
            chunks.append(body)
            if not message.get("more_body"):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, send: Send, scope: Scope | None = None) -> None:
        message = messages.TOO_LARGE.format(limit=self.limit)
        path = (scope or {}).get("path", "")
        if path == "/v1" or path.startswith("/v1/") or "/v1/" in path:
            # OpenAI clients read errors in OpenAI's shape.
            payload: dict = {"error": {"message": message, "type": "invalid_request_error",
                                       "code": "request_too_large", "param": None}}
        else:
            payload = {"error": message}
        await json_response(send, 413, payload, [(b"connection", b"close")])


async def json_response(send: Send, status: int, payload: dict, headers: list[tuple[bytes, bytes]] | None = None,
                        ) -> None:
    """A complete JSON answer from plain ASGI middleware (before any framework is involved)."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]})
    await send({"type": "http.response.body", "body": body})


def frame_ancestors(origins: list[str]) -> str:
    """The CSP value that lets only this server and the configured origins frame the chat."""
    return "frame-ancestors " + " ".join(["'self'", *origins])


class FramePolicy:
    """Adds ``Content-Security-Policy: frame-ancestors ...`` to every response that lacks a CSP."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.value = frame_ancestors(origins).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if not any(k.lower() == b"content-security-policy" for k, _ in headers):
                    headers.append((b"content-security-policy", self.value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_policy)


class ForPaths:
    """Runs ``middleware`` only for requests under ``prefixes`` (CORS for the API, not for the chat)."""

    def __init__(self, app: ASGIApp, prefixes: Iterable[str], middleware: type, **options: object) -> None:
        self.app = app
        self.wrapped = middleware(app, **options)
        self.prefixes = tuple(p.rstrip("/") for p in prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        root = scope.get("root_path", "") or ""
        rel = path[len(root):] if root and path.startswith(root) else path
        inside = scope["type"] == "http" and any(rel == p or rel.startswith(p + "/") for p in self.prefixes)
        await (self.wrapped if inside else self.app)(scope, receive, send)
