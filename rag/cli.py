"""The ``rag`` command: ingest, docs, search, ask, eval, serve, mcp, feedback. Settings come from the environment
(prefix ``RAG_``); a few flags override them for one run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag.settings import Settings


def _pipeline(settings: Settings):
    from rag.pipeline import Pipeline

    return Pipeline(settings)


def _existing_index(settings: Settings):
    """The pipeline for commands that read the index: a clear error when there is none, rather than an
    empty index created on the spot and answers that find nothing."""
    from vectorstore.base import index_missing

    if not settings.chroma_host and not (settings.chroma_dir / "chroma.sqlite3").exists():
        raise index_missing(str(settings.chroma_dir))
    return _pipeline(settings)


def _progress_bar():
    from tqdm import tqdm

    bar = tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True, leave=True)

    def update(name: str, i: int, total: int) -> None:
        bar.total = total
        bar.n = i
        bar.set_postfix_str(name[-40:])
        bar.refresh()

    return bar, update


def cmd_ingest(args, settings: Settings) -> int:
    pipe = _pipeline(settings)
    bar, update = _progress_bar()
    paths = [Path(p) for p in args.paths] or None
    try:
        report = pipe.ingest(paths, progress=update)
    finally:
        bar.close()  # an error message then starts on its own line
    total = sum(d["chunks"] for d in pipe.documents())
    print(report.summary())
    print(f"index: {len(pipe.documents())} documents, {total} chunks in {pipe.store.where} ({pipe.store.name})")
    return 0


def cmd_docs(args, settings: Settings) -> int:
    pipe = _existing_index(settings)
    docs = pipe.documents()
    failures = pipe.failures()
    if args.json:
        # Failed files go to stderr so stdout stays the documents list scripts already parse.
        print(json.dumps(docs, ensure_ascii=False, indent=2))
        if failures:
            print(json.dumps({"failed": [f.public() for f in failures]}, ensure_ascii=False), file=sys.stderr)
        return 0
    if not docs:
        print("no documents indexed yet: run `rag ingest`")
    for d in docs:
        ocr = " (OCR)" if d.get("ocr") else ""
        print(f"{d['doc_id']}  [{d['chunks']} chunks]{ocr}  {d.get('title', '')}")
        extras = [f"{k}: {d[k]}" for k in ("issuer", "doc_number", "date", "year", "place", "source_type", "pages")
                  if d.get(k)]
        print("    " + " | ".join(extras))
    if failures:
        print(f"\nnot readable ({len(failures)}):")
        for f in failures:
            print(f"  {f.file}: {f.reason}")
    return 0


def cmd_search(args, settings: Settings) -> int:
    result = _existing_index(settings).search(args.question, k=args.k, doc_ids=args.doc or None)
    rows = [s.to_dict() for s in result.chunks]
    if args.json:
        print(json.dumps({"question": args.question, "retrieved": rows}, ensure_ascii=False, indent=2))
        return 0
    for i, r in enumerate(rows, 1):
        print(f"{i:>2}. {r['doc']}  score={r['score']:.4f}  {r['section']}")
        print("    " + r["text"][:200].replace("\n", " "))
    return 0


def cmd_ask(args, settings: Settings) -> int:
    from rag.answer.flow import QuestionError

    pipe = _existing_index(settings)
    try:
        result = pipe.ask(args.question, doc_ids=args.doc or None, k=args.k)
    except QuestionError as exc:
        if args.json:
            print(json.dumps({"question": args.question, "error": str(exc)}, ensure_ascii=False))
        else:
            print(str(exc), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return 0
    if result.notice:
        print(f"（{result.notice}）")
    print(result.answer)
    print()
    if result.refused:
        print("可能相关的段落：")
        for r in result.retrieved[:3]:
            print(f"  - {r.chunk.title}｜{r.chunk.section}\n    {r.chunk.text[:120]}")
    for c in result.citations:
        page = f"｜第{c.page}页" if c.page else ""
        print(f"[{c.n}] {c.title}｜{c.section}{page}\n    “{c.quote}”")
    print(f"\n({result.latency_ms:.0f} ms)")
    return 0


def cmd_serve(args, settings: Settings) -> int:
    from rag.web.server import serve

    serve(settings)
    return 0


def cmd_mcp(args, settings: Settings) -> int:
    from rag.mcp_server import serve_stdio

    serve_stdio(settings)
    return 0


def cmd_feedback_export(args, settings: Settings) -> int:
    from rag.feedback.export import gold_candidate
    from rag.feedback.store import FeedbackStore

    store = FeedbackStore(settings.index_dir / "feedback.sqlite")
    rows = [gold_candidate(v) for v in store.take_for_export(everything=args.all)]
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if args.out == "-":
        sys.stdout.write(lines)
    else:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a", encoding="utf-8") as f:
            f.write(lines)
    print(f"exported {len(rows)} 👎 answers as candidate gold lines"
          + ("" if args.out == "-" else f" to {args.out}") + "; fill the fields marked TODO (see _todo)",
          file=sys.stderr)
    return 0


def cmd_eval(args, settings: Settings) -> int:
    from rag.evaluation.cli import run_eval_command

    return run_eval_command(args, settings)


def cmd_gold_stats(args, settings: Settings) -> int:
    from rag.evaluation.overlap import print_gold_stats

    return print_gold_stats(args.gold, settings.data_dir, args.split, args.json)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Question answering over Chinese government reports")
    parser.add_argument("--index-dir", help="override RAG_INDEX_DIR")
    parser.add_argument("--embedder", help="override RAG_EMBEDDER")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index report files (default: RAG_DATA_DIR)")
    p.add_argument("paths", nargs="*", help="files or folders")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("docs", help="list indexed documents")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("search", help="show the top chunks for a question")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--doc", action="append", help="restrict to a document id (repeatable)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="answer a question with citations")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=None, help="chunks to retrieve (default RAG_RETRIEVE_K)")
    p.add_argument("--doc", action="append", help="restrict to a document id (repeatable)")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="start the web chat and API")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("mcp", help="serve the MCP tools (ask, search_reports, list_reports) over stdio")
    p.set_defaults(func=cmd_mcp)

    p = sub.add_parser("feedback", help="answer feedback (👍/👎 votes)")
    fsub = p.add_subparsers(dest="feedback_command", required=True)
    e = fsub.add_parser("export", help="append 👎 answers not exported yet as candidate gold lines")
    e.add_argument("--out", default="eval/feedback-candidates.jsonl", help="JSONL file to append to ('-': stdout)")
    e.add_argument("--all", action="store_true", help="every 👎 vote, also those exported before")
    e.set_defaults(func=cmd_feedback_export)

    p = sub.add_parser("eval", help="run the gold set and write metrics")
    from rag.evaluation.cli import add_eval_arguments

    add_eval_arguments(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("gold-stats", help="gold set counts by type/split and question/evidence word overlap")
    p.add_argument("gold", nargs="?", default="eval/gold.jsonl")
    p.add_argument("--split", default="all", choices=["test", "dev", "all"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_gold_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides = {}
    if args.index_dir:
        overrides["index_dir"] = Path(args.index_dir)
    if args.embedder:
        overrides["embedder"] = args.embedder
    settings = Settings(**overrides)
    from vectorstore.base import StoreUnavailable

    try:
        return args.func(args, settings)
    except StoreUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
