"""Serving under a path prefix (RAG_ROOT_PATH=/rag) behind a reverse proxy.

uvicorn's ``root_path`` covers proxies that strip the prefix (nginx ``proxy_pass http://app/;``).
Proxies that pass it through (``proxy_pass http://app;``) send ``/rag/...``; this middleware drops the
prefix from those, so both set-ups work and the direct address ``http://host:port/rag/`` works too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class PrefixTolerant:
    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.prefix and scope["type"] in ("http", "websocket"):
            root = scope.get("root_path", "")
            path: str = scope["path"]
            rel = path[len(root):] if root and path.startswith(root) else path
            if rel == self.prefix or rel.startswith(self.prefix + "/"):
                fixed = root + (rel[len(self.prefix):] or "/")
                scope = {**scope, "path": fixed, "raw_path": fixed.encode()}
        await self.app(scope, receive, send)
