"""The store contract: documents are written and removed whole; queries take a vector, never text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from rag.schema import Chunk


class StoreUnavailable(RuntimeError):
    """The vector store cannot be reached (Chroma server down, disk unreadable)."""


class StoreReadOnly(StoreUnavailable):
    """The index folder cannot be written; embedded Chroma needs that even to read."""


class StoreFull(StoreUnavailable):
    """The disk holding the index is full."""


class IndexMissing(StoreUnavailable):
    """The index folder is gone (deleted under a running server, or never built)."""


_READ_ONLY = ("readonly database", "read-only file system", "permission denied", "attempt to write a readonly")
_FULL = ("disk is full", "no space left", "file too large", "disk quota")
#: SQLite says only "disk I/O error" when a WAL file's shared memory cannot grow on a full disk.
_IO = ("disk i/o error",)
_NEARLY_FULL_BYTES = 1 << 20


def _nearly_full(where: str) -> bool:
    """Whether the disk holding ``where`` (or its nearest existing folder) has under 1 MiB free."""
    import shutil
    from pathlib import Path

    path = Path(where)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free < _NEARLY_FULL_BYTES
    except OSError:
        return False


def storage_error(exc: BaseException, where: str) -> StoreUnavailable | None:
    """A clear error, in Chinese and English, for a read-only or full index; None for anything else.
    SQLite, Chroma's Rust engine and the OS each word these differently, so the text is matched too."""
    import errno

    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or any(m in text for m in _READ_ONLY):
        return StoreReadOnly(
            f"索引目录不可写：{where}。向量库即使只读取也需要写权限，请把目录改为可写，或复制到可写的位置。"
            f" / The index at {where} is read-only: Chroma needs write access even to read; make the folder"
            f" writable or copy it somewhere writable. ({exc.__class__.__name__}: {str(exc)[:160]})")
    if code in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) or any(m in text for m in _FULL) or (
            any(m in text for m in _IO) and _nearly_full(where)):
        return StoreFull(
            f"磁盘空间不足，无法写入索引：{where}。请清理磁盘后重新运行 rag ingest，已收录的内容不受影响。"
            f" / The disk holding the index at {where} is full: free space and run `rag ingest` again; what"
            f" was indexed before is kept. ({exc.__class__.__name__}: {str(exc)[:160]})")
    return None


def index_missing(where: str) -> IndexMissing:
    return IndexMissing(
        f"索引不存在或已被删除：{where}。请运行 rag ingest 重新建立索引。"
        f" / No index at {where} (never built, or deleted): run `rag ingest` to build it.")


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
