"""BM25 over jieba tokens (bm25s), persisted beside Chroma and kept in step with it by fingerprint."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np

from rag.retrieval.tokenize import tokenize
from rag.schema import Chunk


class LexicalIndex:
    """BM25 over all chunks, rebuilt from the store whenever the store's fingerprint changes.

    The index is small (a sparse matrix over the vocabulary) and rebuilding it is a matter of
    tokenizing; we rebuild whole rather than patch, which keeps it exactly equal to the store.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.fingerprint: str | None = None
        self.chunks: list[Chunk] = []
        self._bm25 = None
        self._doc_rows: dict[str, np.ndarray] = {}
        self._texts: dict[str, str] = {}
        self._df: dict[str, int] = {}
        self._lock = threading.Lock()

    # -- building --------------------------------------------------------------------------------
    def build(self, chunks: list[Chunk], fingerprint: str) -> None:
        import bm25s

        tokens = [tokenize(f"{c.title} {c.section} {c.text}") for c in chunks]
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        if chunks:
            bm25.index(tokens, show_progress=False)
        df: dict[str, int] = {}
        for toks in tokens:
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        with self._lock:
            self._bm25 = bm25 if chunks else None
            self.chunks = chunks
            self.fingerprint = fingerprint
            self._df = df
            self._index_rows()

    def _index_rows(self) -> None:
        rows: dict[str, list[int]] = {}
        for i, c in enumerate(self.chunks):
            rows.setdefault(c.doc_id, []).append(i)
        self._doc_rows = {k: np.asarray(v) for k, v in rows.items()}
        self._texts = {c.id: c.text for c in self.chunks}

    def save(self) -> None:
        tmp = self.directory.with_name(self.directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._bm25 is not None:
            self._bm25.save(str(tmp / "bm25"), show_progress=False)
        meta = {
            "fingerprint": self.fingerprint,
            "df": self._df,
            "chunks": [
                {**c.to_metadata("", 0), "text": c.text} for c in self.chunks
            ],
        }
        (tmp / "chunks.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        # Swap in whole: a reader never sees half an index.
        old = self.directory.with_name(self.directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.directory.exists():
            self.directory.rename(old)
        tmp.rename(self.directory)
        shutil.rmtree(old, ignore_errors=True)

    def load(self) -> bool:
        """Load from disk; False when absent or unreadable (callers then rebuild from the store)."""
        import bm25s

        try:
            meta = json.loads((self.directory / "chunks.json").read_text(encoding="utf-8"))
            chunks = [Chunk.from_metadata(m.pop("text"), m) for m in meta["chunks"]]
            bm25 = bm25s.BM25.load(str(self.directory / "bm25"), show_progress=False) if chunks else None
        except (OSError, ValueError, KeyError):
            return False
        with self._lock:
            self._bm25, self.chunks, self.fingerprint = bm25, chunks, meta["fingerprint"]
            self._df = meta.get("df", {})
            self._index_rows()
        return True

    # -- querying --------------------------------------------------------------------------------
    def search(self, query: str, k: int, doc_ids: list[str] | None = None) -> list[tuple[Chunk, float]]:
        tokens = tokenize(query)
        with self._lock:
            bm25, chunks = self._bm25, self.chunks
            rows = self._doc_rows
        if bm25 is None or not tokens:
            return []
        vocab = bm25.vocab_dict
        ids = [vocab[t] for t in tokens if t in vocab]
        if not ids:
            return []
        scores = bm25.get_scores([t for t in tokens if t in vocab])
        if doc_ids is not None:
            mask = np.zeros(len(chunks), dtype=bool)
            for d in doc_ids:
                if d in rows:
                    mask[rows[d]] = True
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(chunks))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(chunks) else np.arange(len(chunks))
        top = top[np.argsort(-scores[top])]
        return [(chunks[i], float(scores[i])) for i in top if scores[i] > 0]

    def idf(self, term: str) -> float:
        """BM25 idf of a term over chunks; unseen terms get the highest weight (they are the rarest)."""
        from rag.answer.evidence import bm25_idf

        return bm25_idf(self._df.get(term.lower(), 0), max(len(self.chunks), 1))

    def mentions(self, word: str) -> bool:
        """Whether the corpus text names ``word`` (as a token; by substring too while the corpus is small)."""
        w = word.lower()
        if w in self._df:
            return True
        return len(self._texts) <= 5000 and any(w in t for t in self._texts.values())

    def chunks_of(self, doc_ids: list[str]) -> list[Chunk]:
        """The snapshot's chunks of these documents (complete documents only), in index order."""
        with self._lock:
            chunks, rows = self.chunks, self._doc_rows
        return [chunks[i] for d in dict.fromkeys(doc_ids) if d in rows for i in rows[d]]

    def doc_ids(self) -> set[str]:
        return set(self._doc_rows)

    def holds(self, chunk: Chunk) -> bool:
        """Is this exact chunk (id and text) part of the snapshot? A chunk of a newer version of a
        document, written by another process and not yet complete, is not."""
        return self._texts.get(chunk.id) == chunk.text
