"""A persistent vector cache keyed by (embedder, text hash): unchanged chunks are never embedded twice."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from rag.embeddings import NamedEmbeddings
from vectorstore.base import storage_error


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """SQLite file beside the index; safe to share between processes (WAL, short transactions)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._clear_errors():
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, vec BLOB, PRIMARY KEY (model, key))"
            )
        self._lock = threading.Lock()

    @contextmanager
    def _clear_errors(self) -> Iterator[None]:
        """A read-only or full disk becomes the store's clear error, not a raw sqlite3 traceback."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            clear = storage_error(exc, str(self.path.parent))
            if clear is None:
                raise
            raise clear from exc

    def get_many(self, model: str, keys: list[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        with self._lock, self._clear_errors():
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                marks = ",".join("?" * len(part))
                rows = self._conn.execute(
                    f"SELECT key, vec FROM vectors WHERE model=? AND key IN ({marks})", [model, *part]
                ).fetchall()
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32).tolist()
        return found

    def put_many(self, model: str, items: dict[str, list[float]]) -> None:
        with self._lock, self._clear_errors(), self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(model, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )

    def close(self) -> None:
        self._conn.close()


class CachedEmbedder:
    """Embeds documents through the cache; reports how many texts really went through the model."""

    def __init__(self, embeddings: NamedEmbeddings, cache: EmbeddingCache) -> None:
        self.embeddings = embeddings
        self.cache = cache
        self.embedded_count = 0

    def embed_documents(self, texts: list[str], progress=None,
                        deadline: Callable[[], bool] | None = None) -> list[list[float]]:
        """Vectors for ``texts``; identical texts are embedded once (a file of one repeated line has
        thousands of equal chunks). With ``deadline``, embedding stops once it returns True, and the
        result holds vectors for a prefix of ``texts`` only (the caller keeps those chunks)."""
        keys = [text_key(t) for t in texts]
        found = self.cache.get_many(self.embeddings.name, list(dict.fromkeys(keys)))
        first = {k: i for i, k in reversed(list(enumerate(keys)))}  # one text per distinct key
        missing = sorted(i for k, i in first.items() if k not in found)
        if progress is not None:
            progress(len(texts) - len(missing))
        # Batches that fill a remote embedder's concurrent requests; the cache is written after each.
        batch = getattr(self.embeddings, "preferred_batch", 32)
        for s in range(0, len(missing), batch):
            if deadline is not None and deadline():
                break
            idx = missing[s : s + batch]
            vecs = self.embeddings.embed_documents([texts[i] for i in idx])
            new = {keys[i]: v for i, v in zip(idx, vecs, strict=True)}
            self.cache.put_many(self.embeddings.name, new)
            found.update(new)
            self.embedded_count += len(idx)
            if progress is not None:
                progress(len(idx))
        out = []
        for k in keys:
            if k not in found:
                break  # cut short: the vectors of a prefix
            out.append(found[k])
        return out
