"""Votes in SQLite beside the index (``<index>/feedback.sqlite``).

Answers shown in the chat are remembered in memory under a random id; a vote names that id, so what is
stored (question, history, answer, citations, answerer, index version) is what the server said, not what
a client claims. Each write is one short transaction on its own connection, in WAL mode with a busy
timeout, so concurrent votes from several workers or processes are all kept.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS votes (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    rewritten_question TEXT NOT NULL DEFAULT '',
    history TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    answerer TEXT NOT NULL,
    index_version TEXT NOT NULL DEFAULT '',
    exported REAL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
MAX_REMEMBERED = 2000
MAX_COMMENT = 2000
#: Tries at the one-time setup while other workers hold the new database's lock (about 10 s in all).
SETUP_ATTEMPTS = 20


def _plain(x: Any) -> Any:
    return asdict(x) if is_dataclass(x) and not isinstance(x, type) else x


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._recent: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._ready = False

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            if not self._ready:
                self._set_up(conn)
            yield conn
        finally:
            conn.close()

    def _set_up(self, conn: sqlite3.Connection) -> None:
        """WAL mode and the schema, once per store. Switching the journal mode takes the database's
        exclusive lock and reports "database is locked" at once, without waiting out the busy timeout,
        when other workers open the same new file at the same moment: it is retried."""
        for attempt in range(SETUP_ATTEMPTS):
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(SCHEMA)
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == SETUP_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        self._ready = True

    # -- answers shown -------------------------------------------------------------------------------
    def remember(self, result: Any, history: list[Any], index_version: str = "") -> str:
        """Keeps an answer that may be voted on; returns its id."""
        answer_id = uuid.uuid4().hex
        record = {
            "question": result.question, "rewritten_question": getattr(result, "rewritten_question", ""),
            "history": [_plain(t) for t in history], "answer": result.answer,
            "citations": [_plain(c) for c in result.citations], "answerer": result.answerer,
            "index_version": index_version or "",
        }
        with self._lock:
            self._recent[answer_id] = record
            while len(self._recent) > MAX_REMEMBERED:
                self._recent.popitem(last=False)
        return answer_id

    def vote(self, answer_id: str, up: bool, comment: str = "") -> bool:
        """Stores (or changes) the vote on a remembered answer; False when the answer is unknown."""
        with self._lock:
            record = self._recent.get(answer_id)
        if record is None:
            return False
        now = time.time()
        row = (answer_id, now, now, 1 if up else -1, comment[:MAX_COMMENT], record["question"],
               record["rewritten_question"], json.dumps(record["history"], ensure_ascii=False), record["answer"],
               json.dumps(record["citations"], ensure_ascii=False), record["answerer"], record["index_version"])
        with self._db() as db:
            db.execute(
                "INSERT INTO votes (id, created, updated, vote, comment, question, rewritten_question, history,"
                " answer, citations, answerer, index_version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(id) DO UPDATE SET vote = excluded.vote, comment = excluded.comment,"
                " updated = excluded.updated, exported = NULL", row)
        return True

    # -- reading -------------------------------------------------------------------------------------
    def votes(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self._db() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM votes ORDER BY created").fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d["history"] = json.loads(d["history"])
            d["citations"] = json.loads(d["citations"])
            out.append(d)
        return out

    def last_export(self) -> float:
        if not self.path.exists():
            return 0.0
        with self._db() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'last_export'").fetchone()
        return float(row[0]) if row else 0.0

    def since_last_export(self) -> dict[str, int]:
        """Votes cast (or changed) since the last ``rag feedback export``."""
        since = self.last_export()
        rows = [v for v in self.votes() if v["updated"] > since]
        return {"votes": len(rows), "up": sum(v["vote"] > 0 for v in rows), "down": sum(v["vote"] < 0 for v in rows)}

    def take_for_export(self, everything: bool = False) -> list[dict[str, Any]]:
        """👎 votes not exported yet (all of them with ``everything``), marked exported now."""
        now = time.time()
        rows = [v for v in self.votes() if v["vote"] < 0 and (everything or v["exported"] is None)]
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("UPDATE votes SET exported = ? WHERE id = ?", [(now, v["id"]) for v in rows])
            db.execute("INSERT INTO meta (key, value) VALUES ('last_export', ?)"
                       " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (repr(now),))
            db.execute("COMMIT")
        return rows
