"""The pipeline against a real ``chroma run`` server: same answers as the embedded store, changes made by
another process show up, an outage is a clear and quick error, and the same Pipeline recovers after a
restart. Two shipped reports keep the embedding time low; the server pipeline reuses the embedded
pipeline's vector cache (same index_dir), so nothing is embedded twice.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from rag.pipeline import Pipeline
from tests.conftest import GAOYANG_REPORT, REPO, REPORTS, make_settings
from tests.web_helpers import free_port
from vectorstore.base import StoreUnavailable
from vectorstore.chroma import ChromaChunkStore

pytestmark = pytest.mark.slow

DOCS = ("huqiu-2024", "licheng-2024")
NEW_DOC = "gaoyang-2024"
NEW_QUESTION = "高阳镇2024年共办理了多少件法律援助案件？"


def _chroma_exe() -> str:
    exe = Path(sys.executable).with_name("chroma")
    return str(exe) if exe.exists() else (shutil.which("chroma") or "chroma")


class ChromaServer:
    """``chroma run`` on a loopback port; stop and start again on the same port and path."""

    def __init__(self, path: Path, port: int) -> None:
        self.path, self.port, self.proc = path, port, None
        self.log = path.with_suffix(".log")

    def start(self, timeout_s: float = 30.0) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [_chroma_exe(), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"chroma did not come up on port {self.port}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db", free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def docs_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("two-reports")
    for name in DOCS:
        shutil.copy(REPORTS / f"{name}.txt", d)
    return d


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("server-index")


@pytest.fixture(scope="module")
def embedded(docs_dir, index_dir) -> Pipeline:
    pipe = Pipeline(make_settings(index_dir, data_dir=docs_dir))
    report = pipe.ingest()
    assert sorted(report.added) == sorted(DOCS)
    return pipe


@pytest.fixture(scope="module")
def remote(embedded, server, docs_dir, index_dir) -> Pipeline:
    settings = make_settings(index_dir, data_dir=docs_dir, chroma_host="127.0.0.1", chroma_port=server.port,
                             chroma_timeout_s=2.0)
    pipe = Pipeline(settings)
    report = pipe.ingest()
    assert sorted(report.added) == sorted(DOCS)
    assert report.chunks_embedded == 0  # every vector came from the embedded run's cache
    assert pipe.store.where == f"http://127.0.0.1:{server.port}"
    return pipe


def _questions() -> list[str]:
    rows = [json.loads(line) for line in (REPO / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    picked = [r["question"] for r in rows if r["doc"] in DOCS][::10]
    return [*picked, "虎邱镇和鲤城区2024年各开展了哪些法治宣传活动？", "厦门市思明区2024年的GDP是多少？"]


def _essence(result: dict) -> dict:
    return {
        "answer": result["answer"],
        "refused": result["refused"],
        "citations": [(c["doc"], c["section"], c["quote"]) for c in result["citations"]],
        "retrieved": [r["chunk_id"] for r in result["retrieved"]],
    }


def _wait_for(predicate, timeout_s: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if predicate():
            return time.monotonic() - t0
        time.sleep(0.25)
    raise AssertionError(f"condition not met within {timeout_s} s")


def test_server_answers_like_the_embedded_store(embedded, remote):
    assert remote.store.count() == embedded.store.count() > 0
    assert [d["doc_id"] for d in remote.documents()] == sorted(DOCS)
    cited = 0
    for q in _questions():
        here, there = _essence(embedded.ask(q).to_dict()), _essence(remote.ask(q).to_dict())
        assert there == here, q
        cited += bool(there["citations"])
    assert cited >= len(_questions()) // 2, "most questions should get a cited answer"


def test_changes_by_another_process_reach_the_lexical_index(remote, server, tmp_path):
    assert all(s.chunk.doc_id != NEW_DOC for s in remote.search(NEW_QUESTION).chunks)
    catalog = remote.catalog
    read, full = catalog.entries_read, catalog.full_reads
    new = tmp_path / f"{NEW_DOC}.txt"
    new.write_text(GAOYANG_REPORT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_CHROMA_HOST="127.0.0.1", RAG_CHROMA_PORT=str(server.port), RAG_INDEX_DIR=str(tmp_path / "idx"))
    subprocess.run([sys.executable, "-m", "rag", "ingest", str(new)], env=env, cwd=tmp_path, check=True,
                   capture_output=True, timeout=120)

    def sees_new() -> bool:
        hits = remote.search(NEW_QUESTION, k=5).chunks
        return bool(hits) and hits[0].chunk.doc_id == NEW_DOC

    _wait_for(sees_new, timeout_s=3 * Pipeline.SYNC_INTERVAL_S + 2)
    assert NEW_DOC in [d["doc_id"] for d in remote.documents()]
    assert "4321件" in remote.ask(NEW_QUESTION).answer
    assert NEW_DOC in remote.lexical.doc_ids()
    # The catalog and the place resolver took in the one new report, not the whole catalog again.
    assert (catalog.entries_read - read, catalog.full_reads) == (1, full)
    assert remote.retriever.resolver.resolve(NEW_QUESTION).doc_ids == [NEW_DOC]

    # Another writer removes it again: the first pipeline's lexical index and catalog follow.
    ChromaChunkStore.server("127.0.0.1", server.port, remote.embeddings.name).delete_document(NEW_DOC)
    _wait_for(lambda: NEW_DOC not in remote.lexical.doc_ids() | {d["doc_id"] for d in remote.documents()},
              timeout_s=3 * Pipeline.SYNC_INTERVAL_S + 2)
    assert all(s.chunk.doc_id != NEW_DOC for s in remote.search(NEW_QUESTION).chunks)
    assert (catalog.entries_read - read, catalog.full_reads) == (1, full)  # a removal reads no entry
    assert remote.retriever.resolver.resolve(NEW_QUESTION).doc_ids is None


def test_outage_is_a_quick_clear_error_and_the_pipeline_recovers(remote, server):
    question = _questions()[1]
    before = _essence(remote.ask(question).to_dict())
    address = f"127.0.0.1:{server.port}"

    # A stalled server (process stopped, port still open): bounded by chroma_timeout_s, not a hang.
    # Vectors of a scoped question's report are cached, so the outage shows at the next store check
    # (every SYNC_INTERVAL_S), which is what this waits for.
    os.kill(server.proc.pid, signal.SIGSTOP)
    try:
        time.sleep(Pipeline.SYNC_INTERVAL_S + 0.1)
        t0 = time.monotonic()
        with pytest.raises(StoreUnavailable, match=address):
            remote.ask("虎邱镇政府的法律顾问是哪家律所？")  # a new question: its vector is not cached
        assert time.monotonic() - t0 < 10
    finally:
        os.kill(server.proc.pid, signal.SIGCONT)

    server.stop()
    for call in (lambda: remote.ask(question), lambda: remote.search(question), remote.documents):
        t0 = time.monotonic()
        with pytest.raises(StoreUnavailable, match=address):
            call()
        assert time.monotonic() - t0 < 10

    server.start()  # same port, same path: the data is still there
    assert _essence(remote.ask(question).to_dict()) == before
    assert [d["doc_id"] for d in remote.documents()] == sorted(DOCS)
