"""16 concurrent clients on the web API (POST /api/ask of ``python app.py``), embedded store vs Chroma server.

    python -m bench.load [--clients 16] [--requests 320] [--stores embedded server]

Starts the real app (``python app.py``) on a free loopback port over the shipped corpus, once with the
embedded store and once against a ``chroma run`` server (also loopback), and sends a fixed number of
gold questions (eval/gold.jsonl, shuffled, every question different until the set is used up, so most
query vectors are computed by the model, as for real users) from N concurrent clients. Reports
throughput, latency percentiles and errors (any non-200 answer or transport error). The index is built
before the clock starts; vectors come from the real vector cache, so the app start embeds nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.common import (
    OUT,
    REAL_CACHE,
    REPO,
    SHIPPED,
    ChromaServer,
    free_port,
    machine,
    summary_ms,
    wait_http,
)

RESULTS = OUT / "load.jsonl"


def _proc_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return float("nan")


async def _drive(base: str, questions: list[str], clients: int) -> tuple[list[float], list[str], float]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for q in questions:
        queue.put_nowait(q)
    latencies: list[float] = []
    errors: list[str] = []

    async def client(http: httpx.AsyncClient) -> None:
        while True:
            try:
                q = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t = time.perf_counter()
            try:
                r = await http.post(f"{base}/api/ask", json={"question": q})
                if r.status_code != 200 or "answer" not in r.json():
                    errors.append(f"{r.status_code}: {r.text[:200]}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - t)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        wall = time.perf_counter() - t0
    return latencies, errors, wall


def run(store: str, clients: int, requests: int) -> dict:
    work = OUT / "load" / store
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if REAL_CACHE.exists():
        shutil.copy(REAL_CACHE, work / "embedding-cache.sqlite")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_INDEX_DIR=str(work), RAG_DATA_DIR=str(SHIPPED), RAG_HOST="127.0.0.1", RAG_PORT=str(port),
               HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    server = ChromaServer(work / "chroma-server") if store == "server" else None
    if server:
        server.__enter__()
        env.update(RAG_CHROMA_HOST="127.0.0.1", RAG_CHROMA_PORT=str(server.port))
    log = (work / "app.log").open("wb")
    app = subprocess.Popen([sys.executable, str(REPO / "app.py")], cwd=work, env=env, stdout=log,
                           stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        t = time.perf_counter()
        wait_http(f"{base}/api/health", timeout_s=600, proc=app)
        startup = time.perf_counter() - t
        health = httpx.get(f"{base}/api/health", timeout=30).json()
        gold = [json.loads(x)["question"] for x in (REPO / "eval" / "gold.jsonl").read_text("utf-8").splitlines()]
        random.Random(11).shuffle(gold)
        questions = [gold[i % len(gold)] for i in range(requests)]
        latencies, errors, wall = asyncio.run(_drive(base, questions, clients))
        row = {
            "kind": "load", "store": store, "clients": clients, "requests": requests,
            "documents": health.get("documents"), "chunks": health.get("chunks"),
            "app_startup_s": round(startup, 1), "wall_s": round(wall, 1),
            "throughput_rps": round(requests / wall, 2), "latency": summary_ms(latencies),
            "errors": len(errors), "error_samples": errors[:5],
            "app_peak_rss_mb": _proc_hwm_mb(app.pid),
            "chroma_server_peak_rss_mb": server.rss_mb() if server else None,
            "machine": machine(),
        }
    finally:
        app.terminate()
        try:
            app.wait(20)
        except subprocess.TimeoutExpired:
            app.kill()
        if server:
            server.__exit__(None, None, None)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=320)
    ap.add_argument("--stores", nargs="+", choices=["embedded", "server"], default=["embedded", "server"])
    args = ap.parse_args()
    for store in args.stores:
        run(store, args.clients, args.requests)


if __name__ == "__main__":
    main()
