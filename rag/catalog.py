"""The catalog of indexed reports and the place resolver built on it, kept up to date one report at a time.

Both used to be rebuilt whole after every change to the store, in every process: at 10,000 reports that
is every entry's metadata parsed and every place's aliases looked up again for a one-report change. The
lexical index logs which documents each change touched (``LexicalIndex.catalog_since``), so a process
re-reads only those entries and adds or removes only those documents in the resolver.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from rag.retrieval.gazetteer import Gazetteer
from rag.retrieval.lexical import LexicalIndex
from rag.retrieval.place_aliases import PlaceAliasCache
from rag.retrieval.scope import DocPlaces, ScopeResolver


def _places(entry: dict[str, Any]) -> DocPlaces:
    return DocPlaces(entry["doc_id"], entry.get("places") or [], entry.get("year"))


class Catalog:
    """Every indexed report's entry (metadata, id, chunk count) and a ``ScopeResolver`` over them."""

    def __init__(self, lexical: LexicalIndex, aliases: PlaceAliasCache,
                 gazetteer: Callable[[], Gazetteer | None] = Gazetteer) -> None:
        self.lexical = lexical
        self.aliases = aliases
        self._gazetteer = gazetteer
        self._by_id: dict[str, dict[str, Any]] = {}
        self._sorted: list[dict[str, Any]] | None = None
        self._seq: int | None = None
        self._lock = threading.Lock()
        self.resolver: ScopeResolver | None = None
        #: Entries read from the index so far, and how many of those reads were of the whole catalog:
        #: what following the corpus has cost this process.
        self.entries_read = 0
        self.full_reads = 0

    @property
    def loaded(self) -> bool:
        return self._seq is not None

    def sync(self, full: bool = False) -> int:
        """Apply what changed in the index since the last sync (everything when ``full`` or the first
        time); returns the number of entries read."""
        with self._lock:
            seq, changed, entries = self.lexical.catalog_since(None if full else self._seq)
            if changed is None:
                self.full_reads += 1
                self.aliases.load(p for e in entries for p in e.get("places") or [])
                self._by_id = {e["doc_id"]: e for e in entries}
                self.resolver = ScopeResolver(map(_places, entries), gazetteer=self._gazetteer(),
                                              mentioned=self.lexical.mentions, aliases_of=self.aliases.aliases_of)
            elif changed:
                assert self.resolver is not None
                self.aliases.load(p for e in entries for p in e.get("places") or [])
                present = {e["doc_id"]: e for e in entries}
                by_id = dict(self._by_id)  # a new dict: readers in other threads keep a consistent one
                for doc_id in changed:
                    if doc_id not in present:
                        by_id.pop(doc_id, None)
                        self.resolver.remove(doc_id)
                for doc_id, entry in present.items():
                    by_id[doc_id] = entry
                    self.resolver.add(_places(entry))
                self._by_id = by_id
            if changed is None or changed:
                self._sorted = None
            self._seq = seq
            self.entries_read += len(entries)
            return len(entries)

    def documents(self) -> list[dict[str, Any]]:
        """Every entry, by id (the same list until the next change: callers must not modify it)."""
        entries = self._sorted
        if entries is None:
            by_id = self._by_id
            entries = self._sorted = [by_id[d] for d in sorted(by_id)]
        return entries

    def get(self, doc_id: str) -> dict[str, Any]:
        return self._by_id.get(doc_id, {})

    def __len__(self) -> int:
        return len(self._by_id)
