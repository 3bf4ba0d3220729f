"""The hybrid retriever as a langchain-core ``BaseRetriever``, so it composes with LangChain chains."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict


class ReportRetriever(BaseRetriever):
    """>>> docs = ReportRetriever(hybrid=pipeline.retriever, k=5).invoke("德化县法律援助")  # doctest: +SKIP"""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    hybrid: Any
    k: int = 5
    doc_ids: list[str] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        result = self.hybrid.retrieve(query, k=self.k, doc_ids=self.doc_ids)
        return [
            Document(
                page_content=s.chunk.text,
                id=s.chunk.id,
                metadata={
                    "doc_id": s.chunk.doc_id,
                    "title": s.chunk.title,
                    "section": s.chunk.section,
                    "score": s.score,
                    "dense": s.dense,
                    "lexical": s.lexical,
                },
            )
            for s in result.chunks
        ]
