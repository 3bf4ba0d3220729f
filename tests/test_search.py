"""Retrieval over the session index of the shipped corpus, the CLI's search/docs output, and the Chroma
collection's configuration (no embedding function of its own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rag.cli import main as rag_main
from vectorstore.chroma import ChromaChunkStore

FACTS = [
    # (question, document, text the rank-1 chunk must contain)
    ("虎邱镇聘请了哪家律师事务所担任法律顾问", "huqiu-2024", "福建铭群律师事务所"),
    ("虎邱镇人民调解委员会调处了多少宗矛盾纠纷", "huqiu-2024", "累计调处各类矛盾纠纷136宗"),
    ("鲤城区海丝金融巡回法庭受理了多少件金融案件", "licheng-2024", "受理金融案件210件"),
    ("鲤城区行政诉讼败诉率是多少", "licheng-2024", "败诉率1.37%"),
    ("石狮市审结了多少件知识产权纠纷", "shishi-2024", "审结知识产权纠纷1061件"),
    ("石狮市修复了多少家企业信用", "shishi-2024", "修复1015家企业信用"),
    ("德化县2024年新增专利授权多少件", "dehua-2024", "新增专利授权1924件"),
    ("德化县法院受理知识产权案件多少件", "dehua-2024", "受理知识产权案件1179件"),
    ("安溪县培育了多少名法律明白人", "anxi-2023", "“法律明白人”6229名"),
    ("安溪县有多少名律师担任村居法律顾问", "anxi-2023", "38名律师"),
]


@pytest.mark.parametrize("question,doc,fact", FACTS, ids=[f"{d}-{i}" for i, (_, d, _) in enumerate(FACTS)])
def test_fact_question_finds_its_chunk_at_rank_1(pipeline, question, doc, fact):
    hits = pipeline.search(question, k=5).chunks
    assert hits, question
    top = hits[0].chunk
    assert (top.doc_id, fact in top.text) == (doc, True), [(h.chunk.doc_id, h.chunk.text[:40]) for h in hits]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_search_restricted_to_documents(pipeline):
    hits = pipeline.search("虎邱镇聘请了哪家律师事务所担任法律顾问", k=5, doc_ids=["shishi-2024"]).chunks
    assert hits and {h.chunk.doc_id for h in hits} == {"shishi-2024"}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    return env


def test_cli_search_json(pipeline, shipped_index_dir, tmp_path):
    question = "虎邱镇聘请了哪家律师事务所担任法律顾问"
    proc = subprocess.run(
        [sys.executable, "-m", "rag", "--index-dir", str(shipped_index_dir), "search", question, "-k", "3", "--json"],
        capture_output=True, text=True, encoding="utf-8", timeout=180, cwd=tmp_path, env=_env(), check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)  # the whole of stdout is one JSON document
    assert out["question"] == question
    rows = out["retrieved"]
    assert len(rows) == 3
    top = rows[0]
    assert top["doc"] == "huqiu-2024" and "福建铭群律师事务所" in top["text"]
    assert top["chunk_id"].startswith("huqiu-2024#")
    assert top["section"] == "一、聚焦政治统领，坚定法治政府正确方向 > （三）完善法治政府建设推进落实机制"
    assert top["title"] == "虎邱镇2024年度法治政府建设情况的报告"
    assert all(isinstance(r["score"], float) for r in rows)


def test_cli_docs_lists_the_five_reports(pipeline, shipped_index_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no .env of a developer's checkout
    assert rag_main(["--index-dir", str(shipped_index_dir), "docs", "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert [d["doc_id"] for d in docs] == ["anxi-2023", "dehua-2024", "huqiu-2024", "licheng-2024", "shishi-2024"]
    assert all(d["chunks"] > 10 and d["title"] for d in docs)
    assert rag_main(["--index-dir", str(shipped_index_dir), "docs"]) == 0
    listing = capsys.readouterr().out
    assert sum("chunks]" in line for line in listing.splitlines()) == 5
    assert "狮政综〔2025〕5号" in listing and "虎邱镇" in listing


def test_cli_docs_on_an_empty_index(tmp_path, monkeypatch, capsys):
    # An index built from an empty folder lists no documents. (An index never built at all is a clear
    # error, exit 3: tests/test_security.py::test_missing_index_gives_a_clear_error.)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "no-reports").mkdir()
    assert rag_main(["--index-dir", str(tmp_path / "empty"), "ingest", str(tmp_path / "no-reports")]) == 0
    capsys.readouterr()
    assert rag_main(["--index-dir", str(tmp_path / "empty"), "docs", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_collection_has_no_embedding_function(pipeline, shipped_index_dir):
    stores = [pipeline.store, ChromaChunkStore.persistent(shipped_index_dir / "chroma", pipeline.embeddings.name)]
    for store in stores:
        col = store.collection
        before = col.count()
        assert before > 100
        with pytest.raises(ValueError, match="(?i)embedding function"):
            col.query(query_texts=["法律援助"], n_results=1)
        with pytest.raises(ValueError, match="(?i)embedding function"):
            col.add(ids=["probe#0000"], documents=["没有向量的文本"], metadatas=[{"doc_id": "probe", "ordinal": 1}])
        assert col.count() == before
        assert col.get(ids=["probe#0000"])["ids"] == []
