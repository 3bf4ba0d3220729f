"""Write rag/answer/report_words.txt: the words of the shipped reports, the reference for "a word that
reports use" (rag.answer.evidence.EvidenceFinder.missing_known) when a corpus is too small to say.

    python scripts/report_words.py data/reports/*.txt
"""

from __future__ import annotations

import sys
from pathlib import Path

from rag.retrieval.tokenize import tokenize
from rag.text import CJK_RE

OUT = Path(__file__).resolve().parents[1] / "rag" / "answer" / "report_words.txt"


def main(paths: list[str]) -> None:
    words: set[str] = set()
    for p in paths:
        words.update(t for t in tokenize(Path(p).read_text(encoding="utf-8"))
                     if len(t) >= 2 and CJK_RE.search(t) and not any(ch.isdigit() for ch in t))
    header = "# Words of the shipped reports (scripts/report_words.py); one per line.\n"
    OUT.write_text(header + "\n".join(sorted(words)) + "\n", encoding="utf-8")
    print(f"{len(words)} words -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
