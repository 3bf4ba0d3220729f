"""Connection limits uvicorn lacks: a deadline for a request's headers, and a cap on open connections
per client address. Without them 1,500 connections that each sent half a request line were all kept
open (uvicorn's keep-alive timeout starts only after a first response, and every byte resets it).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


def guarded_protocol(header_timeout_s: float, max_per_client: int) -> type[H11Protocol]:
    """An h11 protocol class for ``uvicorn.Config(http=...)`` with its own per-server connection count."""
    open_by_client: Counter[str] = Counter()

    class GuardedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _host: str | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._host = self.client[0] if self.client else "unknown"
            open_by_client[self._host] += 1
            if open_by_client[self._host] > max_per_client:
                transport.abort()  # connection_lost follows and undoes the count
                return
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._host is not None:
                open_by_client[self._host] -= 1
                if open_by_client[self._host] <= 0:
                    del open_by_client[self._host]
                self._host = None
            super().connection_lost(exc)

        def handle_events(self) -> None:
            super().handle_events()
            if self.conn.their_state is not h11.IDLE:
                self._disarm()  # the headers are in: the request runs as long as it needs

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request on this connection gets the same deadline

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(header_timeout_s, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.abort()

    return GuardedH11Protocol


def protocol_options(settings: Any) -> dict[str, Any]:
    """The uvicorn options that go with it."""
    return {
        "http": guarded_protocol(settings.header_timeout_s, settings.max_connections_per_client),
        "timeout_keep_alive": settings.keep_alive_s,
        "h11_max_incomplete_event_size": 16 * 1024,  # request line and headers
    }
