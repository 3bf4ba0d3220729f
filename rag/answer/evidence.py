"""Sentence-level evidence: which sentences of the retrieved chunks answer the question, and how well.

Shared by the extractive answerer (it quotes them), the LLM answerer (it quotes them for citations)
and the refusal gate (coverage of the question's content words by the best sentence).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from importlib import resources

from rag.retrieval.tokenize import tokenize
from rag.schema import ScoredChunk
from rag.text import CJK_RE, split_sentences

_ASKS_NUMBER = re.compile(r"多少|几[个件家次项名人条场所]|数量|比例|比率|[^效]率|金额|总[数量额计]|how many|how much", re.I)
_ASKS_NAME = re.compile(r"哪家|哪个|哪位|谁|名称|叫什么|什么名|文号|签发")
_ASKS_LIST = re.compile(r"哪些|有什么|有哪|包括|分别|几个方面|列举")
_DIGIT = re.compile(r"\d")
_YEAR_TOKEN = re.compile(r"^(20\d{2})(年|年度)?$")
_HEADING_ONLY = re.compile(r"^[（(]?[一二三四五六七八九十\d]+[)）、.．是]")
_LATIN = re.compile(r"[A-Za-z]")
_FOLLOW_WORDS = {"那", "那么", "呢", "还有", "又", "分别", "各", "各自", "各个", "一共", "总共", "及其"}


@dataclass
class SentenceHit:
    hit: ScoredChunk
    rank: int  # rank of its chunk in the retrieved list
    start: int  # span inside the chunk text
    end: int
    coverage: float  # idf-weighted share of question terms found in the sentence
    score: float

    @property
    def text(self) -> str:
        return self.hit.chunk.text[self.start : self.end]


@dataclass
class Evidence:
    hits: list[ScoredChunk]
    sentences: list[SentenceHit] = field(default_factory=list)  # best first
    terms: list[str] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return max((s.coverage for s in self.sentences[:5]), default=0.0)

    chunk_coverage: float = 0.0  # share of question terms found anywhere in the top chunks
    kind: str = "sentences"  # "outline": the sentences are the sub-headings of a section, in order
    # Share of the question's term weight in words of another script (an English question): words
    # that Chinese report sentences cannot contain, so coverage says nothing about them.
    foreign: float = 0.0

    @property
    def dense(self) -> float:
        return max((h.dense for h in self.hits[:5] if h.dense is not None), default=1.0 if self.sentences else 0.0)


def question_terms(question: str, drop: list[str]) -> list[str]:
    """Content words of a question, without place names, years and follow-up particles."""
    text = question
    for d in sorted(drop, key=len, reverse=True):
        text = text.replace(d, " ")
    terms = tokenize(text, search_mode=False)
    out = []
    for t in terms:
        if _YEAR_TOKEN.match(t) or t in _FOLLOW_WORDS or t in out:
            continue
        out.append(t)
    return out


@functools.cache
def _synonyms() -> dict[str, tuple[str, ...]]:
    groups: dict[str, tuple[str, ...]] = {}
    source = resources.files("rag.answer").joinpath("synonyms.txt").read_text(encoding="utf-8")
    for line in source.splitlines():
        words = tuple(line.split()) if line.strip() and not line.startswith("#") else ()
        for w in words:
            groups[w] = words
    return groups


def _term_hit(term: str, text: str) -> float:
    if term in text:
        return 1.0
    if any(s in text for s in _synonyms().get(term, ())):
        return 0.9
    if len(term) >= 3:
        grams = [term[i : i + 2] for i in range(len(term) - 1)]
        return 0.5 * sum(g in text for g in grams) / len(grams)
    return 0.0


def find_evidence(question: str, hits: list[ScoredChunk], idf, drop: list[str], max_chunks: int = 6) -> Evidence:
    """Score every sentence of the top chunks against the question."""
    terms = question_terms(question, drop)
    # Single characters say little on their own ("率", "县"); words carry the question.
    weights = {t: idf(t) * (1.0 if len(t) > 1 else 0.3) for t in terms}
    total = sum(weights.values()) or 1.0
    asks_number = bool(_ASKS_NUMBER.search(question))
    asks_name = bool(_ASKS_NAME.search(question))
    sentences: list[SentenceHit] = []
    for rank, hit in enumerate(hits[:max_chunks]):
        text = hit.chunk.text
        folded = text.lower()
        # A sentence is read under its headings: "下一步工作计划 > …推广“闽执法”平台" answers a question
        # about next year's plans even though the sentence itself does not say "next year".
        headings = hit.chunk.section.lower()
        for s, e in split_sentences(text):
            sent = folded[s:e]
            if len(sent) < 6:
                continue
            context = f"{headings} {sent}"
            cov = sum(w * _term_hit(t, context) for t, w in weights.items()) / total if terms else 0.0
            score = cov + 0.12 / (1 + rank)
            if asks_number and _DIGIT.search(sent):
                score += 0.12
            if asks_name and re.search(r"[《“]|律师事务所|公司|中心|〔", sent):
                score += 0.05
            if _HEADING_ONLY.match(sent) and e - s < 30:
                score -= 0.1  # a bare heading answers nothing by itself
            sentences.append(SentenceHit(hit, rank, s, e, cov, score))
    sentences.sort(key=lambda x: -x.score)
    context = " ".join(f"{h.chunk.title} {h.chunk.section} {h.chunk.text}" for h in hits[:3]).lower()
    chunk_cov = sum(w * _term_hit(t, context) for t, w in weights.items()) / total if terms else 0.0
    foreign = sum(w for t, w in weights.items() if _LATIN.search(t) and not CJK_RE.search(t)) / total
    return Evidence(hits=hits, sentences=sentences, terms=terms, chunk_coverage=chunk_cov, foreign=foreign)


def asks_list(question: str) -> bool:
    return bool(_ASKS_LIST.search(question))


def bm25_idf(df: int, n: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def outline_evidence(question: str, ev: Evidence, chunks: list, idf) -> Evidence | None:
    """For "有哪些/哪几条" questions about a section with sub-sections (problems, next-year plans, …),
    the answer is the list of its sub-headings, each cited to its own chunk."""
    if not asks_list(question) or not ev.hits or not ev.terms:
        return None
    top = ev.hits[0].chunk
    title = top.title.lower()
    weights = {t: idf(t) for t in ev.terms if t not in title}
    total = sum(weights.values())
    if not total:
        return None
    for hit in ev.hits[:3]:
        path = hit.chunk.section_path
        for depth in range(len(path), 0, -1):
            heading = path[depth - 1].lower()
            if sum(w * _term_hit(t, heading) for t, w in weights.items()) / total < 0.6:
                continue
            children: dict[str, object] = {}
            for c in chunks:
                if c.doc_id == hit.chunk.doc_id and c.section_path[:depth] == path[:depth] and len(c.section_path) > depth:
                    children.setdefault(c.section_path[depth], c)
            if len(children) < 2:
                continue
            sentences = []
            for i, (child, chunk) in enumerate(children.items()):
                start = chunk.text.find(child)
                if start < 0:
                    continue
                sh = ScoredChunk(chunk, score=hit.score, dense=hit.dense)
                sentences.append(SentenceHit(sh, i, start, start + len(child), coverage=1.0, score=2.0 - i / 100))
            if len(sentences) >= 2:
                return Evidence(hits=ev.hits, sentences=sentences, terms=ev.terms, chunk_coverage=1.0, kind="outline",
                                foreign=ev.foreign)
    return None


def embedding_evidence(question: str, ev: Evidence, embeddings, max_sentences: int = 40) -> Evidence:
    """Sentences ranked by the multilingual model instead of shared words.

    For a question in another language (English) word overlap says nothing, but multilingual-e5 places
    "How many legal aid cases…" next to "办理法律援助案件1332件": its cosine similarity both picks the
    sentence to quote and, calibrated, decides the refusal.
    """
    import numpy as np

    seen: set[str] = set()
    candidates: list[SentenceHit] = []
    for rank, hit in enumerate(ev.hits[:5]):
        for s, e in split_sentences(hit.chunk.text):
            text = hit.chunk.text[s:e]
            # Titles, bare headings and signature lines state no fact: never quoted as an answer.
            if len(text) < 30 and text[-1] not in "。！？；" or text in seen:
                continue
            seen.add(text)
            candidates.append(SentenceHit(hit, rank, s, e, coverage=0.0, score=0.0))
    if not candidates:
        return ev
    candidates = candidates[:max_sentences]
    q = np.asarray(embeddings.embed_query(question), dtype=np.float32)
    vecs = np.asarray(embeddings.embed_documents([c.text for c in candidates]), dtype=np.float32)
    sims = vecs @ q
    asks_number = bool(_ASKS_NUMBER.search(question))
    for c, sim in zip(candidates, sims, strict=True):
        c.coverage = float(sim)
        c.score = float(sim) + 0.01 / (1 + c.rank) + (0.01 if asks_number and _DIGIT.search(c.text) else 0.0)
    candidates.sort(key=lambda c: -c.score)
    return Evidence(hits=ev.hits, sentences=candidates, terms=ev.terms, chunk_coverage=ev.chunk_coverage,
                    foreign=ev.foreign, kind="multilingual")
