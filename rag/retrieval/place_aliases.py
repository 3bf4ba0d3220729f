"""Place aliases kept on disk, so that a fresh process does not recompute pinyin for every report's places.

A place's aliases (石狮市 -> 石狮, shishi) depend only on its name, the suffix list and pypinyin, so they
are computed once per name and stored in a SQLite file beside the index, shared by every process (WAL).
At 10,000 reports the cold computation took ≈1.8 s of a fresh process's startup; reading the file takes
tens of milliseconds. The key carries a version of the alias rules, so a change to them is not hidden by
old entries. A read-only or broken file only means the aliases are computed in memory.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from rag.retrieval import scope

_log = logging.getLogger(__name__)


def _version() -> str:
    """Changes whenever the alias rules or the pinyin tables do."""
    try:
        pinyin = importlib.metadata.version("pypinyin")
    except importlib.metadata.PackageNotFoundError:
        pinyin = "?"
    rules = repr((scope._SUFFIXES, pinyin, 1)).encode()
    return hashlib.sha1(rules).hexdigest()[:12]


class PlaceAliasCache:
    """``aliases_of(place)`` for ``ScopeResolver``, read from and written to ``path`` in batches."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.version = _version()
        self._mem: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self.computed = 0  # aliases computed here (cache misses): what a warm file saves

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=10)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS aliases (version TEXT, place TEXT, aliases TEXT, "
                     "PRIMARY KEY (version, place)) WITHOUT ROWID")
        return conn

    def load(self, places: Iterable[str]) -> None:
        """Have the aliases of ``places`` at hand: read those on disk, compute and store the rest."""
        with self._lock:
            wanted = [p for p in dict.fromkeys(places) if p not in self._mem]
            if not wanted:
                return
            try:
                conn = self._connect()
            except (sqlite3.Error, OSError) as exc:
                _log.warning("place alias cache %s unusable (%s): computing aliases in memory", self.path, exc)
                conn = None
            try:
                if conn is not None:
                    for s in range(0, len(wanted), 500):
                        part = wanted[s : s + 500]
                        rows = conn.execute(
                            f"SELECT place, aliases FROM aliases WHERE version=? AND place IN ({','.join('?' * len(part))})",
                            [self.version, *part]).fetchall()
                        self._mem.update((p, tuple(json.loads(a))) for p, a in rows)
                missing = [p for p in wanted if p not in self._mem]
                for p in missing:
                    self._mem[p] = tuple(scope.aliases(p))
                self.computed += len(missing)
                if conn is not None and missing:
                    with conn:
                        conn.executemany("INSERT OR REPLACE INTO aliases VALUES (?, ?, ?)",
                                         [(self.version, p, json.dumps(self._mem[p], ensure_ascii=False))
                                          for p in missing])
            except (sqlite3.Error, OSError) as exc:
                _log.warning("place alias cache %s unusable (%s): computing aliases in memory", self.path, exc)
                for p in wanted:
                    if p not in self._mem:
                        self._mem[p] = tuple(scope.aliases(p))
                        self.computed += 1
            finally:
                if conn is not None:
                    conn.close()

    def aliases_of(self, place: str) -> tuple[str, ...]:
        if place not in self._mem:
            self.load([place])
        return self._mem[place]
