"""Incremental ingest: embed only new or changed documents, remove vanished ones, keep the lexical index
in step. Each document is written whole (see ``ChromaChunkStore.write_document``), so an interrupted run
leaves documents either complete or visibly incomplete, and the next run repairs them.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rag.embeddings.cache import CachedEmbedder
from rag.ingest.document import doc_id_for, file_hash, parse_document
from rag.ingest.readers import MAX_UNPACKED_BYTES, SUPPORTED_SUFFIXES, ReadError
from rag.retrieval.lexical import LexicalIndex
from vectorstore.base import ChunkStore, storage_error


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


class Indexer:
    def __init__(self, store: ChunkStore, embedder: CachedEmbedder, lexical: LexicalIndex,
                 chunk_size: int = 400, chunk_overlap: int = 60, heading_header: bool = True,
                 max_file_bytes: int | None = None, max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
                 file_timeout_s: float | None = None) -> None:
        self.store = store
        self.max_file_bytes = max_file_bytes
        self.max_unpacked_bytes = max_unpacked_bytes
        self.file_timeout_s = file_timeout_s
        self.embedder = embedder
        self.lexical = lexical
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.heading_header = heading_header

    def ingest(self, paths: Iterable[Path], progress: Callable[[str, int, int], None] | None = None) -> IngestReport:
        t0 = time.perf_counter()
        report = IngestReport()
        files, skipped, scanned = discover(paths)
        report.skipped.extend(skipped)
        existing = self.store.documents()
        seen_ids: set[str] = set()
        before = self.embedder.embedded_count
        for i, path in enumerate(files):
            doc_id = doc_id_for(path)
            seen_ids.add(doc_id)
            if progress:
                progress(path.name, i, len(files))
            started = time.monotonic()
            try:
                size = path.stat().st_size
                if self.max_file_bytes is not None and size > self.max_file_bytes:
                    report.skipped.append((str(path), _too_large(size, self.max_file_bytes)))
                    continue
                digest = file_hash(path)
                record = existing.get(doc_id)
                if record and record.complete and record.doc_hash == digest:
                    report.unchanged.append(doc_id)
                    if record.meta.get("truncated"):
                        report.truncated.append((str(path), record.meta["truncated"]))
                    continue
                parsed = parse_document(
                    path, self.chunk_size, self.chunk_overlap, self.heading_header, content_hash=digest,
                    max_unpacked_bytes=self.max_unpacked_bytes,
                )
            except ReadError as exc:
                report.skipped.append((str(path), str(exc)))
                continue
            except (FileNotFoundError, PermissionError) as exc:
                report.skipped.append((str(path), f"cannot read: {exc.strerror or exc}"))
                continue
            if not parsed.chunks:
                report.skipped.append((str(path), "no text after cleaning"))
                continue
            budget = self.file_timeout_s
            deadline = None if budget is None else _deadline(started + budget)
            vectors = self.embedder.embed_documents([c.embed_text for c in parsed.chunks], deadline=deadline)
            chunks = parsed.chunks[: len(vectors)]
            meta = {**parsed.metadata.to_dict(), "source": str(path.resolve()), "chars": len(parsed.text)}
            if len(chunks) < len(parsed.chunks):
                meta["truncated"] = _cut_short(len(chunks), len(parsed.chunks), budget)
                report.truncated.append((str(path), meta["truncated"]))
                if not chunks:
                    continue
            self.store.write_document(doc_id, chunks, vectors, digest, meta)
            (report.updated if doc_id in existing else report.added).append(doc_id)
            report.chunks_written += len(chunks)
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
        self.sync_lexical(force=report.changed)
        report.seconds = time.perf_counter() - t0
        return report

    def sync_lexical(self, force: bool = False) -> bool:
        """Rebuild the lexical index from the store if another process (or we) changed the store."""
        fingerprint = self.store.fingerprint()
        if not force and self.lexical.fingerprint is None:
            self.lexical.load()
        if force or self.lexical.fingerprint != fingerprint:
            self.lexical.build(self.store.all_chunks(), fingerprint)
            try:
                self.lexical.save()
            except OSError as exc:  # a full or read-only disk: say so (the index in memory is current)
                clear = storage_error(exc, str(self.lexical.directory))
                if clear is None:
                    raise
                raise clear from exc
            return True
        return False


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
