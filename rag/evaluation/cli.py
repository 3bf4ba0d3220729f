"""``rag eval``: run the gold set through the system and its baselines, write results, metrics, report
and chart, optionally check thresholds (CI) or calibrate the refusal gate on the dev split.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from rag.evaluation.gold import load_gold
from rag.evaluation.harness import System, run_system
from rag.evaluation.report import write_report
from rag.settings import Settings

BASELINES = ("dense-only", "bm25-only", "naive")


def add_eval_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gold", default="eval/gold.jsonl", help="gold JSONL file")
    p.add_argument("--out", default="eval/out", help="output folder")
    p.add_argument("--split", default="test", choices=["test", "dev", "all"], help="which part to measure")
    p.add_argument("--answerer", help="override RAG_ANSWERER (extractive | llm)")
    p.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid", help="retrieval mode")
    p.add_argument("--no-lexical", action="store_true", help="ablation: dense retrieval only")
    p.add_argument("--no-header", action="store_true", help="ablation: embed chunks without title/section header")
    p.add_argument("--no-place-filter", action="store_true", help="ablation: ignore places/years in questions")
    p.add_argument("--baselines", default=",".join(BASELINES),
                   help=f"comma-separated baselines to run beside the system ({', '.join(BASELINES)}; '' for none)")
    p.add_argument("--check", metavar="TOML", help="fail (exit 1) when a metric is outside eval/thresholds.toml")
    p.add_argument("--calibrate", action="store_true",
                   help="fit the answer model on the dev split(s) of --gold (comma-separated files) and write it")
    p.add_argument("--tune-retrieval", action="store_true",
                   help="grid-search the fusion weights on the dev split(s) of --gold by hit@5 and print them")
    p.add_argument("--gate-only", action="store_true",
                   help="with --calibrate: keep the current sentence ranker, refit only the answerability gate")
    p.add_argument("--model-out", help="where --calibrate writes the model (default: the shipped answer_model.json)")
    p.add_argument("--overlap", action="store_true",
                   help="only print the gold set's question/evidence lexical overlap (see rag gold-stats)")


def system_settings(settings: Settings, args) -> Settings:
    update: dict[str, Any] = {}
    if args.answerer:
        update["answerer"] = args.answerer
    if args.mode == "dense" or args.no_lexical:
        update["lexical"] = False
    if args.mode == "lexical":
        update["dense"] = False
    if args.no_place_filter:
        update["place_filter"] = False
    if args.no_header:
        update["heading_header"] = False
        # Different embedded texts: a separate index, so the default one stays intact.
        update["index_dir"] = settings.index_dir / "ablation-no-header"
    return settings.model_copy(update=update)


def _progress(name: str):
    def show(i: int, n: int) -> None:
        if i == n or i % 25 == 0:
            print(f"  {name}: {i}/{n}", file=sys.stderr, flush=True)

    return show


def _pipeline_system(name: str, settings: Settings) -> System:
    from rag.pipeline import Pipeline

    pipe = Pipeline(settings)
    pipe.ingest()
    return System(name, lambda q, history: pipe.ask(q, history=to_turns(history)).to_dict())


def to_turns(history):
    """Gold (role, content) pairs as the pipeline's conversation turns."""
    from rag.answer.base import Turn

    return [Turn(role, content) for role, content in history]


def build_baseline(name: str, settings: Settings) -> System:
    if name == "dense-only":
        return _pipeline_system(name, settings.model_copy(update={"lexical": False, "answerer": "extractive"}))
    if name == "bm25-only":
        return _pipeline_system(name, settings.model_copy(update={"dense": False, "answerer": "extractive"}))
    if name == "naive":
        from rag.embeddings import build_embeddings
        from rag.evaluation.baselines import NaiveRAG
        from rag.ingest.indexer import discover
        from rag.pipeline import Pipeline

        titles = {d["doc_id"]: d.get("title", d["doc_id"]) for d in Pipeline(settings).documents()}
        files, _, _ = discover([settings.data_dir])
        naive = NaiveRAG(build_embeddings(settings), settings.index_dir, files, titles)
        naive.build()
        return System(name, lambda q, history: naive.ask(q))
    raise SystemExit(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")


def check_thresholds(metrics: dict[str, Any], path: Path) -> tuple[bool, str]:
    spec = tomllib.loads(path.read_text(encoding="utf-8"))
    overall = metrics["systems"]["system"]["overall"]
    ok, lines = True, []
    for kind, op in (("min", lambda v, t: v >= t), ("max", lambda v, t: v <= t)):
        for key, limit in spec.get(kind, {}).items():
            value = overall.get(key)
            good = value is not None and op(value, limit)
            ok &= good
            sign = ">=" if kind == "min" else "<="
            lines.append(f"{'ok  ' if good else 'FAIL'} {key} = {value} (needs {sign} {limit})")
    return ok, "\n".join(lines)


def feedback_since_export(settings: Settings) -> dict[str, int]:
    """Votes cast in the chat since the last export: 👎 ones are candidate gold questions."""
    from rag.feedback.store import FeedbackStore

    return FeedbackStore(settings.index_dir / "feedback.sqlite").since_last_export()


def run_eval_command(args, settings: Settings) -> int:
    gold_path = Path(args.gold)
    out = Path(args.out)
    if args.overlap:
        from rag.evaluation.overlap import print_gold_stats

        return print_gold_stats(gold_path, settings.data_dir, args.split)
    if args.tune_retrieval:
        from rag.evaluation.tune import tune_retrieval

        print(json.dumps(tune_retrieval(settings, [Path(p) for p in args.gold.split(",")]), indent=1))
        return 0
    if args.calibrate:
        from rag.evaluation.calibrate import calibrate

        paths = [Path(p) for p in args.gold.split(",")]
        result = calibrate(settings, paths, Path(args.model_out) if args.model_out else None,
                           refit_ranker=not args.gate_only)
        print(json.dumps(result, indent=1, ensure_ascii=False))
        return 0
    gold = load_gold(gold_path, args.split)
    if not gold:
        print(f"no questions in split {args.split!r} of {gold_path}", file=sys.stderr)
        return 2
    sys_settings = system_settings(settings, args)
    systems = [_pipeline_system("system", sys_settings)]
    for name in [b.strip() for b in args.baselines.split(",") if b.strip()]:
        systems.append(build_baseline(name, settings))
    metrics: dict[str, Any] = {
        "gold": str(gold_path), "split": args.split, "n_questions": len(gold),
        "embedder": settings.embedder, "answerer": sys_settings.answerer_name,
        "settings": {k: v for k, v in sys_settings.model_dump(mode="json").items() if "key" not in k},
        "systems": {},
    }
    failures = []
    for system in systems:
        fname = "results.jsonl" if system.name == "system" else f"results-{system.name}.jsonl"
        rows, agg = run_system(system, gold, out / fname, progress=_progress(system.name))
        metrics["systems"][system.name] = agg
        if system.name == "system":
            by_id = {json.loads(line)["id"]: json.loads(line) for line in (out / fname).read_text().splitlines()}
            for item, row in zip(gold, rows, strict=True):
                if item.answerable and not row.get("answer_correct"):
                    failures.append({"id": item.id, "question": item.question, "must_contain": item.must_contain,
                                     "answer": by_id[item.id]["answer"]})
    metrics["failures"] = failures
    status = 0
    if args.check:
        ok, text = check_thresholds(metrics, Path(args.check))
        metrics["threshold_check"] = text
        print(text)
        status = 0 if ok else 1
    metrics["feedback"] = feedback_since_export(settings)
    write_report(metrics, out)
    fb = metrics["feedback"]
    print(f"feedback: {fb['votes']} votes since the last `rag feedback export` ({fb['up']} 👍, {fb['down']} 👎)")
    overall = metrics["systems"]["system"]["overall"]
    print(json.dumps({name: m["overall"] for name, m in metrics["systems"].items()}, indent=1))
    print(f"report: {out / 'report.md'}; system answer accuracy {overall['answer_accuracy']}")
    return status
