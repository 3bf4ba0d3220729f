"""The SQLite lexical index: the same BM25 as bm25s (the library it replaced, used here as the oracle),
grown and shrunk one document at a time to exactly the state a fresh build reaches, and tokenising only
what changed."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

import bm25s
import numpy as np
import pytest

import rag.retrieval.lexical as lexical_mod
from rag.retrieval.lexical import DocUpdate, LexicalIndex, chunk_terms
from rag.retrieval.tokenize import tokenize
from tests.conftest import REPO


def _questions() -> list[dict]:
    lines = (REPO / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines][::3]


def _docs(q: dict) -> list[str]:
    return q["doc"] if isinstance(q["doc"], list) else [q["doc"]]


def test_scores_equal_bm25s_over_the_shipped_corpus(pipeline):
    chunks = list(pipeline.lexical.chunks)
    assert len(chunks) == len(pipeline.lexical.chunks) > 100
    oracle = bm25s.BM25(k1=1.2, b=0.75)
    oracle.index([chunk_terms(c) for c in chunks], show_progress=False)
    compared = 0
    for q in _questions():
        tokens = [t for t in tokenize(q["question"]) if t in oracle.vocab_dict]
        if not tokens:
            continue
        scores = oracle.get_scores(tokens)
        for scope in (None, _docs(q)):
            s = scores if scope is None else np.where([c.doc_id in scope for c in chunks], scores, 0.0)
            top = [i for i in np.argsort(-s, kind="stable")[:10] if s[i] > 0]
            got = pipeline.lexical.search(q["question"], 10, scope)
            assert [c.id for c, _ in got] == [chunks[i].id for i in top], (q["question"], scope)
            assert np.allclose([x for _, x in got], [s[i] for i in top], rtol=1e-4)
            compared += 1
    assert compared > 150


def _state(index: LexicalIndex) -> dict:
    conn = sqlite3.connect(index.path)
    vocab = {t: df for t, df in conn.execute("SELECT term, df FROM vocab") if df > 0}
    meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('n_chunks', 'n_terms')"))
    conn.close()
    return {"vocab": vocab, "meta": meta, "chunks": [(c.id, c.text) for c in index.chunks],
            "docs": index.documents()}


def test_one_document_at_a_time_reaches_the_state_of_a_fresh_build(pipeline, tmp_path, monkeypatch):
    chunks = list(pipeline.lexical.chunks)
    by_doc: dict[str, list] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    docs = sorted(by_doc)
    changed = [replace(c, text=c.text + " 新增段落：人民调解委员会调解纠纷九百件。") for c in by_doc[docs[0]]]

    tokenised: list[str] = []

    def counting(chunk):
        tokenised.append(chunk.id)
        return chunk_terms(chunk)

    monkeypatch.setattr(lexical_mod, "chunk_terms", counting)
    grown = LexicalIndex(tmp_path / "grown")
    for d in docs:
        grown.apply([DocUpdate(d, "v1", by_doc[d], {"title": d})])
    assert len(tokenised) == len(chunks)
    tokenised.clear()
    grown.apply([DocUpdate(docs[0], "v2", changed, {"title": docs[0]})], removals=[docs[1]])
    assert sorted(tokenised) == sorted(c.id for c in changed), "only the changed report is tokenised"
    tokenised.clear()
    # Applying a version the index already holds (another process sharing the file did it) is a no-op.
    assert grown.apply([DocUpdate(docs[0], "v2", changed, {"title": docs[0]})]) == 0

    fresh = LexicalIndex(tmp_path / "fresh")
    fresh.apply([DocUpdate(docs[0], "v2", changed, {"title": docs[0]})]
                + [DocUpdate(d, "v1", by_doc[d], {"title": d}) for d in docs[2:]])
    assert _state(grown) == _state(fresh)
    assert docs[1] not in grown.doc_ids()
    for q in _questions()[:30]:
        assert grown.search(q["question"], 10) == fresh.search(q["question"], 10)
        assert grown.idf("法律援助") == pytest.approx(fresh.idf("法律援助"))
    assert "人民调解委员会调解纠纷九百件" in grown.search("人民调解委员会调解纠纷多少件", 1)[0][0].text


def test_a_second_process_view_follows_without_rebuilding(pipeline, tmp_path):
    """Two LexicalIndex objects on one file (two app processes on one machine): a change written through
    one is seen by the other at its next query, with no load step."""
    writer, reader = LexicalIndex(tmp_path / "shared"), LexicalIndex(tmp_path / "shared")
    chunks = pipeline.lexical.chunks_of(["huqiu-2024"])
    assert reader.search("律师事务所 法律顾问", 5) == []
    writer.apply([DocUpdate("huqiu-2024", "h1", chunks, {"title": "虎邱"})], fingerprint="fp1", set_fingerprint=True)
    hits = reader.search("律师事务所 法律顾问", 5)
    assert hits and hits[0][0].doc_id == "huqiu-2024"
    assert reader.fingerprint == "fp1" and reader.doc_ids() == {"huqiu-2024"}
    writer.apply([], removals=["huqiu-2024"])
    assert reader.search("律师事务所 法律顾问", 5) == [] and not reader.chunks
