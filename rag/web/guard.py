"""The route allow-list: only the routes the chat, the widget and the API need reach the app.

Gradio mounts some sixty routes: uploads, ``/file=`` and ``/file/`` readers, a URL proxy, the REST
``/call`` and ``/run`` APIs, streaming, monitoring, dev and editing routes. Mounted into FastAPI (as
here) its own file checks are off (``Blocks.has_launched`` stays False), so ``/gradio_api/call/ask``
with a ``FileData`` in the chat history copied ``/etc/passwd`` into the cache and served it back. Rather
than follow every Gradio release, everything that is not on this list is answered 404 before Gradio
sees it, and the one Gradio route that takes input (``queue/join``) is refused any payload that
carries a file reference, whatever the component. Prefixes owned by other modules (``/v1``, ``/mcp``,
``/admin``) pass through: those modules and ``rag.web.access`` check their own access.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.web import messages
from rag.web.limits import json_response

log = logging.getLogger(__name__)

_PAGE = r"(?:/embed)?"  # the full page at / and the widget's page at /embed/ are two Gradio apps


@dataclass(frozen=True)
class Rule:
    methods: frozenset[str]
    pattern: re.Pattern[str]

    def allows(self, method: str, path: str) -> bool:
        return method in self.methods and self.pattern.fullmatch(path) is not None


def _rule(methods: str, pattern: str) -> Rule:
    return Rule(frozenset(methods.split()), re.compile(pattern))


#: Every (method, path) the product serves, relative to the app root. The browser test loads both pages
#: and asks through both; anything it needs that is missing here shows up there as a 404.
RULES: tuple[Rule, ...] = (
    _rule("GET HEAD", r"/|/embed/?|/widget\.js"),
    _rule("GET HEAD", _PAGE + r"/(?:config|theme\.css|favicon\.ico)"),
    # Gradio's built frontend and its iframe resizer; names only, no dot segments (checked below too).
    _rule("GET HEAD", _PAGE + r"/(?:assets|static)/[A-Za-z0-9_\-][A-Za-z0-9_.\-]*(?:/[A-Za-z0-9_\-][A-Za-z0-9_.\-]*)*"),
    _rule("GET", _PAGE + r"/gradio_api/(?:heartbeat/[A-Za-z0-9_\-]{1,64}|queue/data)"),
    _rule("POST", _PAGE + r"/gradio_api/queue/join"),
    _rule("POST OPTIONS", r"/api/ask"),
    _rule("GET HEAD OPTIONS", r"/api/(?:health|docs)"),
    # Page citations (formats): the original PDF page of an indexed report, by document id and page number;
    # the handler serves only indexed PDFs' own pages, never a path.
    _rule("GET HEAD", r"/api/page/[^/]{1,200}/[0-9]{1,6}\.png"),
    # Client integrations (rag.web.clients): the source view that citation links open, answer votes,
    # and the widget's may-I-embed check. Anonymous by design; they read and write nothing else.
    _rule("GET HEAD", r"/source|/widget/check"),
    _rule("POST OPTIONS", r"/api/feedback"),
)

#: Keys that mark a file reference in a Gradio payload (FileData and its wrappers). A question, a filter
#: choice and an example click never need an object with any of them.
FILE_KEYS = frozenset({"path", "url", "meta", "_type", "orig_name", "file", "files", "is_stream", "mime_type"})


def relative_path(scope: Scope) -> str:
    root = scope.get("root_path", "") or ""
    path: str = scope["path"]
    return (path[len(root):] or "/") if root and path.startswith(root) else path


def allowed(method: str, path: str, rules: Iterable[Rule] = RULES, open_prefixes: Iterable[str] = ()) -> bool:
    """Whether a request may reach the app at all (access checks come after)."""
    if "\\" in path or "//" in path or any(part in (".", "..") for part in path.split("/")):
        return False
    if any(path == p or path.startswith(p.rstrip("/") + "/") for p in open_prefixes):
        return True
    return any(r.allows(method, path) for r in rules)


def carries_file(value: object, depth: int = 0) -> bool:
    """True when a decoded JSON payload holds an object that looks like a file reference."""
    if depth > 64:
        return True  # no form of ours nests this deep
    if isinstance(value, dict):
        # Empty values are allowed: Gradio's example messages carry ``"files": []``.
        return any(k in FILE_KEYS and v not in (None, "", [], {}) for k, v in value.items()) or any(
            carries_file(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(carries_file(v, depth + 1) for v in value)
    return False


class RouteGuard:
    """404 for every route off the allow-list; ``queue/join`` bodies with a file reference are refused."""

    def __init__(self, app: ASGIApp, rules: Iterable[Rule] = RULES, open_prefixes: Iterable[str] = ()) -> None:
        self.app = app
        self.rules = tuple(rules)
        self.open_prefixes = tuple(open_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # Nothing of ours speaks websocket; refuse the handshake.
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = relative_path(scope)
        method = scope["method"]
        if not allowed(method, path, self.rules, self.open_prefixes):
            log.info("guard: refused %s %s", method, path[:200])
            if any(allowed(m, path, self.rules) for m in ("GET", "POST")):
                await json_response(send, 405, {"error": messages.BAD_METHOD})
            else:
                await json_response(send, 404, {"error": messages.NOT_FOUND})
            return
        if method == "POST" and path.endswith("/gradio_api/queue/join"):
            body = await _read_body(receive)  # bounded by BodyLimit, which runs first
            try:
                payload = json.loads(body or b"null")
            except (ValueError, UnicodeDecodeError, RecursionError):
                payload = None
            if not isinstance(payload, dict) or carries_file(payload.get("data")) or carries_file(
                    payload.get("event_data")):
                log.warning("guard: refused a chat request carrying a file reference or malformed JSON")
                await json_response(send, 400, {"error": messages.TEXT_ONLY, "detail": messages.TEXT_ONLY})
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
