"""The catalog and place resolver at N reports, alone: what a fresh process pays to load them, and what
each change to the corpus costs a serving process (issue 13).

    python -m bench.catalog_scale 10000            # builds bench/out/catalog-N/ once, then measures
    python -m bench.catalog_scale 10000 --code /path/to/older/checkout   # the same with older code

The lexical file holds every report of corpus-N (bench/corpus.py) with its real metadata (places, year,
title: ``extract_metadata`` on the report's text) and one short chunk each, so building it takes seconds,
not the hour a full 10,000-report lexical index takes on a loaded 2-core machine. The catalog and
resolver read only the documents table and the place names, so their cost is that of the real index.
Each measurement runs in a fresh process. With ``--code``, the child runs that checkout's Pipeline
code path (``lexical.documents()`` + ``ScopeResolver``), as the app did before the incremental catalog.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.common import OUT, REPO, append_row, machine
from bench.query import corpus

RESULTS = OUT / "catalog_scale.jsonl"
QUESTION = "石狮市2024年一共办理了多少件法律援助案件？"


def build(n: int) -> Path:
    from rag.ingest.metadata import extract_metadata
    from rag.retrieval.lexical import DocUpdate, LexicalIndex
    from rag.schema import Chunk

    path = OUT / f"catalog-{n}"
    if (path / "built.json").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    index = LexicalIndex(path / "lexical")
    batch = []
    for f in sorted(corpus(n).glob("*.txt")):
        text = f.read_text(encoding="utf-8")
        meta = extract_metadata(f.stem, text, 0).to_dict()
        first = text.split("\n", 1)[0][:200]
        batch.append(DocUpdate(f.stem, f"h-{f.stem}", [Chunk(f.stem, 0, first, [], 0, len(first), title=meta["title"])],
                               {**meta, "source": str(f), "chars": len(text)}))
        if len(batch) == 500:
            index.apply(batch)
            batch = []
    index.apply(batch)
    (path / "built.json").write_text(json.dumps({"n": n, "docs": len(index.doc_ids())}))
    return path


def child(path: Path, alias_file: str) -> None:
    """One fresh process: load the catalog and resolver, answer a scope question, follow one change."""
    from rag.retrieval.lexical import DocUpdate, LexicalIndex
    from rag.schema import Chunk

    lex = LexicalIndex(path / "lexical")
    rss0 = _rss_mb()
    t = time.perf_counter()
    try:
        from rag.catalog import Catalog
        from rag.retrieval.place_aliases import PlaceAliasCache
    except ImportError:  # older code: rebuilt whole, as its Pipeline._refresh did
        Catalog = None
    from rag.retrieval.scope import DocPlaces, ScopeResolver

    def rebuild():
        docs = lex.documents()
        return ScopeResolver([DocPlaces(d["doc_id"], d.get("places") or [], d.get("year")) for d in docs])

    if Catalog is not None:
        catalog = Catalog(lex, PlaceAliasCache(Path(alias_file)), gazetteer=lambda: None)
        catalog.sync()
        resolver = catalog.resolver
    else:
        resolver = rebuild()
    load_s = time.perf_counter() - t
    rss_catalog = _rss_mb() - rss0
    t = time.perf_counter()
    scope = resolver.resolve(QUESTION)
    resolve_ms = (time.perf_counter() - t) * 1000
    # Another process adds a report (simulated here in this process's file: what the follower reads is the
    # same), then the follower catches up.
    new = Chunk("zz-new-2024", 0, "永春县2024年办理法律援助案件731件。", [], 0, 20, title="永春县2024年报告")
    lex.apply([DocUpdate("zz-new-2024", "h-new", [new], {"title": new.title, "places": ["永春县"], "year": 2024})])
    t = time.perf_counter()
    if Catalog is not None:
        read = catalog.sync()
        resolver = catalog.resolver
    else:
        resolver = rebuild()
        read = len(lex.doc_ids())
    change_s = time.perf_counter() - t
    found = resolver.resolve("永春县2024年办理了多少件法律援助案件？").doc_ids
    lex.apply([], ["zz-new-2024"])
    print(json.dumps({"load_s": round(load_s, 3), "catalog_rss_mb": round(rss_catalog, 1), "resolve_ms": round(resolve_ms, 2), "scoped": scope.doc_ids,
                      "change_s": round(change_s, 4), "entries_read_for_change": read,
                      "new_report_resolved": found == ["zz-new-2024"]}))


def _rss_mb() -> float:
    line = next(ln for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def measure(n: int, code: Path, label: str) -> list[dict]:
    path = build(n)
    alias_file = path / "place-aliases.sqlite"
    rows = []
    env = {**os.environ, "PYTHONPATH": f"{code}:{REPO}"}
    for run in ("cold aliases", "warm aliases"):
        if run == "cold aliases":
            for f in path.glob("place-aliases.sqlite*"):
                f.unlink()
        out = subprocess.run([sys.executable, "-m", "bench.catalog_scale", "_child", str(path), str(alias_file)],
                             cwd=code, env=env, capture_output=True, text=True, check=True)
        row = {"kind": "catalog_scale", "n_reports": n, "code": label, "run": run,
               **json.loads(out.stdout.strip().splitlines()[-1]), "machine": machine()}
        append_row(RESULTS, row)
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", nargs="+")
    ap.add_argument("--code", type=Path, default=REPO, help="checkout whose rag/ the children import")
    ap.add_argument("--label", default="current")
    args = ap.parse_args()
    if args.n[0] == "_child":
        child(Path(args.n[1]), args.n[2])
        return
    for n in args.n:
        measure(int(n), args.code, args.label)


if __name__ == "__main__":
    main()
