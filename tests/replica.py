"""An app replica for tests and bench: a Pipeline against a Chroma server that asks one question every
0.2 s and prints, as JSON lines, whether a document is among the hits and how many chunks this process
has tokenised so far (``python -m tests.replica HOST PORT INDEX_DIR DOC_ID QUESTION``). Runs until stdin
closes."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import rag.retrieval.lexical as lexical_mod
from rag.pipeline import Pipeline
from rag.settings import Settings


def main() -> None:
    host, port, index_dir, doc_id, question = sys.argv[1:6]
    tokenised = 0
    real = lexical_mod.chunk_terms

    def counting(chunk):
        nonlocal tokenised
        tokenised += 1
        return real(chunk)

    lexical_mod.chunk_terms = counting
    pipe = Pipeline(Settings(_env_file=None, chroma_host=host, chroma_port=int(port), index_dir=Path(index_dir)))
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    while not stop.is_set():
        hits = pipe.search(question, k=5).chunks
        seen = any(h.chunk.doc_id == doc_id for h in hits)
        listed = doc_id in {d["doc_id"] for d in pipe.documents()}
        print(json.dumps({"t": time.time(), "seen": seen, "listed": listed, "tokenised": tokenised}), flush=True)
        stop.wait(0.2)


if __name__ == "__main__":
    main()
