"""👎 votes as candidate gold lines (the schema of ``eval/gold.jsonl``) for a maintainer to review.

What the vote cannot tell (the right answer, the strings it must contain, the evidence span and its
section, the question type) is filled with ``TODO`` and listed in ``_todo``; the vote itself is kept in
``_feedback`` so the reviewer sees what went wrong. ``load_gold`` ignores underscore keys.
"""

from __future__ import annotations

from typing import Any

TODO = "TODO"
TO_FILL = ["answer", "must_contain", "evidence", "section", "type"]


def gold_candidate(vote: dict[str, Any]) -> dict[str, Any]:
    docs = list(dict.fromkeys(c.get("doc", "") for c in vote["citations"] if c.get("doc")))
    return {
        "id": f"feedback-{vote['id'][:12]}",
        "question": vote["rewritten_question"] or vote["question"],
        "answer": TODO,
        "must_contain": [TODO],
        "doc": docs[0] if len(docs) == 1 else (docs or ""),
        "evidence": TODO,
        "section": TODO,
        "type": TODO,
        "split": "dev",
        "_todo": TO_FILL + (["doc"] if len(docs) != 1 else []),
        "_feedback": {
            "asked": vote["question"], "history": vote["history"], "comment": vote["comment"],
            "answer_given": vote["answer"], "citations": vote["citations"], "answerer": vote["answerer"],
            "index_version": vote["index_version"], "voted_at": vote["updated"],
        },
    }
