"""The embedded default answerer: quotes the report sentences that answer the question, each with its
citation. It needs no LLM, cannot invent facts, and keeps numbers and names exactly as written.
"""

from __future__ import annotations

from collections.abc import Iterator

from rag.answer.base import Draft, Part
from rag.answer.citations import CitationBook
from rag.answer.evidence import SentenceHit, asks_list
from rag.answer.injection import NOTE, split_instructions

MAX_SENTENCE_CHARS = 160


def _trim(text: str, limit: int = MAX_SENTENCE_CHARS) -> str:
    """Long report sentences are kept whole up to a limit, then cut at a comma with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = max(text.rfind("，", 0, limit), text.rfind("；", 0, limit))
    return text[: cut if cut > limit // 2 else limit] + "……"


def select_sentences(sentences: list[SentenceHit], want_list: bool) -> list[SentenceHit]:
    """The best sentence, plus close runners-up (more of them for list questions), never overlapping."""
    if not sentences:
        return []
    best = sentences[0]
    limit = 4 if want_list else 2
    ratio = 0.75 if want_list else 0.85
    chosen = [best]
    for s in sentences[1:]:
        if len(chosen) >= limit:
            break
        if s.score < best.score * ratio or s.coverage < best.coverage * 0.6:
            continue
        if any(_same_text(s, c) for c in chosen):
            continue
        chosen.append(s)
    # Report order reads better than score order when sentences come from the same chunk.
    return sorted(chosen, key=lambda s: (s.hit.chunk.doc_id, s.hit.chunk.ordinal, s.start))


def _same_text(a: SentenceHit, b: SentenceHit) -> bool:
    ta, tb = a.text, b.text
    return ta in tb or tb in ta


class ExtractiveAnswerer:
    name = "extractive"

    def answer(self, question: str, parts: list[Part]) -> Iterator[str | Draft]:
        book = CitationBook()
        lines: list[str] = []
        want_list = asks_list(question)
        for part in parts:
            # Sentences that read like instructions (rag.answer.injection) are never quoted as facts.
            sentences, flagged = split_instructions(part.evidence.sentences)
            if part.evidence.kind == "outline":
                chosen = sentences
                sep = "；"
            elif part.evidence.kind == "multilingual":
                # Across languages the small model's sentence similarities lie close together (the right
                # sentence is often second or third): quote the three closest, with a notice to check them.
                chosen = sentences[:3]
                sep = ""
            else:
                chosen = select_sentences(sentences, want_list)
                sep = ""
            pieces = []
            for s in chosen:
                n = book.cite(s.hit, s.text)
                pieces.append(f"{_trim(s.text)}[{n}]")
            body = sep.join(pieces)
            if part.evidence.kind == "outline":
                body = f"共{len(pieces)}项：{body}。"
            if flagged and (not pieces or flagged[0].score >= chosen[0].score):
                body += NOTE  # the best match was such a sentence: say so rather than stay silent
            line = f"{part.label}：{body}" if part.label else body
            lines.append(line)
            yield line + "\n"
        yield Draft(answer="\n".join(lines), citations=book.citations, answerer=self.name)
