"""Faults, for real: ``rag ingest`` killed with SIGKILL mid-way, questions asked while another process
ingests, the Chroma server unreachable or stalled, the LLM endpoint down or slow behind the web API.

The corpora are copies of the shipped reports under other names, and every index starts from the session
index's vector cache, so nothing is embedded: what is measured is what the store holds.
"""

from __future__ import annotations

import html
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.ingest.document import parse_document
from rag.pipeline import Pipeline
from rag.web import messages
from tests.conftest import REPORTS, make_settings
from tests.llm_stub import StubLLM
from tests.web_helpers import app_server, fetch, free_port, server_settings
from vectorstore.base import StoreUnavailable

SHIPPED = sorted(p.stem for p in REPORTS.glob("*.txt"))
COPIES = ("a", "b")
N_FILES = len(SHIPPED) * len(COPIES)


# -- corpora and index checks -------------------------------------------------------------------------
def write_corpus(data: Path, rotate: int = 0) -> dict[str, str]:
    """Every shipped report twice (``anxi-2023-a.txt``, ``anxi-2023-b.txt`` …); ``rotate`` gives each file the text of
    another report, so a re-ingest rewrites every document. Returns {doc_id: shipped stem of its text}."""
    data.mkdir(parents=True, exist_ok=True)
    texts = {}
    for i, stem in enumerate(SHIPPED):
        source = SHIPPED[(i + rotate) % len(SHIPPED)]
        for c in COPIES:
            doc_id = f"{stem}-{c}"
            (data / f"{doc_id}.txt").write_bytes((REPORTS / f"{source}.txt").read_bytes())
            texts[doc_id] = source
    return texts


def seed_cache(index_dir: Path, shipped_index_dir: Path) -> None:
    """The session index's vector cache (an online copy: it is in WAL mode)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(shipped_index_dir / "embedding-cache.sqlite")
    dst = sqlite3.connect(index_dir / "embedding-cache.sqlite")
    with dst:
        src.backup(dst)
    src.close()
    dst.close()


_EXPECTED: dict[tuple[str, str], dict[str, str]] = {}


def expected_chunks(path: Path, doc_id: str) -> dict[str, str]:
    """{chunk id: text} of a file as a clean ingest writes it."""
    data = path.read_bytes()
    key = (doc_id, data.decode("utf-8"))
    if key not in _EXPECTED:
        parsed = parse_document(path)
        assert parsed.doc_id == doc_id
        _EXPECTED[key] = {c.id: c.text for c in parsed.chunks}
    return _EXPECTED[key]


def index_state(pipe: Pipeline) -> dict:
    """Everything the store and the lexical index hold, checked for internal consistency:
    chunk ids unique, every visible document complete, the lexical index equal to the store."""
    raw = pipe.store.collection.get(include=["metadatas", "documents"])
    ids = raw["ids"]
    assert len(ids) == len(set(ids)), "duplicate chunk ids"
    records = pipe.store.documents()
    visible = pipe.store.all_chunks()
    by_doc: dict[str, dict[str, str]] = {}
    for c in visible:
        by_doc.setdefault(c.doc_id, {})[c.id] = c.text
    complete = {d for d, r in records.items() if r.complete}
    assert set(by_doc) == complete, "only complete documents are visible"
    for doc_id in complete:
        assert len(by_doc[doc_id]) == records[doc_id].n_chunks
        assert sorted(by_doc[doc_id]) == [f"{doc_id}#{i:04d}" for i in range(records[doc_id].n_chunks)]
    pipe.indexer.sync_lexical()
    lexical = {c.id: c.text for c in pipe.lexical.chunks}
    assert lexical == {c.id: c.text for c in visible}, "the lexical index equals the store"
    assert {d["doc_id"] for d in pipe.documents()} == complete
    return {"records": records, "chunks": by_doc, "raw_count": len(ids)}


def assert_documents_are(state: dict, data: Path, allowed_versions: dict[str, list[dict[str, str]]] | None = None,
                         require_all: bool = True) -> None:
    """Each visible document holds exactly the chunks of one whole version of its file."""
    files = {p.stem: p for p in data.glob("*.txt")}
    for doc_id, chunks in state["chunks"].items():
        versions = (allowed_versions or {}).get(doc_id) or [expected_chunks(files[doc_id], doc_id)]
        assert chunks in versions, f"{doc_id} is not one whole version of its file"
    if require_all:
        assert set(state["chunks"]) == set(files)
        incomplete = [d for d, r in state["records"].items() if not r.complete]
        assert not incomplete, incomplete
        assert state["raw_count"] == sum(r.n_chunks for r in state["records"].values()), "no stray chunks"


def snapshot(pipe: Pipeline) -> list[tuple]:
    raw = pipe.store.collection.get(include=["metadatas", "documents", "embeddings"])
    rows = []
    for i, doc, meta, vec in zip(raw["ids"], raw["documents"], raw["metadatas"], raw["embeddings"], strict=True):
        rows.append((i, doc, tuple(sorted(meta.items())), tuple(round(float(x), 5) for x in vec)))
    return sorted(rows)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", **extra)
    return env


class IngestProcess:
    """``python -m rag --index-dir X ingest DIR`` with its progress bar followed from stderr."""

    PROGRESS = re.compile(r"(\d+)/(\d+) \[")

    def __init__(self, index_dir: Path, data: Path, cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rag", "--index-dir", str(index_dir), "ingest", str(data)],
            cwd=cwd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.err = bytearray()
        self.out = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        while block := self.proc.stderr.read1(4096):
            self.err.extend(block)

    def progress(self) -> tuple[int, int]:
        found = self.PROGRESS.findall(self.err.decode("utf-8", "replace"))
        return (int(found[-1][0]), int(found[-1][1])) if found else (-1, -1)

    def wait_for(self, done: int, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while self.progress()[0] < done:
            assert self.proc.poll() is None, self.err.decode("utf-8", "replace")[-2000:]
            assert time.monotonic() < deadline, f"no progress to {done}: {self.err[-500:]!r}"
            time.sleep(0.005)

    def kill(self) -> int:
        os.kill(self.proc.pid, signal.SIGKILL)
        rc = self.proc.wait(timeout=30)
        self._reader.join(timeout=5)
        return rc

    def finish(self, timeout_s: float = 180) -> int:
        self.out, _ = self.proc.communicate(timeout=timeout_s)
        self._reader.join(timeout=5)
        return self.proc.returncode


# -- SIGKILL mid-ingest ---------------------------------------------------------------------------------
KILLS = {
    # (rotate before the killed run, files done when the kill is sent; -1: after the last file)
    "first-ingest-at-file-4": (None, 3),
    "rewrite-of-every-document-at-file-6": (2, 5),
    "after-the-last-file": (None, -1),
}


@pytest.mark.parametrize("case", list(KILLS))
def test_sigkill_mid_ingest_loses_nothing_and_the_next_run_completes(case, pipeline, shipped_index_dir, tmp_path):
    rotate, at = KILLS[case]
    data = tmp_path / "data"
    index = tmp_path / "idx"
    seed_cache(index, shipped_index_dir)
    write_corpus(data)
    versions: dict[str, list[dict[str, str]]] = {}
    if rotate is not None:
        # A complete index of the first version; the killed run rewrites every document.
        first = Pipeline(make_settings(index, data_dir=data)).ingest([data])
        assert len(first.added) == N_FILES and first.chunks_embedded == 0
        old = {p.stem: expected_chunks(p, p.stem) for p in data.glob("*.txt")}
        write_corpus(data, rotate=rotate)
        versions = {d: [old[d], expected_chunks(data / f"{d}.txt", d)] for d in old}

    run = IngestProcess(index, data, tmp_path)
    run.wait_for(N_FILES if at < 0 else at)
    rc = run.kill()
    assert rc == -signal.SIGKILL, f"the ingest ended before the kill: {run.err[-300:]!r}"

    # Right after the kill: whatever is visible is whole, nothing is half there.
    after_kill = Pipeline(make_settings(index, data_dir=data))
    state = index_state(after_kill)
    assert_documents_are(state, data, versions, require_all=False)
    hidden = [d for d, r in state["records"].items() if not r.complete]
    print(f"fault {case}: killed at {run.progress()}, {len(state['chunks'])} documents visible and whole, "
          f"{len(hidden)} hidden (incomplete)")

    # The next run completes the index: every document whole, once, the same as a clean run.
    again = Pipeline(make_settings(index, data_dir=data)).ingest([data])
    assert not again.skipped and again.chunks_embedded == 0
    final = Pipeline(make_settings(index, data_dir=data))
    assert_documents_are(index_state(final), data)
    rerun = Pipeline(make_settings(index, data_dir=data)).ingest([data])
    assert not rerun.changed and len(rerun.unchanged) == N_FILES  # the repaired index is up to date

    clean_index = tmp_path / "clean"
    seed_cache(clean_index, shipped_index_dir)
    clean = Pipeline(make_settings(clean_index, data_dir=data))
    clean.ingest([data])
    assert snapshot(final) == snapshot(clean)
    question = "虎邱镇聘请了哪家律师事务所担任法律顾问？"
    assert final.ask(question).answer == clean.ask(question).answer


def test_repeated_sigkill_at_random_moments(pipeline, shipped_index_dir, tmp_path):
    """Five runs, each rewriting every document, each killed a random moment after it starts writing:
    after every kill each visible document is one whole version; the sixth run completes the index."""
    rng = random.Random(7)
    data = tmp_path / "data"
    index = tmp_path / "idx"
    seed_cache(index, shipped_index_dir)
    write_corpus(data)
    Pipeline(make_settings(index, data_dir=data)).ingest([data])
    versions: dict[str, list[dict[str, str]]] = {}
    for rotate in range(len(SHIPPED)):
        write_corpus(data, rotate=rotate)
        for p in data.glob("*.txt"):
            versions.setdefault(p.stem, []).append(expected_chunks(p, p.stem))
    hidden_seen = 0
    for attempt in range(5):
        write_corpus(data, rotate=attempt + 1)
        run = IngestProcess(index, data, tmp_path)
        run.wait_for(1)
        time.sleep(rng.uniform(0.0, 0.4))
        rc = run.kill()
        state = index_state(Pipeline(make_settings(index, data_dir=data)))
        assert_documents_are(state, data, versions, require_all=False)
        hidden = sum(1 for r in state["records"].values() if not r.complete)
        hidden_seen += hidden
        print(f"fault random-kill-{attempt}: rc {rc} at {run.progress()}, {len(state['chunks'])} whole, {hidden} hidden")
    report = Pipeline(make_settings(index, data_dir=data)).ingest([data])
    assert not report.skipped and report.chunks_embedded == 0
    assert_documents_are(index_state(Pipeline(make_settings(index, data_dir=data))), data)


# -- questions while another process ingests -------------------------------------------------------------
QUESTIONS = [
    "德化县2024年办理了多少件法律援助案件？",
    "虎邱镇聘请了哪家律师事务所担任法律顾问？",
    "安溪县2023年行政诉讼一审败诉率是多少？",
    "鲤城区2024年排查了多少件矛盾纠纷？",
    "石狮市2024年合法性审查了多少件法律事务？",
    "法律援助",
]


def test_questions_during_an_ingest_see_only_whole_documents(pipeline, shipped_index_dir, tmp_path):
    data = tmp_path / "data"
    index = tmp_path / "idx"
    seed_cache(index, shipped_index_dir)
    write_corpus(data)
    reader = Pipeline(make_settings(index, data_dir=data))
    reader.ingest([data])
    old = {p.stem: expected_chunks(p, p.stem) for p in data.glob("*.txt")}
    write_corpus(data, rotate=1)  # every document is rewritten by the other process
    new = {p.stem: expected_chunks(p, p.stem) for p in data.glob("*.txt")}
    for i in range(2):  # and two documents are added
        shutil.copy(REPORTS / f"{SHIPPED[i]}.txt", data / f"new-{i}.txt")
        new[f"new-{i}"] = expected_chunks(data / f"new-{i}.txt", f"new-{i}")

    writer = IngestProcess(index, data, tmp_path)
    asked, seen_new, errors = 0, set(), []
    deadline = time.monotonic() + 120
    while writer.proc.poll() is None and time.monotonic() < deadline:
        for q in QUESTIONS:
            try:
                result = reader.ask(q)
            except Exception as exc:  # any exception is a failure; collect them to report all
                errors.append(f"{q}: {exc.__class__.__name__}: {exc}")
                continue
            asked += 1
            by_doc: dict[str, dict[str, str]] = {}
            for hit in result.retrieved:
                by_doc.setdefault(hit.chunk.doc_id, {})[hit.chunk.id] = hit.chunk.text
            for c in result.citations:
                by_doc.setdefault(c.doc, {})[c.chunk_id] = c.text
            for doc_id, chunks in by_doc.items():
                versions = [v for v in (old.get(doc_id), new.get(doc_id)) if v]
                # Every chunk of a document in one answer comes from one whole version of it.
                assert any(all(v.get(k) == t for k, t in chunks.items()) for v in versions), (q, doc_id)
                if doc_id in new and all(new[doc_id].get(k) == t for k, t in chunks.items()):
                    seen_new.add(doc_id)
            for c in result.citations:
                assert all(q in c.text for q in c.quote.split("……"))
    assert writer.finish() == 0, writer.err.decode("utf-8", "replace")[-2000:]
    assert not errors, errors[:5]
    assert asked >= 6
    time.sleep(Pipeline.SYNC_INTERVAL_S)
    final = reader.ask(QUESTIONS[0])
    assert {r.chunk.doc_id for r in final.retrieved} <= set(new)
    state = index_state(reader)
    assert_documents_are(state, data)
    print(f"fault questions-during-ingest: {asked} answers checked, {len(seen_new)} rewritten documents seen")


def test_a_half_written_document_is_never_cited(pipeline, shipped_index_dir, tmp_path):
    """The state a writer leaves for a moment, or for good when killed: every chunk of a new version
    written except its head. A reader whose snapshot holds the old version keeps answering from it."""
    data = tmp_path / "data"
    index = tmp_path / "idx"
    seed_cache(index, shipped_index_dir)
    data.mkdir()
    shutil.copy(REPORTS / "dehua-2024.txt", data / "dehua-2024.txt")
    shutil.copy(REPORTS / "huqiu-2024.txt", data / "huqiu-2024.txt")
    class Reader(Pipeline):
        SYNC_INTERVAL_S = 3600.0  # looks at the store only when told to (ensure_index), not in between

    reader = Reader(make_settings(index, data_dir=data))
    reader.ingest([data])
    question = "德化县2024年办理了多少件法律援助案件？"
    before = reader.ask(question)
    assert "1332件" in before.answer

    # Another writer rewrites dehua-2024 with a new fact and stops before the head (ordinal 0).
    path = data / "dehua-2024.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("1332件", "7777件"), encoding="utf-8")
    parsed = parse_document(path)
    vectors = reader.indexer.embedder.embed_documents([c.embed_text for c in parsed.chunks])
    writer = Pipeline(make_settings(index, data_dir=data)).store
    writer.delete_document("dehua-2024")
    metas = [c.to_metadata("new-hash", len(parsed.chunks)) for c in parsed.chunks]
    rest = range(1, len(parsed.chunks))
    writer.collection.add(ids=[parsed.chunks[i].id for i in rest], embeddings=[vectors[i] for i in rest],
                          documents=[parsed.chunks[i].text for i in rest], metadatas=[metas[i] for i in rest])

    during = reader.ask(question)  # the reader's snapshot is not refreshed yet
    assert "7777" not in during.answer and all("7777" not in r.chunk.text for r in during.retrieved)
    assert during.answer == before.answer

    assert reader.ensure_index() is None  # the reader looks at the store: the half document disappears
    state = index_state(reader)
    assert set(state["chunks"]) == {"huqiu-2024"} and not state["records"]["dehua-2024"].complete
    after = reader.ask(question)
    assert all(r.chunk.doc_id != "dehua-2024" for r in after.retrieved) and "7777" not in after.answer

    report = reader.ingest([data])  # the next ingest repairs it
    assert report.updated == ["dehua-2024"] and report.unchanged == ["huqiu-2024"]
    assert_documents_are(index_state(reader), data)
    assert "7777件" in reader.ask(question).answer


# -- the Chroma server unreachable ---------------------------------------------------------------------
@pytest.fixture()
def black_hole() -> Iterator[int]:
    """A port that accepts connections and never answers (a stalled server, a wrong service)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.mark.parametrize("kind", ["closed", "black-hole"])
def test_chroma_server_down_is_a_clear_error_in_bounded_time(kind, request, tmp_path):
    port = free_port() if kind == "closed" else request.getfixturevalue("black_hole")
    settings = make_settings(tmp_path / "idx", chroma_host="127.0.0.1", chroma_port=port, chroma_timeout_s=2.0)
    pipe = Pipeline(settings)
    for call in (lambda: pipe.ask("虎邱镇聘请了哪家律师事务所？"), pipe.documents, lambda: pipe.ingest([REPORTS])):
        t0 = time.monotonic()
        with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{port}"):
            call()
        assert time.monotonic() - t0 < 8


def test_chroma_server_down_in_the_chat_and_the_api(pipeline, tmp_path):
    """RAG_CHROMA_HOST pointing at a closed port: the real server still starts, /api/ask is a 503 with
    a Chinese message, /api/health says what is wrong, and the chat shows the same message."""
    from rag.web.chat import respond

    port = free_port()
    settings = make_settings(tmp_path / "idx", chroma_host="127.0.0.1", chroma_port=port, chroma_timeout_s=2.0)
    down = Pipeline(settings)
    with app_server(down, settings) as base:
        t0 = time.monotonic()
        reply = fetch("POST", f"{base}/api/ask", {"question": "虎邱镇聘请了哪家律师事务所担任法律顾问？"})
        assert time.monotonic() - t0 < 10
        assert reply.status == 503 and reply.json()["error"] == messages.STORE_DOWN
        health = fetch("GET", f"{base}/api/health")
        assert health.status == 503 and health.json()["status"] == "unavailable"
        assert health.json()["error"] == messages.STORE_DOWN
        assert fetch("GET", f"{base}/api/docs").status == 503
        assert fetch("GET", f"{base}/").status == 200  # the page itself still loads
    *_, (chat, turns) = respond(down, "虎邱镇聘请了哪家律师事务所担任法律顾问？", [], [], None)
    assert messages.STORE_DOWN in html.unescape(chat[-1]["content"]) and 'class="rag-error"' in chat[-1]["content"]
    assert turns == []


# -- the LLM endpoint down or slow behind the API -------------------------------------------------------
def test_llm_down_or_slow_behind_the_api_falls_back_with_a_notice(pipeline, shipped_index_dir):
    question = "德化县2024年累计办理法律援助案件多少件？"
    with StubLLM() as stub:
        for mode, url, reason in (("down", "http://127.0.0.1:9/v1", "无法连接"), ("slow", stub.base_url, "响应超时"),
                                  ("error", stub.base_url, "HTTP 500")):
            stub.mode = mode
            settings = server_settings(pipeline, llm_base_url=url, llm_model="stub", llm_timeout_s=2.0)
            with app_server(Pipeline(settings), settings) as base:
                t0 = time.monotonic()
                reply = fetch("POST", f"{base}/api/ask", {"question": question})
                elapsed = time.monotonic() - t0
            assert reply.status == 200, (mode, reply.body[:300])
            result = reply.json()
            assert elapsed < 15, mode
            assert result["answerer"] == "extractive-fallback" and reason in result["notice"], (mode, result["notice"])
            assert "1332件" in result["answer"] and result["citations"][0]["doc"] == "dehua-2024"

