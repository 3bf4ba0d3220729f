"""Vector storage of report chunks. Chroma is the one backend; the ``ChunkStore`` protocol keeps the
rest of the code independent of it (and of embedded vs. server mode)."""

from vectorstore.base import ChunkStore, DocRecord, StoreUnavailable
from vectorstore.chroma import ChromaChunkStore, collection_name

__all__ = ["ChunkStore", "DocRecord", "StoreUnavailable", "ChromaChunkStore", "collection_name"]
