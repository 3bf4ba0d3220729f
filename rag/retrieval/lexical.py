"""BM25 over jieba tokens in a SQLite file that grows and shrinks one document at a time.

Why SQLite: adding, replacing or removing a report touches only that report's rows (its chunks, their
postings in an FTS5 table, the document frequencies of its terms), so the cost of a change is
proportional to the report, not the corpus; nothing re-tokenises unchanged chunks. Readers query the file
directly, so a process needs neither the corpus texts in memory nor a load step at startup, and several
processes on one machine may share the file (WAL: many readers, one writer at a time).

Scoring is the Lucene variant of BM25 that bm25s computes (k1=1.2, b=0.75), evaluated at query time from
per-chunk term frequencies and corpus totals kept in the file. FTS5 only finds candidate chunks: for a
question scoped to reports, every matching chunk of those reports; for an unscoped one, FTS5's own top
candidates, which are then scored exactly.
"""

from __future__ import annotations

import functools
import json
import math
import shutil
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.retrieval.tokenize import tokenize
from rag.schema import SECTION_SEP, Chunk
from vectorstore.base import DocRecord, storage_error

K1, B = 1.2, 0.75
#: Rowid of a chunk = docno << _SHIFT | ordinal: one document's chunks form one contiguous rowid range,
#: which FTS5 can restrict a MATCH to without reading other documents' postings.
_SHIFT = 20
#: Unscoped searches: terms in more than this share of chunks do not select candidates (their postings
#: are the longest and their weight the lowest); they still count in the exact score.
_COMMON = 0.25
_FILE = "lexical.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS docs (
    docno INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT UNIQUE NOT NULL, doc_hash TEXT NOT NULL,
    n_chunks INTEGER NOT NULL, meta TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
    text TEXT NOT NULL, section TEXT NOT NULL, start INTEGER, "end" INTEGER, title TEXT, year INTEGER,
    terms TEXT NOT NULL, length INTEGER NOT NULL, page INTEGER, page_marks TEXT, source_type TEXT);
CREATE TABLE IF NOT EXISTS vocab (term TEXT PRIMARY KEY, id INTEGER UNIQUE NOT NULL, df INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS doc_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    terms, content='chunks', content_rowid='rowid', tokenize='unicode61');
"""


@dataclass
class DocUpdate:
    """One document's new version: what ``LexicalIndex.apply`` writes."""

    doc_id: str
    doc_hash: str
    chunks: list[Chunk]
    meta: dict[str, Any]


@dataclass(frozen=True)
class _DocRows:
    """One report's chunk rows (rowid, terms, length, columns), each row's term frequencies by term id,
    and its chunks."""

    rows: tuple[tuple, ...]
    tfs: tuple[dict[int, int], ...]
    chunks: tuple[Chunk, ...]


class ChunkView:
    """All chunks of the index, read from the file when iterated (never held in memory)."""

    def __init__(self, index: LexicalIndex) -> None:
        self._index = index

    def __len__(self) -> int:
        return self._index.n_chunks()

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[Chunk]:
        rows = self._index._conn().execute(f"SELECT {_COLS} FROM chunks ORDER BY doc_id, ordinal")
        return (_chunk(r) for r in rows)


_COLS = 'doc_id, ordinal, text, section, start, "end", title, year, page, page_marks, source_type'
#: Columns a file written by an older version lacks; such a file is emptied and rebuilt from the store.
_NEEDED = {"page", "page_marks", "source_type"}


@functools.lru_cache(maxsize=20_000)  # the same chunks are found question after question
def _chunk(row: tuple) -> Chunk:
    doc_id, ordinal, text, section, start, end, title, year, page, marks, source_type = row[:11]
    return Chunk(doc_id=doc_id, ordinal=ordinal, text=text,
                 section_path=section.split(SECTION_SEP) if section else [], start=start or 0, end=end or 0,
                 title=title or "", year=year or None, page=page or None,
                 page_marks=[(int(o), int(p)) for o, _, p in (m.partition(":") for m in (marks or "").split(";"))
                             if p],
                 source_type=source_type or "")


def chunk_terms(chunk: Chunk) -> list[str]:
    """The tokens BM25 indexes for a chunk: title, section path and text."""
    return tokenize(f"{chunk.title} {chunk.section} {chunk.text}")


class LexicalIndex:
    """BM25 over all complete documents of the store, in ``directory/lexical.sqlite``.

    ``fingerprint`` is the store fingerprint the file was last brought up to date with; the indexer
    compares it with the store's and applies only the documents that differ (see ``Indexer.sync_lexical``).
    """

    #: Reports whose rows and chunks are kept in memory (about 60 KB each).
    CHUNKS_CACHE_DOCS = 500
    #: A search scoped to at most this many reports reads their rows from memory.
    MEMORY_SCOPE_DOCS = 20

    def __init__(self, directory: Path, scope_statistics: bool = False) -> None:
        self.directory = directory
        #: A question scoped to reports is scored with idf and average length over those reports' chunks,
        #: so its ranking does not depend on which other reports the corpus holds (issue 13).
        self.scope_statistics = scope_statistics
        self.path = directory / _FILE
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._fingerprint: str | None = None
        self._doc_cache: dict[tuple[str, int, str], _DocRows] = {}
        self._lengths_cache: dict[tuple[int, str], int] = {}
        self._opened = False

    # -- connection ------------------------------------------------------------------------------
    @contextmanager
    def _clear_errors(self) -> Iterator[None]:
        """A full or read-only disk becomes the store's clear error (StoreFull, StoreReadOnly), as for
        the vector store and the embedding cache, not a raw sqlite3 traceback."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            clear = storage_error(exc, str(self.directory))
            if clear is None:
                raise
            raise clear from exc

    def _conn(self) -> sqlite3.Connection:
        """One connection per thread (the web server answers in several threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with self._clear_errors():
                self._open()
                conn = sqlite3.connect(str(self.path), timeout=60, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def _open(self) -> None:
        if self._opened:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for old in ("chunks.json", "bm25"):  # the former whole-rebuild snapshot: replaced by the file
            p = self.directory / old
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            elif p.exists():
                p.unlink()
        conn = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            columns = {row[1] for row in conn.execute("PRAGMA table_info(chunks)")}
            if columns and _NEEDED - columns:
                # Written before chunks kept their pages: start empty; the next sync rebuilds it from the store.
                conn.executescript("DROP TABLE IF EXISTS fts; DROP TABLE IF EXISTS chunks; DROP TABLE IF EXISTS docs;"
                                   " DROP TABLE IF EXISTS vocab; DROP TABLE IF EXISTS meta;"
                                   " DROP TABLE IF EXISTS doc_log;")
            conn.executescript(_SCHEMA)
        finally:
            conn.close()
        self._opened = True

    # -- state -----------------------------------------------------------------------------------
    def _meta(self, key: str, conn: sqlite3.Connection | None = None) -> str | None:
        row = (conn or self._conn()).execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def fingerprint(self) -> str | None:
        """The store fingerprint this index was last synced to (shared by every process using the file)."""
        return self._meta("fingerprint")

    def set_fingerprint(self, fingerprint: str | None) -> None:
        conn = self._conn()
        with self._write_lock, self._clear_errors():
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (fingerprint,))

    def synced_at(self) -> float | None:
        """When (the store's clock) this index last read the store's change log."""
        value = self._meta("synced_at")
        return float(value) if value else None

    def n_chunks(self) -> int:
        return int(self._meta("n_chunks") or 0)

    def _totals(self, conn: sqlite3.Connection) -> tuple[int, float]:
        rows = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('n_chunks', 'n_terms')").fetchall())
        n = int(rows.get("n_chunks") or 0)
        return n, (int(rows.get("n_terms") or 0) / n if n else 1.0)

    @property
    def chunks(self) -> ChunkView:
        return ChunkView(self)

    def doc_ids(self) -> set[str]:
        return {r[0] for r in self._conn().execute("SELECT doc_id FROM docs")}

    def doc_hashes(self) -> dict[str, str]:
        return dict(self._conn().execute("SELECT doc_id, doc_hash FROM docs").fetchall())

    def documents(self, doc_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """The catalog: each indexed document's metadata with its id and chunk count, by id (only those
        of ``doc_ids`` that are indexed, when given)."""
        if doc_ids is None:
            rows = self._conn().execute("SELECT doc_id, n_chunks, meta FROM docs ORDER BY doc_id").fetchall()
        else:
            rows = sorted(_lookup(self._conn(), "SELECT doc_id, n_chunks, meta FROM docs WHERE doc_id IN ({})",
                                  list(dict.fromkeys(doc_ids)), key=False))
        return [{**json.loads(meta), "doc_id": doc_id, "chunks": n} for doc_id, n, meta in rows]

    def change_seq(self) -> int:
        """Position in the document change log: what ``documents_changed_since`` is given next time."""
        return self._conn().execute("SELECT COALESCE(MAX(seq), 0) FROM doc_log").fetchone()[0]

    def catalog_since(self, seq: int | None) -> tuple[int, list[str] | None, list[dict[str, Any]]]:
        """(position now, documents added, replaced or removed since ``seq``, their current entries), read in
        one snapshot, so that a process following the index reads only what changed: in proportion to the
        changes, not to the corpus. The list is None, and the entries are the whole catalog, when ``seq`` is
        None or the log cannot say (the index was cleared or recreated since)."""
        conn = self._conn()
        conn.execute("BEGIN")  # one snapshot: the position and the entries agree
        try:
            now = self.change_seq()
            if seq is not None and seq <= now:
                changed = [r[0] for r in conn.execute("SELECT doc_id FROM doc_log WHERE seq > ?", (seq,))]
                if None not in changed:
                    changed = list(dict.fromkeys(changed))
                    return now, changed, self.documents(changed)
            return now, None, self.documents()
        finally:
            conn.execute("COMMIT")

    def records(self) -> dict[str, DocRecord]:
        """Every indexed document as a complete ``DocRecord`` (the indexer's view of the store)."""
        rows = self._conn().execute("SELECT doc_id, doc_hash, n_chunks, meta FROM docs").fetchall()
        return {d: DocRecord(d, h, n, n, json.loads(m)) for d, h, n, m in rows}

    # -- writing ---------------------------------------------------------------------------------
    def apply(self, updates: Iterable[DocUpdate], removals: Iterable[str] = (),
              fingerprint: str | None = None, set_fingerprint: bool = False,
              synced_at: float | None = None) -> int:
        """Write new document versions and remove documents, in one transaction. Tokenising happens
        before the transaction, so other processes' reads and writes wait only for the inserts.
        A document already at the given version (another process sharing the file applied it) is
        skipped. Returns the number of documents changed."""
        updates = list(updates)
        # Documents already at their version (another process sharing the file did them) are not tokenised.
        have = _lookup(self._conn(), "SELECT doc_id, doc_hash FROM docs WHERE doc_id IN ({})",
                       [u.doc_id for u in updates])
        prepared = [(u, [chunk_terms(c) for c in u.chunks]) for u in updates if have.get(u.doc_id) != u.doc_hash]
        removals = list(removals)
        conn = self._conn()
        changed = 0
        log: list[str] = []  # documents whose catalog entry changed, for processes following the catalog
        with self._write_lock, self._clear_errors():
            conn.execute("BEGIN IMMEDIATE")
            try:
                current = dict(conn.execute("SELECT doc_id, doc_hash FROM docs").fetchall()) if (
                    prepared or removals) else {}
                n, n_terms = (int(self._meta(k, conn) or 0) for k in ("n_chunks", "n_terms"))
                for doc_id in removals:
                    if doc_id in current:
                        dn, dt = self._remove(conn, doc_id)
                        n, n_terms, changed = n - dn, n_terms - dt, changed + 1
                        log.append(doc_id)
                for update, terms in prepared:
                    if current.get(update.doc_id) == update.doc_hash:
                        continue
                    if update.doc_id in current:
                        dn, dt = self._remove(conn, update.doc_id)
                        n, n_terms = n - dn, n_terms - dt
                    self._insert(conn, update, terms)
                    n, n_terms, changed = n + len(update.chunks), n_terms + sum(map(len, terms)), changed + 1
                    log.append(update.doc_id)
                conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                 [("n_chunks", str(n)), ("n_terms", str(n_terms))])
                conn.executemany("INSERT INTO doc_log (doc_id) VALUES (?)", [(d,) for d in log])
                if set_fingerprint:
                    conn.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (fingerprint,))
                if synced_at is not None:
                    conn.execute("INSERT OR REPLACE INTO meta VALUES ('synced_at', ?)", (repr(synced_at),))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # SQLite may have rolled back itself (a full disk does)
                    conn.execute("ROLLBACK")
                raise
        return changed

    def _term_ids(self, conn: sqlite3.Connection, terms: set[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        todo = list(terms)
        for s in range(0, len(todo), 500):
            part = todo[s : s + 500]
            marks = ",".join("?" * len(part))
            ids.update(conn.execute(f"SELECT term, id FROM vocab WHERE term IN ({marks})", part).fetchall())
        new = [t for t in todo if t not in ids]
        if new:
            top = conn.execute("SELECT COALESCE(MAX(id), 0) FROM vocab").fetchone()[0]
            rows = [(t, top + i + 1, 0) for i, t in enumerate(new)]
            conn.executemany("INSERT INTO vocab VALUES (?, ?, ?)", rows)
            ids.update((t, i) for t, i, _ in rows)
        return ids

    def _insert(self, conn: sqlite3.Connection, update: DocUpdate, terms: list[list[str]]) -> None:
        cur = conn.execute("INSERT INTO docs (doc_id, doc_hash, n_chunks, meta) VALUES (?, ?, ?, ?)",
                           (update.doc_id, update.doc_hash, len(update.chunks),
                            json.dumps(update.meta, ensure_ascii=False)))
        docno = cur.lastrowid
        ids = self._term_ids(conn, {t for ts in terms for t in ts})
        rows = []
        df: Counter[str] = Counter()
        for c, ts in zip(update.chunks, terms, strict=True):
            df.update(set(ts))
            rows.append(((docno << _SHIFT) | c.ordinal, c.id, c.doc_id, c.ordinal, c.text, c.section, c.start,
                         c.end, c.title, c.year or 0, " ".join(f"t{ids[t]}" for t in ts), len(ts), c.page or 0,
                         ";".join(f"{o}:{p}" for o, p in c.page_marks), c.source_type))
        conn.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        conn.executemany("INSERT INTO fts (rowid, terms) VALUES (?, ?)", [(r[0], r[10]) for r in rows])
        conn.executemany("UPDATE vocab SET df = df + ? WHERE term = ?", [(v, t) for t, v in df.items()])

    def _remove(self, conn: sqlite3.Connection, doc_id: str) -> tuple[int, int]:
        docno = conn.execute("SELECT docno FROM docs WHERE doc_id=?", (doc_id,)).fetchone()[0]
        lo, hi = docno << _SHIFT, ((docno + 1) << _SHIFT) - 1
        rows = conn.execute("SELECT rowid, terms, length FROM chunks WHERE rowid BETWEEN ? AND ?", (lo, hi)).fetchall()
        conn.executemany("INSERT INTO fts (fts, rowid, terms) VALUES ('delete', ?, ?)", [r[:2] for r in rows])
        df: Counter[int] = Counter()
        for _, terms, _ in rows:
            df.update({int(t[1:]) for t in terms.split()})
        conn.executemany("UPDATE vocab SET df = df - ? WHERE id = ?", [(v, i) for i, v in df.items()])
        conn.execute("DELETE FROM chunks WHERE rowid BETWEEN ? AND ?", (lo, hi))
        conn.execute("DELETE FROM docs WHERE docno=?", (docno,))
        return len(rows), sum(r[2] for r in rows)

    def clear(self) -> None:
        """Forget everything (the next sync rebuilds from the store)."""
        conn = self._conn()
        with self._write_lock, self._clear_errors():
            conn.execute("BEGIN IMMEDIATE")
            try:
                for table in ("docs", "chunks", "vocab", "meta"):
                    conn.execute(f"DELETE FROM {table}")
                conn.execute("INSERT INTO doc_log (doc_id) VALUES (NULL)")  # followers: read everything again
                conn.execute("INSERT INTO fts (fts) VALUES ('delete-all')")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    # -- querying --------------------------------------------------------------------------------
    def search(self, query: str, k: int, doc_ids: list[str] | None = None) -> list[tuple[Chunk, float]]:
        """Top ``k`` chunks by BM25, optionally only of ``doc_ids``; chunks scoring 0 are left out."""
        tokens = tokenize(query)
        if not tokens or k <= 0:
            return []
        conn = self._conn()
        conn.execute("BEGIN")  # one snapshot for every read below
        try:
            n, avgdl = self._totals(conn)
            found = _lookup(conn, "SELECT term, id, df FROM vocab WHERE term IN ({})", list(set(tokens)))
            weights: Counter[int] = Counter()  # a term asked twice counts twice, as in bm25s
            dfs: dict[int, int] = {}
            for t in tokens:
                if t in found and found[t][1] > 0:
                    i, df = found[t]
                    dfs[i] = df
                    weights[i] += _idf(df, n)
            if not weights:
                return []
            if doc_ids is not None and len(doc_ids) <= self.MEMORY_SCOPE_DOCS:
                # A few reports: their rows from memory, those holding a question term.
                rows = [(r, tf) for doc in self._docs(conn, doc_ids)
                        for r, tf in zip(doc.rows, doc.tfs, strict=True) if not tf.keys().isdisjoint(weights)]
            else:
                if doc_ids is not None:
                    rowids = self._scoped_candidates(conn, list(weights), doc_ids)
                else:
                    rowids = self._candidates(conn, list(weights), dfs, n, max(10 * k, 200))
                found_rows = _lookup(conn, f"SELECT rowid, terms, length, {_COLS} FROM chunks WHERE rowid IN ({{}})",
                                     rowids, key=False) if rowids else []
                needles = [(i, f" t{i} ") for i in weights]
                rows = [(r, _counts(r[1], needles)) for r in found_rows]
            if not rows:
                return []
            if doc_ids is not None and self.scope_statistics:
                weights, avgdl = self._scope_weights(conn, tokens, found, [tf for _, tf in rows], doc_ids)
        finally:
            conn.execute("COMMIT")
        scored = []
        items = list(weights.items())
        for row, counts in rows:
            norm = K1 * (1 - B + B * row[2] / avgdl)
            s = 0.0
            for i, w in items:
                tf = counts.get(i)
                if tf:
                    s += w * tf / (tf + norm)
            if s > 0:
                scored.append((s, row[3], row[4], row))  # doc_id, ordinal: ties in a stable order
        scored.sort(key=lambda x: (-x[0], x[1], x[2]))
        return [(_chunk(r[3:]), float(s)) for s, _, _, r in scored[:k]]

    def _scope_weights(self, conn: sqlite3.Connection, tokens: list[str], found: dict, tfs: list[dict[int, int]],
                       doc_ids: list[str]) -> tuple[Counter[int], float]:
        """Term weights and average chunk length over the scoped reports only. ``tfs`` are the term
        frequencies (of the question's terms at least) of every chunk of those reports that holds a
        question term, so each question term's document frequency within the scope is counted exactly."""
        n_chunks, n_terms = 0, 0
        lengths = self._lengths_cache  # a report's token count, under its number and content hash
        for docno, count, doc_hash in _lookup(conn, "SELECT docno, n_chunks, doc_hash FROM docs WHERE doc_id IN ({})",
                                              list(dict.fromkeys(doc_ids)), key=False):
            n_chunks += count
            if (docno, doc_hash) not in lengths:
                if len(lengths) >= 100_000:
                    lengths.clear()
                lengths[docno, doc_hash] = conn.execute(
                    "SELECT COALESCE(SUM(length), 0) FROM chunks WHERE rowid BETWEEN ? AND ?",
                    (docno << _SHIFT, ((docno + 1) << _SHIFT) - 1)).fetchone()[0]
            n_terms += lengths[docno, doc_hash]
        df: Counter[int] = Counter()
        for tf in tfs:
            df.update(tf.keys())
        weights: Counter[int] = Counter()
        for t in tokens:
            if t in found and df[found[t][0]]:
                weights[found[t][0]] += _idf(df[found[t][0]], n_chunks)
        return weights, (n_terms / n_chunks if n_chunks else 1.0)

    def _scoped_candidates(self, conn: sqlite3.Connection, ids: list[int], doc_ids: list[str]) -> list[int]:
        docnos = [r[0] for r in _lookup(conn, "SELECT docno FROM docs WHERE doc_id IN ({})",
                                        list(dict.fromkeys(doc_ids)), key=False)]
        match = " OR ".join(f"t{i}" for i in ids)
        out: list[int] = []
        for d in docnos:
            out.extend(r[0] for r in conn.execute(
                "SELECT rowid FROM fts WHERE fts MATCH ? AND rowid BETWEEN ? AND ?",
                (match, d << _SHIFT, ((d + 1) << _SHIFT) - 1)))
        return out

    def _candidates(self, conn: sqlite3.Connection, ids: list[int], dfs: dict[int, int], n: int,
                    limit: int) -> list[int]:
        rare = [i for i in ids if dfs[i] <= _COMMON * n] or [min(ids, key=lambda i: dfs[i])]
        match = " OR ".join(f"t{i}" for i in rare)
        return [r[0] for r in conn.execute(
            "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT ?", (match, limit))]

    def idf(self, term: str) -> float:
        """BM25 idf of a term over chunks; unseen terms get the highest weight (they are the rarest)."""
        conn = self._conn()
        row = conn.execute("SELECT df FROM vocab WHERE term=?", (term.lower(),)).fetchone()
        df, n = (row[0] if row else 0), max(self.n_chunks(), 1)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def uses(self, word: str) -> bool:
        """Whether some chunk has ``word`` as a token (the vocabulary alone: one indexed lookup)."""
        row = self._conn().execute("SELECT df FROM vocab WHERE term=?", (word.lower(),)).fetchone()
        return bool(row and row[0] > 0)

    def mentions(self, word: str) -> bool:
        """Whether the corpus text names ``word``. In a small corpus: somewhere other than inside a longer
        quoted name (晋江 in “晋江经验” names a model, not the place); in a large one, a token of some chunk
        (jieba's search mode also indexes the parts of long words, so 北京 is found in 北京市)."""
        if self.n_chunks() > 5000:
            return self.uses(word)
        rows = self._conn().execute("SELECT text FROM chunks WHERE instr(text, ?) > 0", (word,)).fetchall()
        return any(_named_apart(text, word) for (text,) in rows)

    def chunks_of(self, doc_ids: list[str]) -> list[Chunk]:
        """The chunks of these (complete) documents, document by document in the order given."""
        out: list[Chunk] = []
        for doc in self._docs(self._conn(), doc_ids):
            out.extend(doc.chunks)
        return out

    def _docs(self, conn: sqlite3.Connection, doc_ids: list[str]) -> list[_DocRows]:
        """These documents' rows, in the order given, from memory under each one's number and content hash,
        which any rewrite of it (here or by another process) changes. Answering reads the same few
        reports several times a question: their chunks, and the lexical search of their rows, which
        needs no full-text query when each row's term ids are at hand."""
        wanted = list(dict.fromkeys(doc_ids))
        found = {r[0]: (r[1], r[2]) for r in _lookup(conn, "SELECT doc_id, docno, doc_hash FROM docs WHERE doc_id IN ({})",
                                                     wanted, key=False)}
        cache = self._doc_cache
        out = []
        for d in wanted:
            if d not in found:
                continue
            docno, doc_hash = found[d]
            key = (d, docno, doc_hash)
            doc = cache.get(key)
            if doc is None:  # the document's rowid range: an index lookup, not a scan of every chunk
                rows = conn.execute(f"SELECT rowid, terms, length, {_COLS} FROM chunks WHERE rowid BETWEEN ? AND ? "
                                    "ORDER BY rowid", (docno << _SHIFT, ((docno + 1) << _SHIFT) - 1)).fetchall()
                doc = _DocRows(rows=tuple(rows), tfs=tuple(_term_counts(r[1]) for r in rows),
                               chunks=tuple(_chunk(r[3:]) for r in rows))
                if len(cache) >= self.CHUNKS_CACHE_DOCS:
                    cache.clear()
                cache[key] = doc
            out.append(doc)
        return out

    def holds(self, chunk: Chunk) -> bool:
        """Is this exact chunk (id and text) indexed? A chunk of a newer version of a document, written
        by another process and not yet complete, is not."""
        row = self._conn().execute("SELECT text FROM chunks WHERE chunk_id=?", (chunk.id,)).fetchone()
        return bool(row) and row[0] == chunk.text

    def held(self, chunks: list[Chunk]) -> set[str]:
        """Ids of those of ``chunks`` that ``holds`` (one query for many)."""
        found = _lookup(self._conn(), "SELECT chunk_id, text FROM chunks WHERE chunk_id IN ({})",
                        [c.id for c in chunks])
        return {c.id for c in chunks if found.get(c.id) == c.text}


def _term_counts(terms: str) -> dict[int, int]:
    """A chunk's term frequencies by term id, from its ``terms`` column (space-separated ``t<id>``)."""
    return dict(Counter(int(t[1:]) for t in terms.split()))


def _counts(terms: str, needles: list[tuple[int, str]]) -> dict[int, int]:
    """The frequencies of a few terms (id, `` t<id> ``) in a chunk's ``terms`` column, by a C-level count
    per term: a row read for one question is not parsed whole."""
    padded = " " + terms.replace(" ", "  ") + " "  # every id between its own spaces: no overlaps
    return {i: n for i, needle in needles if (n := padded.count(needle))}


def _idf(df: int, n: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _lookup(conn: sqlite3.Connection, sql: str, keys: list, key: bool = True):
    """Run ``sql`` with ``IN ({})`` over ``keys`` in parts; a dict by first column, or the rows."""
    rows: list[tuple] = []
    for s in range(0, len(keys), 500):
        part = keys[s : s + 500]
        rows.extend(conn.execute(sql.format(",".join("?" * len(part))), part).fetchall())
    if not key:
        return rows
    return {r[0]: (r[1:] if len(r) > 2 else r[1]) for r in rows}


_OPEN, _CLOSE = "“《「", "”》」"


def _named_apart(text: str, word: str) -> bool:
    """Whether ``text`` names ``word`` once other than inside a longer quoted name or title."""
    start = text.find(word)
    while start >= 0:
        opened = max(text.rfind(o, 0, start) for o in _OPEN)
        closed = max(text.rfind(c, 0, start) for c in _CLOSE)
        if opened <= closed:
            return True  # not inside quotes
        end = min((i for i in (text.find(c, start) for c in _CLOSE) if i >= 0), default=-1)
        if end >= 0 and text[opened + 1 : end] == word:
            return True  # the quoted name is the word itself (“晋江经验” asked as 晋江经验)
        start = text.find(word, start + 1)
    return False

