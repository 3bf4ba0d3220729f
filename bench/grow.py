"""Growing an index that is being served (issue 13): startup to first answer, serving memory, and how long
one added or removed report takes to reach other serving processes.

    python -m bench.grow startup 1000 [--store server]
    python -m bench.grow visibility 1000 [--store server] [--replicas 2]

Indexes come from ``python -m bench.query build N`` (stand-in vectors; see bench/common.py). Every
measurement runs in fresh processes. ``visibility`` starts replicas (each a Pipeline asking a question
about the new report every 0.2 s), then ingests one new generated report in another process and records
when each replica first finds it, then removes it again the same way. With ``--store embedded`` the
replicas share the index folder with the ingesting process (one machine); with ``--store server`` the
index is served by ``chroma run`` and every process has its own index folder (as on separate machines).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.common import OUT, REPO, ChromaServer, append_row, bench_pipeline, clean_env, machine, settings_for
from bench.corpus import generate_report
from bench.query import corpus, index_dir

RESULTS = OUT / "grow.jsonl"


def _rss() -> dict:
    status = Path("/proc/self/status").read_text().splitlines()
    val = {ln.split(":")[0]: int(ln.split()[1]) / 1024 for ln in status if ln.startswith(("VmRSS", "VmHWM"))}
    return {"rss_mb": round(val["VmRSS"], 1), "peak_rss_mb": round(val["VmHWM"], 1)}


def _settings(idx: Path, n: int, port: int | None):
    extra = {"chroma_host": "127.0.0.1", "chroma_port": port} if port else {}
    return settings_for(idx, corpus(n), **extra)


# -- child processes ------------------------------------------------------------------------------------
def child_first(n: int, idx: Path, port: int | None, asks: int = 60) -> None:
    """Answer one question as soon as possible, then ``asks`` more; print the times and memory."""
    t0 = time.perf_counter()
    clean_env()
    pipe = bench_pipeline(_settings(idx, n, port))
    gold = [json.loads(x) for x in (REPO / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    first = pipe.ask(gold[0]["question"])
    t_first = time.perf_counter() - t0
    print(json.dumps({"first": True, "in_process_s": round(t_first, 2), "refused": first.refused}), flush=True)
    t = time.perf_counter()
    picked = gold[::5][:asks]
    for row in picked:
        pipe.ask(row["question"])
    print(json.dumps({"asked": len(picked), "ask_s": round(time.perf_counter() - t, 1),
                      "documents": len(pipe.documents()), **_rss()}), flush=True)


def child_replica(n: int, idx: Path, port: int | None, doc_id: str, question: str) -> None:
    import rag.retrieval.lexical as lexical_mod

    clean_env()
    count = {"tokenised": 0}
    real = getattr(lexical_mod, "chunk_terms", None)

    def counting(chunk):
        count["tokenised"] += 1
        return real(chunk)

    if hasattr(lexical_mod, "chunk_terms"):
        lexical_mod.chunk_terms = counting
    else:  # code from before issue 13 (a "before" run): it tokenises through lexical.tokenize
        real_tok = lexical_mod.tokenize

        def counting_tok(text, search_mode=True):
            count["tokenised"] += 1
            return real_tok(text, search_mode)

        lexical_mod.tokenize = counting_tok
    pipe = bench_pipeline(_settings(idx, n, port))
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    while not stop.is_set():
        t = time.perf_counter()
        hits = pipe.search(question, k=5).chunks
        listed = doc_id in {d["doc_id"] for d in pipe.documents()}
        print(json.dumps({"t": time.time(), "seen": any(h.chunk.doc_id == doc_id for h in hits), "listed": listed,
                          "call_s": round(time.perf_counter() - t, 3), **count, **_rss()}), flush=True)
        stop.wait(0.2)


def child_change(n: int, idx: Path, port: int | None, path: str, remove: bool) -> None:
    clean_env()
    pipe = bench_pipeline(_settings(idx, n, port))
    t = time.perf_counter()
    if remove:
        pipe.store.delete_document(Path(path).stem)
        pipe.indexer.sync_lexical()
        out = {"removed": True}
    else:
        report = pipe.indexer.ingest([Path(path)])
        out = {"added": report.added, "chunks": report.chunks_written}
    print(json.dumps({**out, "seconds": round(time.perf_counter() - t, 2), "t_end": time.time(), **_rss()}),
          flush=True)


# -- parent ---------------------------------------------------------------------------------------------
def _child(*args: str, stdin: bool = False) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "bench.grow", "_child", *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stdin=subprocess.PIPE if stdin else None)


def _served(n: int, store: str, replicas: int):
    """(server or None, index dir for the ingesting process, index dirs for the replicas)."""
    idx = index_dir(n)
    if store == "embedded":
        return None, idx, [idx] * replicas
    path = OUT / "index" / f"{n}-grow-server"
    shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(idx / "chroma", path / "chroma")
    srv = ChromaServer(path / "chroma").__enter__()
    dirs = []
    for name in ["ingester", *[f"replica-{i}" for i in range(replicas)]]:
        d = path / name
        # Each process's own lexical file starts as a copy of the built one (a replica's persistent volume).
        for lex in (idx / "lexical").glob("local-*"):
            shutil.copytree(lex, d / "lexical" / lex.name.replace("local-", f"127.0.0.1-{srv.port}-", 1))
        dirs.append(d)
    return srv, dirs[0], dirs[1:]


def startup(n: int, store: str, asks: int = 60) -> dict:
    srv, idx, _ = _served(n, store, 0)
    try:
        t0 = time.perf_counter()
        p = _child("first", str(n), str(idx), str(srv.port if srv else 0), str(asks))
        first = json.loads(p.stdout.readline())
        wall_first = time.perf_counter() - t0
        rest = json.loads(p.stdout.readline())
        p.wait()
        row = {"kind": "startup", "n_reports": n, "store": store, "first_answer_s": round(wall_first, 2),
               **first, **rest}
        if srv:
            row["server_rss_mb"] = srv.rss_mb()
        return row
    finally:
        if srv:
            srv.__exit__()


def visibility(n: int, store: str, replicas: int) -> dict:
    srv, idx, replica_dirs = _served(n, store, replicas)
    port = str(srv.port if srv else 0)
    doc_id, text, facts = generate_report(n + 50)
    new = OUT / "grow-new" / f"{doc_id}.txt"
    new.parent.mkdir(parents=True, exist_ok=True)
    new.write_text(text, encoding="utf-8")
    procs = [_child("replica", str(n), str(d), port, doc_id, facts[0]["question"], stdin=True) for d in replica_dirs]
    states: list[list[dict]] = [[] for _ in procs]

    def reader(i: int) -> None:
        for line in procs[i].stdout:
            states[i].append(json.loads(line))

    for i in range(len(procs)):
        threading.Thread(target=reader, args=(i,), daemon=True).start()

    def wait(pred, timeout_s: float = 600) -> list[dict]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            firsts = [next((s for s in st if pred(s)), None) for st in states]
            if all(firsts):
                return firsts
            time.sleep(0.05)
        raise RuntimeError(f"replicas did not get there: {[st[-1:] for st in states]}")

    try:
        t = time.perf_counter()
        ready = wait(lambda s: not s["listed"])
        ready_s = time.perf_counter() - t
        base = [s["tokenised"] for s in ready]
        out: dict = {"kind": "visibility", "n_reports": n, "store": store, "replicas": len(procs),
                     "replicas_ready_s": round(ready_s, 1)}
        for step, remove in (("add", False), ("remove", True)):
            t_start = time.time()
            p = _child("change", str(n), str(idx), port, str(new), "1" if remove else "0")
            res = json.loads(p.stdout.readline())
            p.wait()
            want = (False, False) if remove else (True, True)
            seen = wait(lambda s, t_start=t_start, want=want: s["t"] > t_start and (s["listed"], s["seen"]) == want)
            out[step] = {
                "ingest_process_s": res["seconds"], "ingest_process_rss_mb": res["rss_mb"],
                "chunks": res.get("chunks"),
                "visible_after_s": [round(s["t"] - res["t_end"], 2) for s in seen],
                "replica_tokenised": [s["tokenised"] - b for s, b in zip(seen, base, strict=True)],
            }
        out["replica_rss_mb"] = [st[-1]["rss_mb"] for st in states]
        out["replica_peak_rss_mb"] = [st[-1]["peak_rss_mb"] for st in states]
        out["replica_call_ms_p50"] = [sorted(s["call_s"] for s in st)[len(st) // 2] * 1000 for st in states]
        if srv:
            out["server_rss_mb"] = srv.rss_mb()
        return out
    finally:
        for p in procs:
            p.stdin.close()
            p.wait(30)
        if srv:
            srv.__exit__()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("startup", "visibility"):
        p = sub.add_parser(name)
        p.add_argument("n", type=int, nargs="+")
        p.add_argument("--store", choices=["embedded", "server"], default="embedded")
        p.add_argument("--replicas", type=int, default=2)
        p.add_argument("--asks", type=int, default=60, help="startup: answers after the first (for RSS)")
    p = sub.add_parser("_child")
    p.add_argument("what")
    p.add_argument("rest", nargs="*")
    args = ap.parse_args()
    if args.cmd == "_child":
        n, idx, port, *more = args.rest
        port_i = int(port) or None
        if args.what == "first":
            child_first(int(n), Path(idx), port_i, int(more[0]) if more else 60)
        elif args.what == "replica":
            child_replica(int(n), Path(idx), port_i, more[0], more[1])
        elif args.what == "change":
            child_change(int(n), Path(idx), port_i, more[0], more[1] == "1")
        return
    for n in args.n:
        row = startup(n, args.store, args.asks) if args.cmd == "startup" else visibility(n, args.store, args.replicas)
        row["machine"] = machine()
        append_row(RESULTS, row)


if __name__ == "__main__":
    main()
