"""The store contract: documents are written and removed whole; queries take a vector, never text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from rag.schema import Chunk


class StoreUnavailable(RuntimeError):
    """The vector store cannot be reached (Chroma server down, disk unreadable)."""


@dataclass
class DocRecord:
    doc_id: str
    doc_hash: str
    n_chunks: int  # how many the document was written with
    stored_chunks: int  # how many are there now; differs after an interrupted write
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.stored_chunks == self.n_chunks


class ChunkStore(Protocol):
    def documents(self) -> dict[str, DocRecord]:
        """Every document in the store with its hash and completeness."""
        ...

    def write_document(self, doc_id: str, chunks: list[Chunk], vectors: list[list[float]], doc_hash: str,
                       doc_meta: dict[str, Any]) -> None:
        """Replace all chunks of ``doc_id`` with ``chunks``."""
        ...

    def delete_document(self, doc_id: str) -> None: ...

    def query(self, vector: list[float], k: int, doc_ids: list[str] | None = None) -> list[tuple[Chunk, float]]:
        """Nearest chunks with cosine similarity, optionally only from ``doc_ids``."""
        ...

    def vectors(self, ids: list[str]) -> dict[str, list[float]]:
        """Stored vectors of these chunk ids; ids not in the store are left out."""
        ...

    def all_chunks(self) -> list[Chunk]:
        """Every chunk (text and metadata, no vectors): the lexical index is rebuilt from this."""
        ...

    def fingerprint(self) -> str:
        """Changes whenever any document is added, replaced or removed."""
        ...

    def count(self) -> int:
        """Number of stored chunks."""
        ...

    def heads(self) -> dict[str, tuple[str, int]]:
        """Each document's (hash, chunk count), from one record per document."""
        ...

    def document_chunks(self, doc_ids: list[str]) -> dict[str, tuple[str, list[Chunk], dict[str, Any]]]:
        """(hash, chunks, document metadata) of those of ``doc_ids`` that are complete."""
        ...

    def changed_since(self, t: float) -> list[str] | None:
        """Documents written or deleted since time ``t``; None when the change log does not reach back."""
        ...
