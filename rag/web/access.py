"""Who may ask, and how often: API keys, the admin token and per-client rate limits, as ASGI middleware
configured by path prefixes, so that any route mounted under those prefixes (the chat's Gradio routes,
``/api``, ``/v1``, ``/mcp``, ``/admin``) is covered without code of its own.

- ``RAG_API_KEYS`` unset: the chat and the API are open (rate-limited). Set: the API, ``/v1`` and
  ``/mcp`` need ``Authorization: Bearer <key>``; the chat pages need the key once (``/?key=…`` or the
  widget's ``data-key``), which is exchanged for an HttpOnly cookie that Gradio's own requests carry.
- ``/admin`` always needs ``RAG_ADMIN_TOKEN``, as ``Authorization: Bearer <token>`` or HTTP Basic auth
  (any user name, the token as password: what the admin page's browser login sends); without a token
  it is off (404, as if nothing were mounted there). The admin app checks the token again itself.
- Ask paths are limited per client (the API key when one is given, else the client address) to
  ``rate_limit_per_minute`` per minute and ``rate_limit_burst`` within any 10 seconds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import math
import time
from collections.abc import Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

from rag.settings import Settings
from rag.web import messages
from rag.web.guard import relative_path
from rag.web.limits import json_response

log = logging.getLogger(__name__)

COOKIE = "rag_access"
_COOKIE_SALT = b"rag-chat-cookie-v1"
#: Static parts of the chat pages: the same for everyone, never gated (the pages need them to render).
_STATIC = ("/assets/", "/static/", "/embed/assets/", "/embed/static/")
_STATIC_FILES = ("/theme.css", "/embed/theme.css", "/favicon.ico", "/embed/favicon.ico", "/widget.js")
#: API routes beyond the ask paths that need a key when keys are set.
API_PATHS = ("/api/docs",)
#: Open even with keys: monitoring, and the widget's may-I-embed check, which widget.js asks before it
#: frames the chat (and so before the key is exchanged); it answers only whether the page's origin is allowed.
OPEN_PATHS = ("/api/health", "/widget/check")
ADMIN_PREFIX = "/admin"


def under(path: str, prefixes: Iterable[str]) -> bool:
    """``path`` is one of ``prefixes`` or below one (a prefix ending in ``/`` matches only below it)."""
    for p in prefixes:
        if p.endswith("/"):
            if path.startswith(p):
                return True
        elif path == p or path.startswith(p + "/"):
            return True
    return False


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers") or []:
        if k.lower() == name:
            return v.decode("latin-1")
    return None


def bearer(scope: Scope) -> str | None:
    value = _header(scope, b"authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def admin_credential(value: str) -> str | None:
    """The admin token an ``Authorization`` header offers: ``Bearer <token>`` or Basic ``<user>:<token>``."""
    scheme, _, rest = (value or "").partition(" ")
    rest = rest.strip()
    if scheme.lower() == "bearer":
        return rest or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(rest, validate=True).partition(b":")[2]
            return decoded.decode("utf-8") or None
        except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
            return None
    return None


#: What a refused admin request is told to send: Basic, so that a browser asks for the token itself.
ADMIN_CHALLENGE = b'Basic realm="rag-admin", charset="UTF-8"'


def cookie_value(key: str) -> str:
    """What the chat cookie holds for ``key``: derived from it, so no server-side session is needed."""
    return hmac.new(key.encode(), _COOKIE_SALT, hashlib.sha256).hexdigest()


def _matches(token: str | None, secrets: Iterable[str]) -> str | None:
    """The configured secret that ``token`` equals (constant-time), or None."""
    if not token:
        return None
    found = None
    for s in secrets:
        if hmac.compare_digest(token.encode(), s.encode()):
            found = s
    return found


def secret_value(secret: object) -> str:
    """A SecretStr's value (settings copied with ``model_copy(update=...)`` may hold plain strings)."""
    if secret is None:
        return ""
    value = secret.get_secret_value() if hasattr(secret, "get_secret_value") else secret
    return str(value).strip()


def client_id(scope: Scope) -> str:
    """The rate-limit identity: the API key's hash when one was accepted, else the client address."""
    key = scope.get("rag.api_key")
    if key:
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


class Access:
    """API keys for the API and the chat, the admin token for ``/admin``."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.keys = [k for k in map(secret_value, settings.api_keys) if k]
        self.cookies = {cookie_value(k): k for k in self.keys}
        self.admin = secret_value(settings.admin_token) or None
        self.api_paths = tuple(p for p in settings.ask_paths if "gradio_api" not in p) + API_PATHS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS":  # CORS preflights carry no credentials
            await self.app(scope, receive, send)
            return
        path = relative_path(scope)
        if under(path, (ADMIN_PREFIX,)):
            if not self.admin:  # off: nothing is mounted there (rag.web.clients mounts it only with a token)
                await json_response(send, 404, {"error": messages.ADMIN_OFF})
                return
            if not _matches(admin_credential(_header(scope, b"authorization") or ""), [self.admin]):
                await json_response(send, 401, {"error": messages.NEED_ADMIN},
                                    [(b"www-authenticate", ADMIN_CHALLENGE)])
                return
            await self.app(scope, receive, send)
            return
        if not self.keys or under(path, OPEN_PATHS) or path.startswith(_STATIC) or path in _STATIC_FILES:
            await self.app(scope, receive, send)
            return
        key = _matches(bearer(scope), self.keys)
        if key is None and not under(path, self.api_paths):
            key = self._cookie_key(scope)  # the chat: Gradio's own requests carry the cookie
            if key is None and scope["method"] in ("GET", "HEAD") and path in ("/", "/embed", "/embed/"):
                given = _matches(dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))).get("key"),
                                 self.keys)
                if given:
                    await self._exchange(scope, send, given)
                    return
        if key is None:
            await json_response(send, 401, {"error": messages.NEED_KEY, "detail": messages.NEED_KEY},
                                [(b"www-authenticate", b"Bearer")])
            return
        scope = {**scope, "rag.api_key": key}
        await self.app(scope, receive, send)

    def _cookie_key(self, scope: Scope) -> str | None:
        raw = _header(scope, b"cookie")
        if not raw:
            return None
        jar = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:  # a malformed cookie header is no credential
            return None
        morsel = jar.get(COOKIE)
        if morsel is None:
            return None
        for value, key in self.cookies.items():
            if hmac.compare_digest(morsel.value.encode(), value.encode()):
                return key
        return None

    async def _exchange(self, scope: Scope, send: Send, key: str) -> None:
        """``/?key=…``: set the cookie and drop the key from the address bar (and from later Referers)."""
        root = scope.get("root_path", "") or ""
        rest = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1")) if k != "key"]
        location = scope["path"] + (("?" + urlencode(rest)) if rest else "")
        https = scope.get("scheme") == "https"
        # Same-site embedding works over http with SameSite=Lax; a widget on another site needs https.
        attrs = "; Secure; SameSite=None" if https else "; SameSite=Lax"
        cookie = f"{COOKIE}={cookie_value(key)}; Path={root or '/'}; HttpOnly; Max-Age=43200{attrs}"
        await send({"type": "http.response.start", "status": 303, "headers": [
            (b"location", location.encode("latin-1")), (b"set-cookie", cookie.encode("latin-1")),
            (b"cache-control", b"no-store"), (b"content-length", b"0"), (b"referrer-policy", b"no-referrer"),
        ]})
        await send({"type": "http.response.body", "body": b""})


class RateLimit:
    """A moving-window limit per client on the ask paths; the 429 says in Chinese when to retry."""

    def __init__(self, app: ASGIApp, prefixes: Iterable[str], per_minute: int, burst: int) -> None:
        from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        self.app = app
        self.prefixes = tuple(prefixes)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.items = [RateLimitItemPerSecond(burst, 10), RateLimitItemPerMinute(per_minute)] if per_minute else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or not self.items or scope["method"] == "OPTIONS"
                or not under(relative_path(scope), self.prefixes)):
            await self.app(scope, receive, send)
            return
        who = client_id(scope)
        full = [item for item in self.items if not self.limiter.test(item, who)]
        if full:
            reset = max(self.limiter.get_window_stats(item, who).reset_time for item in full)
            seconds = max(1, math.ceil(reset - time.time()))
            log.warning("rate limit: %s refused on %s", who, relative_path(scope))
            text = messages.RATE_LIMITED.format(seconds=seconds)
            await json_response(send, 429, {"error": text, "detail": text},
                                [(b"retry-after", str(seconds).encode())])
            return
        for item in self.items:
            self.limiter.hit(item, who)
        await self.app(scope, receive, send)
