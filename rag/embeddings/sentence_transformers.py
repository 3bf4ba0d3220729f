"""Any sentence-transformers model by hub name or local path (the ``st`` extra installs torch)."""

from __future__ import annotations

import hashlib
import re
import threading

from rag.embeddings import NamedEmbeddings


class SentenceTransformerEmbeddings(NamedEmbeddings):
    """Embeds with ``SentenceTransformer(model)``; prefixes are configurable because models differ
    (E5 wants "query: "/"passage: ", BGE wants an instruction on queries only, MiniLM wants none).
    """

    def __init__(
        self, model: str, query_prefix: str = "", passage_prefix: str = "", batch_size: int = 16, device: str = "cpu"
    ) -> None:
        self.model_name = model
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.device = device
        self._model = None
        self._lock = threading.Lock()
        slug = re.sub(r"[^a-zA-Z0-9]+", "-", model.rstrip("/").rsplit("/", 1)[-1]).strip("-").lower()[:40]
        digest = hashlib.sha1(f"{model}|{query_prefix}|{passage_prefix}".encode()).hexdigest()[:8]
        self.name = f"st-{slug}-{digest}"

    def _get(self):
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ImportError(
                    "the sentence-transformers embedder needs the 'st' extra: pip install 'gov-report-rag[st]'"
                ) from exc
            self._model = SentenceTransformer(self.model_name, device=self.device)
        return self._model

    def _encode(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            vecs = self._get().encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
            )
        return vecs.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode([self.passage_prefix + t for t in texts])

    def embed_query(self, text: str) -> list[float]:
        return self._encode([self.query_prefix + text])[0]
