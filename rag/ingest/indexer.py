"""Incremental ingest: embed only new or changed documents, remove vanished ones, keep the lexical index
in step. Each document is written whole (see ``ChromaChunkStore.write_documents``), so an interrupted run
leaves documents either complete or visibly incomplete, and the next run repairs them.
"""

from __future__ import annotations

import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rag.embeddings.cache import CachedEmbedder
from rag.ingest.document import doc_id_for, file_hash, parse_document
from rag.ingest.failures import FailureLog
from rag.ingest.readers import SUPPORTED_SUFFIXES, ReadError, ReadOptions
from rag.retrieval.lexical import DocUpdate, LexicalIndex
from vectorstore.base import ChunkStore, DocRecord


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    truncated: list[tuple[str, str]] = field(default_factory=list)  # indexed in part: (file, reason)
    chunks_written: int = 0
    chunks_embedded: int = 0  # texts that went through the model (cache misses)
    sentences_embedded: int = 0  # sentence vectors made for the answerability model (cache misses)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        lines = [
            f"documents: {len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged",
            f"chunks: {self.chunks_written} written, {self.chunks_embedded} embedded "
            f"(the rest came from the vector cache); {self.sentences_embedded} sentence vectors made",
            f"time: {self.seconds:.1f} s",
        ]
        if not self.changed and not self.skipped:
            lines.insert(0, "index is up to date: nothing to embed")
        for name, reason in self.skipped:
            lines.append(f"skipped {name}: {reason}")
        for name, reason in self.truncated:
            lines.append(f"cut short {name}: {reason}")
        return "\n".join(lines)


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[str, str]], list[Path]]:
    """Files to ingest, files skipped with reasons, and the directories that were scanned whole."""
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    scanned: list[Path] = []
    for p in paths:
        if p.is_dir():
            root = p.resolve()
            scanned.append(root)
            for f in sorted(p.rglob("*")):
                if f.name.startswith("."):
                    continue
                if (f.is_symlink() or f.is_file()) and not _is_under(f, root):
                    # A link in the data folder to /etc/passwd or another folder is not a report.
                    skipped.append((str(f), "symbolic link pointing outside the data folder: not followed"))
                    continue
                if not f.is_file():
                    continue
                if f.suffix.lower() in SUPPORTED_SUFFIXES:
                    files.append(f)
                else:
                    skipped.append((str(f), f"unsupported file type '{f.suffix or '(none)'}'"))
        elif p.is_file():
            if p.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(p)
            else:
                skipped.append((str(p), f"unsupported file type '{p.suffix or '(none)'}'"))
        else:
            skipped.append((str(p), "no such file or directory"))
    # Document ids must be unique: the first file (sorted) wins, later ones are reported.
    seen: dict[str, Path] = {}
    unique: list[Path] = []
    for f in files:
        key = unicodedata.normalize("NFKC", doc_id_for(f)).casefold()
        if key in seen:
            skipped.append((str(f), f"document id '{doc_id_for(f)}' already used by {seen[key].name}"))
            continue
        seen[key] = f
        unique.append(f)
    return unique, skipped, scanned


@dataclass
class _Parsed:
    path: Path
    doc_id: str
    digest: str
    chunks: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    outcome: str = "parsed"  # or "unchanged", "skipped"
    reason: str = ""


class Indexer:
    """Writes new and changed reports to the store and keeps the lexical index in step with it.

    Ingest is a three-stage pipeline: files are read and chunked in a worker thread, chunks of several
    reports are embedded together on the calling thread, and a writer thread stores them in large batches
    while the next ones are embedded (a per-report ``add`` bounds the embedded store at 60 to 100 chunks/s).
    """

    #: Chunks per store write (several reports at once; a write is one delete and few adds).
    WRITE_CHUNKS = 2000
    #: Chunks embedded in one call to the embedder (a remote embedder splits them into concurrent requests).
    EMBED_CHUNKS = 256
    #: Documents per step when the lexical index catches up with the store.
    SYNC_DOCS = 200
    #: The change log is read from this long before the last sync: clocks of writers on other machines
    #: may be behind, and a write logs its documents only when it is done.
    CLOCK_MARGIN_S = 120.0

    def __init__(self, store: ChunkStore, embedder: CachedEmbedder, lexical: LexicalIndex,
                 chunk_size: int = 400, chunk_overlap: int = 60, heading_header: bool = True,
                 max_file_bytes: int | None = None, read_options: ReadOptions | None = None,
                 failure_log: FailureLog | None = None, file_timeout_s: float | None = None) -> None:
        self.store = store
        self.read_options = read_options
        self.failure_log = failure_log
        self.max_file_bytes = max_file_bytes
        self.file_timeout_s = file_timeout_s
        self.embedder = embedder
        self.lexical = lexical
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.heading_header = heading_header
        self._seen_fingerprint: str | None = None
        self._unsettled: str | None = None  # see sync_lexical

    # -- ingest --------------------------------------------------------------------------------------
    def _parse(self, path: Path, existing: dict[str, DocRecord]) -> _Parsed:
        doc_id = doc_id_for(path)
        item = _Parsed(path, doc_id, "")
        try:
            size = path.stat().st_size
            if self.max_file_bytes is not None and size > self.max_file_bytes:
                item.outcome, item.reason = "skipped", _too_large(size, self.max_file_bytes)
                return item
            item.digest = file_hash(path)
            record = existing.get(doc_id)
            if record and record.complete and record.doc_hash == item.digest:
                item.outcome, item.reason = "unchanged", record.meta.get("truncated") or ""
                return item
            parsed = parse_document(
                path, self.chunk_size, self.chunk_overlap, self.heading_header, content_hash=item.digest,
                options=self.read_options,
            )
        except ReadError as exc:
            item.outcome, item.reason = "skipped", str(exc)
            return item
        except (FileNotFoundError, PermissionError) as exc:
            item.outcome, item.reason = "skipped", f"cannot read: {exc.strerror or exc}"
            return item
        if not parsed.chunks:
            item.outcome, item.reason = "skipped", "no text after cleaning"
            return item
        item.chunks = parsed.chunks
        item.meta = {**parsed.metadata.to_dict(), "source": str(path.resolve()), "chars": len(parsed.text),
                     "source_type": parsed.source_type, "ocr": parsed.ocr,
                     "pages": max((c.page or 0) for c in parsed.chunks)}
        return item

    def ingest(self, paths: Iterable[Path], progress: Callable[[str, int, int], None] | None = None) -> IngestReport:
        t0 = time.perf_counter()
        report = IngestReport()
        files, skipped, scanned = discover(paths)
        report.skipped.extend(skipped)
        existing = self._existing()
        seen_ids = {doc_id_for(p) for p in files}
        before = self.embedder.embedded_count
        pending: list[_Parsed] = []  # parsed, waiting to be embedded
        to_write: list[tuple] = []  # embedded, waiting to be written
        written: list[_Parsed] = []
        embed_chunks = max(self.EMBED_CHUNKS, getattr(self.embedder.embeddings, "preferred_batch", 0))

        def embed_pending() -> None:
            # Each report under its own time budget (RAG_INGEST_FILE_TIMEOUT_S): a pathological file is
            # indexed in part and said so, instead of holding the ingest for minutes.
            budget = self.file_timeout_s
            for item in pending:
                deadline = None if budget is None else _deadline(time.monotonic() + budget)
                vectors = self.embedder.embed_documents([c.embed_text for c in item.chunks], deadline=deadline)
                if len(vectors) < len(item.chunks):
                    item.meta["truncated"] = _cut_short(len(vectors), len(item.chunks), budget)
                    report.truncated.append((str(item.path), item.meta["truncated"]))
                    item.chunks = item.chunks[: len(vectors)]
                if item.chunks:
                    to_write.append((item, vectors))
            pending.clear()

        with ThreadPoolExecutor(1, thread_name_prefix="ingest-parse") as parser, \
                ThreadPoolExecutor(1, thread_name_prefix="ingest-write") as writer:
            write: Future | None = None

            def flush(final: bool = False) -> None:
                nonlocal write
                if not to_write or (not final and sum(len(i.chunks) for i, _ in to_write) < self.WRITE_CHUNKS):
                    return
                batch = list(to_write)
                to_write.clear()
                if write is not None:
                    write.result()  # one write in flight: the next batch is embedded meanwhile
                write = writer.submit(self._write, batch, written)

            parsed_items = _prefetch(parser, lambda p: self._parse(p, existing), files, depth=8)
            for i, item in enumerate(parsed_items):
                if progress:
                    progress(item.path.name, i, len(files))
                if item.outcome == "skipped":
                    report.skipped.append((str(item.path), item.reason))
                elif item.outcome == "unchanged":
                    report.unchanged.append(item.doc_id)
                    if item.reason:  # indexed in part on an earlier run
                        report.truncated.append((str(item.path), item.reason))
                else:
                    pending.append(item)
                    if sum(len(p.chunks) for p in pending) >= embed_chunks:
                        embed_pending()
                        flush()
            embed_pending()
            flush(final=True)
            if write is not None:
                write.result()
        for item in written:
            (report.updated if item.doc_id in existing else report.added).append(item.doc_id)
            report.chunks_written += len(item.chunks)
        if progress:
            progress("", len(files), len(files))
        # Documents whose source file lived in a scanned folder and is gone now are removed.
        for doc_id, record in existing.items():
            if doc_id in seen_ids:
                continue
            source = Path(record.meta.get("source", ""))
            if not record.meta.get("source") or not record.complete or (
                any(_is_under(source, d) for d in scanned) and not source.exists()
            ):
                self.store.delete_document(doc_id)
                report.removed.append(doc_id)
        report.chunks_embedded = self.embedder.embedded_count - before
        if self.failure_log is not None:
            failed = {name for name, _ in report.skipped}
            self.failure_log.update(report.skipped, [f for f in files if str(f) not in failed])
        self.sync_lexical(force=report.changed)
        report.seconds = time.perf_counter() - t0
        return report

    def _write(self, batch: list[tuple[_Parsed, list[list[float]]]], written: list[_Parsed]) -> None:
        self.store.write_documents([(i.doc_id, i.chunks, v, i.digest, i.meta) for i, v in batch])
        written.extend(i for i, _ in batch)

    def _existing(self) -> dict[str, DocRecord]:
        """Every document in the store with its state. The lexical index, brought up to date first, knows
        each complete document; reading every chunk's metadata from the store (which grows with the
        corpus) is needed only when the store holds chunks that no complete document accounts for (a write
        that was cut off, or another process writing right now)."""
        self.sync_lexical()
        records = self.lexical.records()
        if self.store.count() == sum(r.n_chunks for r in records.values()):
            return records
        return self.store.documents()

    # -- lexical index -------------------------------------------------------------------------------
    def sync_lexical(self, force: bool = False) -> bool:
        """Bring the lexical index up to the store; True when the store changed since this process last
        looked (then callers re-read what they derive from it).

        Which documents changed comes from the store's change log (``changed_since``), or, for a new index
        file, from comparing every document's head. Only changed documents are read and tokenised, so a
        change costs time in proportion to the changed reports. Several processes may share the index
        file: whichever syncs first does the work, the others find it done.
        """
        fingerprint = self.store.fingerprint()
        if not force and fingerprint == self._seen_fingerprint == self.lexical.fingerprint:
            return False
        if force or self.lexical.fingerprint != fingerprint:
            started = time.time()
            since = self.lexical.synced_at()
            logged = self.store.changed_since(since - self.CLOCK_MARGIN_S) if since is not None else None
            full = logged is None  # a new index file, or one that slept past the log: compare every head
            self._apply(*self._diff_heads() if full else (logged, []))
            if not full and self.store.count() != self.lexical.n_chunks():
                # Chunks the log does not account for: a write in progress (it logs when done), or one that
                # was cut off (it never will). Once the store is quiet, or in a process's first look,
                # compare every head.
                if self._unsettled == fingerprint or self._seen_fingerprint is None:
                    self._apply(*self._diff_heads())
                else:
                    self._unsettled = fingerprint
                    self.lexical.apply([], [], None, set_fingerprint=True, synced_at=started)
                    self._seen_fingerprint = fingerprint
                    return True
            self._unsettled = None
            self.lexical.apply([], [], fingerprint, set_fingerprint=True, synced_at=started)
        self._seen_fingerprint = fingerprint
        return True

    def _diff_heads(self) -> tuple[list[str], list[str]]:
        """(documents whose head differs from the index, indexed documents without a head): reads one
        record per document, so it grows with the corpus; the change log is the usual way."""
        heads = self.store.heads()
        local = self.lexical.doc_hashes()
        return [d for d, (h, _) in heads.items() if local.get(d) != h], [d for d in local if d not in heads]

    def _apply(self, changed: list[str], removed: list[str]) -> None:
        """Read the changed documents from the store and write them (or their removal) to the index."""
        local = self.lexical.doc_hashes()
        removed = list(removed)
        for s in range(0, len(changed), self.SYNC_DOCS):
            part = changed[s : s + self.SYNC_DOCS]
            got = self.store.document_chunks(part)
            # Gone, or not complete (being written, or cut off): not indexed.
            removed.extend(d for d in part if d not in got and d in local)
            self.lexical.apply([DocUpdate(d, h, c, m) for d, (h, c, m) in got.items()])
        if removed:
            self.lexical.apply([], removed)


def _prefetch(pool: ThreadPoolExecutor, fn: Callable[[Path], _Parsed], items: list[Path],
              depth: int) -> Iterator[_Parsed]:
    """``map(fn, items)`` run ahead in ``pool`` by at most ``depth`` items (bounded memory)."""
    queue: deque[Future] = deque()
    it = iter(items)
    for item in it:
        queue.append(pool.submit(fn, item))
        if len(queue) >= depth:
            break
    while queue:
        yield queue.popleft().result()
        nxt = next(it, None)
        if nxt is not None:
            queue.append(pool.submit(fn, nxt))


def _deadline(at: float) -> Callable[[], bool]:
    return lambda: time.monotonic() > at


def _cut_short(kept: int, total: int, budget: float | None) -> str:
    what = f"indexed {kept} of {total} chunks" if kept else "nothing indexed"
    return (f"{what}: embedding took longer than {budget:g} s (RAG_INGEST_FILE_TIMEOUT_S; a very long or "
            f"repetitive file: split it or raise the limit)")


def _too_large(size: int, limit: int) -> str:
    mb = 1024 * 1024
    return (f"file too large: {size / mb:.3g} MB, the limit is {limit / mb:.3g} MB "
            f"(RAG_MAX_FILE_MB; split the file or raise the limit)")


def _is_under(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory)
        return True
    except ValueError:
        return False
