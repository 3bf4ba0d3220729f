"""Report sentences and their vectors, the units answers quote and the answerability model reads.

Sentence vectors are computed at ingest (``SentenceVectors.warm`` from ``Pipeline.ingest``) and kept in
the embedding cache keyed by (embedder, text), so a question only looks them up: embedding forty
candidate sentences per question took 0.7–1.0 s on a laptop CPU.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np

from rag.embeddings import NamedEmbeddings
from rag.embeddings.cache import EmbeddingCache, text_key
from rag.schema import Chunk
from rag.text import split_sentences

#: Shorter pieces (a bare "一、" or a page number) state nothing worth quoting or embedding.
MIN_SENTENCE_CHARS = 6


def sentence_spans(text: str) -> list[tuple[int, int]]:
    return [(s, e) for s, e in split_sentences(text) if e - s >= MIN_SENTENCE_CHARS]


def chunk_sentences(chunks: Iterable[Chunk]) -> list[str]:
    out: list[str] = []
    for c in chunks:
        out.extend(c.text[s:e] for s, e in sentence_spans(c.text))
    return out


class SentenceVectors:
    """Unit vectors of report sentences, read from the persistent cache (a small LRU in front of it)."""

    def __init__(self, embeddings: NamedEmbeddings, cache: EmbeddingCache, memory: int = 20_000) -> None:
        self.embeddings = embeddings
        self.cache = cache
        self.memory = memory
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def warm(self, chunks: Iterable[Chunk], batch: int = 64) -> int:
        """Embed the sentences (and section paths) of these chunks that are not cached yet; returns how
        many were embedded."""
        from rag.answer.outline import heading_paths

        chunks = list(chunks)
        texts = list(dict.fromkeys(chunk_sentences(chunks) + heading_paths(chunks)))
        keys = [text_key(t) for t in texts]
        have = self.cache.get_many(self.embeddings.name, keys)
        todo = [t for t, k in zip(texts, keys, strict=True) if k not in have]
        for i in range(0, len(todo), batch):
            part = todo[i : i + batch]
            vecs = self.embeddings.embed_documents(part)
            self.cache.put_many(self.embeddings.name, {text_key(t): v for t, v in zip(part, vecs, strict=True)})
        return len(todo)

    def get(self, texts: list[str]) -> np.ndarray:
        """One unit row per text; texts never seen at ingest are embedded now and cached."""
        keys = [text_key(t) for t in texts]
        rows: dict[str, np.ndarray] = {}
        with self._lock:
            for k in keys:
                v = self._recent.get(k)
                if v is not None:
                    self._recent.move_to_end(k)
                    rows[k] = v
        missing = [k for k in dict.fromkeys(keys) if k not in rows]
        if missing:
            found = self.cache.get_many(self.embeddings.name, missing)
            new = [t for t, k in zip(texts, keys, strict=True) if k in missing and k not in found]
            new = list(dict.fromkeys(new))
            if new:
                vecs = self.embeddings.embed_documents(new)
                made = {text_key(t): v for t, v in zip(new, vecs, strict=True)}
                self.cache.put_many(self.embeddings.name, made)
                found.update(made)
            with self._lock:
                for k, v in found.items():
                    arr = np.asarray(v, dtype=np.float32)
                    arr = arr / (float(np.linalg.norm(arr)) or 1.0)
                    rows[k] = arr
                    self._recent[k] = arr
                while len(self._recent) > self.memory:
                    self._recent.popitem(last=False)
        if not keys:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([rows[k] for k in keys])
