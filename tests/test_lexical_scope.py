"""BM25 with scope statistics (``RAG_LEXICAL_STATISTICS=scope``): a question scoped to reports is ranked
by idf and average length over those reports' chunks only, so adding other reports to the corpus changes
nothing about it (issue 13: answer quality must not depend on corpus size). Corpus statistics, the
default, do change with the corpus; bm25s over the scope's chunks is the oracle."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest

from rag.ingest.document import parse_document
from rag.retrieval.lexical import DocUpdate, LexicalIndex, chunk_terms
from rag.retrieval.tokenize import tokenize
from tests.conftest import REPORTS

SCOPE = "huqiu-2024"
QUESTIONS = ["虎邱镇聘请了哪家律师事务所担任政府法律顾问？", "虎邱镇办理了多少件法律援助案件？",
             "虎邱镇如何开展法治宣传？", "虎邱镇行政执法存在哪些问题？", "虎邱镇下一步工作计划是什么？"]


@pytest.fixture(scope="module")
def parsed() -> dict[str, DocUpdate]:
    out = {}
    for path in sorted(REPORTS.glob("*.txt")):
        doc = parse_document(path)
        out[doc.doc_id] = DocUpdate(doc.doc_id, doc.content_hash or path.stem, doc.chunks, doc.metadata.to_dict())
    assert SCOPE in out and len(out) >= 4
    return out


def _index(tmp_path_factory, name: str, docs: list[DocUpdate], scope: bool) -> LexicalIndex:
    index = LexicalIndex(tmp_path_factory.mktemp(name), scope_statistics=scope)
    index.apply(docs)
    return index


def _ranked(index: LexicalIndex, question: str) -> list[tuple[str, float]]:
    return [(c.id, round(s, 6)) for c, s in index.search(question, 10, [SCOPE])]


def test_scoped_ranking_does_not_depend_on_the_other_reports(parsed, tmp_path_factory):
    alone = _index(tmp_path_factory, "alone", [parsed[SCOPE]], scope=True)
    everything = _index(tmp_path_factory, "all", list(parsed.values()), scope=True)
    for q in QUESTIONS:
        assert _ranked(alone, q) == _ranked(everything, q), q
        assert _ranked(alone, q), q


def test_corpus_statistics_do_depend_on_them(parsed, tmp_path_factory):
    alone = _index(tmp_path_factory, "alone-c", [parsed[SCOPE]], scope=False)
    everything = _index(tmp_path_factory, "all-c", list(parsed.values()), scope=False)
    assert any(_ranked(alone, q) != _ranked(everything, q) for q in QUESTIONS)


def test_scope_scores_equal_bm25s_over_the_scope(parsed, tmp_path_factory):
    everything = _index(tmp_path_factory, "all-o", list(parsed.values()), scope=True)
    chunks = parsed[SCOPE].chunks
    oracle = bm25s.BM25(k1=1.2, b=0.75)
    oracle.index([chunk_terms(c) for c in chunks], show_progress=False)
    for q in QUESTIONS:
        tokens = [t for t in tokenize(q) if t in oracle.vocab_dict]
        scores = oracle.get_scores(tokens)
        top = [i for i in np.argsort(-scores, kind="stable")[:10] if scores[i] > 0]
        got = everything.search(q, 10, [SCOPE])
        assert [c.id for c, _ in got] == [chunks[i].id for i in top], q
        assert np.allclose([s for _, s in got], [scores[i] for i in top], rtol=1e-4), q
