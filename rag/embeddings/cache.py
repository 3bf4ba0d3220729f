"""A persistent vector cache keyed by (embedder, text hash): unchanged chunks are never embedded twice."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import numpy as np

from rag.embeddings import NamedEmbeddings


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """SQLite file beside the index; safe to share between processes (WAL, short transactions)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, vec BLOB, PRIMARY KEY (model, key))"
        )
        self._lock = threading.Lock()

    def get_many(self, model: str, keys: list[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        with self._lock:
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
        with self._lock, self._conn:
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

    def embed_documents(self, texts: list[str], progress=None) -> list[list[float]]:
        keys = [text_key(t) for t in texts]
        found = self.cache.get_many(self.embeddings.name, list(dict.fromkeys(keys)))
        missing = [i for i, k in enumerate(keys) if k not in found]
        if progress is not None:
            progress(len(texts) - len(missing))
        # Batches that fill a remote embedder's concurrent requests; the cache is written after each.
        batch = getattr(self.embeddings, "preferred_batch", 32)
        for s in range(0, len(missing), batch):
            idx = missing[s : s + batch]
            vecs = self.embeddings.embed_documents([texts[i] for i in idx])
            new = {keys[i]: v for i, v in zip(idx, vecs, strict=True)}
            self.cache.put_many(self.embeddings.name, new)
            found.update(new)
            self.embedded_count += len(idx)
            if progress is not None:
                progress(len(idx))
        return [found[k] for k in keys]
