"""Small text helpers shared by cleaning, chunking, retrieval and evaluation."""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RE = re.compile(f"[{_CJK}]")
CJK_RUN_RE = re.compile(f"[{_CJK}]+")
# Sentence ends; a closing quote or bracket right after the mark stays with the sentence.
SENTENCE_RE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;]+[”’」』）)]*|\n|$)")
WS_RE = re.compile(r"\s+")


def is_cjk(ch: str) -> bool:
    return bool(CJK_RE.match(ch))


def match_key(text: str) -> str:
    """Canonical form for "does A occur in B" checks: NFKC, no whitespace, unified dashes.

    Used wherever gold strings copied from the raw report are compared with cleaned text, so
    full/half-width punctuation and page-break whitespace never decide a match.
    """
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("—", "-").replace("–", "-").replace("〔", "[").replace("〕", "]")
    return WS_RE.sub("", text)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) on Chinese sentence marks and line breaks, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    for m in SENTENCE_RE.finditer(text):
        s, e = m.span()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s, e))
    return spans
