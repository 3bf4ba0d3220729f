"""Parse time per format and fidelity against the .txt parse: text identity, section paths, metadata,
and for OCR the share of the reference characters kept (difflib matching blocks on match_key text).

    python bench/format_parse.py FIXTURES_DIR [--formats pdf,docx,...] [--docx-pages libreoffice] [--json out.json]

FIXTURES_DIR is what scripts/make_format_fixtures.py wrote.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.ingest.document import parse_document  # noqa: E402
from rag.ingest.readers import ReadOptions  # noqa: E402
from rag.text import match_key  # noqa: E402

EXT = {"docx": "docx", "pdf": "pdf", "html": "html", "html-gbk": "html", "ofd": "ofd", "scan": "pdf"}


def retention(reference: str, text: str) -> float:
    """Share of the reference characters found, in order, in ``text`` (both as match keys)."""
    a, b = match_key(reference), match_key(text)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / max(1, len(a))


def measure(folder: Path, fmt: str, options: ReadOptions | None = None) -> dict:
    rows = []
    for txt in sorted((REPO / "data" / "reports").glob("*.txt")):
        f = folder / f"{txt.stem}.{EXT[fmt]}"
        if not f.exists():
            continue
        ref = parse_document(txt)
        t0 = time.perf_counter()
        doc = parse_document(f, options=options)
        seconds = time.perf_counter() - t0
        ref_paths = [" > ".join(s.path) for s in ref.sections]
        paths = [" > ".join(s.path) for s in doc.sections]
        meta_ref, meta = ref.metadata.to_dict(), doc.metadata.to_dict()
        rows.append({
            "doc": txt.stem, "seconds": round(seconds, 3), "chars": len(match_key(doc.text)),
            "ref_chars": len(match_key(ref.text)), "same_text": match_key(doc.text) == match_key(ref.text),
            "retention": round(retention(ref.text, doc.text), 4),
            "same_sections": [match_key(p) for p in paths] == [match_key(p) for p in ref_paths],
            "sections_only_ref": sorted(set(ref_paths) - set(paths)), "sections_only_fmt": sorted(set(paths) - set(ref_paths)),
            "meta_diff": {k: [meta_ref[k], meta[k]] for k in meta_ref if k != "doc_id" and meta_ref[k] != meta[k]},
            "pages": max((c.page or 0) for c in doc.chunks), "ocr": doc.ocr,
        })
    return {"format": fmt, "seconds_total": round(sum(r["seconds"] for r in rows), 2),
            "retention_min": min((r["retention"] for r in rows), default=0), "docs": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("fixtures", type=Path)
    ap.add_argument("--formats", default=",".join(EXT))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--docx-pages", default="saved", choices=["saved", "libreoffice"])
    args = ap.parse_args()
    options = ReadOptions(docx_pages=args.docx_pages)
    out = []
    for fmt in args.formats.split(","):
        res = measure(args.fixtures / fmt, fmt, options)
        out.append(res)
        print(f"{fmt:9s} parse {res['seconds_total']:7.2f} s  retention min {res['retention_min']:.4f}", flush=True)
        for r in res["docs"]:
            print(f"   {r['doc']:13s} {r['seconds']:6.2f}s same_text={r['same_text']} retention={r['retention']:.4f} "
                  f"same_sections={r['same_sections']} pages={r['pages']} meta_diff={r['meta_diff']}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
