"""Comparisons ask the same thing of every place: the places' answers should be about the same thing.

A colloquial comparison ("各地给多少家公司恢复了信誉") often shares no word with the reports
("为75家企业修复信用"), so each place's own ranking of sentences is unsure. But the reports that hold
the fact state it in much the same words, so the right sentences of different places agree with each
other while wrong ones (each place's nearest miss) do not. This module picks one sentence per place
that is both well ranked for the question and in agreement with the other places' picks; how well a
place's pick agrees is one input of the answerability gate.

Agreement is the idf-weighted overlap of rare words (jieba's general idf, as for question terms), so
common report words (开展, 工作, 行政) say nothing and the measure does not drift with the corpus.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable

from rag.answer import lexicon
from rag.answer.base import Part
from rag.answer.evidence import SentenceHit
from rag.answer.numbers import figures
from rag.answer.sentences import SentenceVectors, sentence_spans

#: Sentences per place considered (the sentence model's best first).
CANDIDATES = 12
#: How far below a place's best sentence (in the sentence model's logits) a candidate may be.
SCORE_WINDOW = 4.0
#: Logits one unit of agreement is worth when choosing a place's sentence.
AGREEMENT_WEIGHT = 4.0
#: Logits for stating the same kind of figure as the other places' picks (件 with 起, % with %): parallel
#: facts have the same shape, so "二是认真落实行政诉讼出庭制度" loses to "应诉的行政诉讼案件0宗".
SHAPE_WEIGHT = 1.0
#: Logits one unit of the multilingual model's similarity to another place's pick is worth: the lexical
#: agreement favours long sentences that name many of the topic's words ("…行政执法能力建设专题培训…"
#: over "全镇共录入141件"), the sentence vectors (computed at ingest) say what a sentence is about.
SEMANTIC_WEIGHT = 12.0
#: Words rarer than this (jieba idf) carry a topic; 开展 (~5), 工作 (~4) do not.
MIN_IDF = 7.0
#: Each place's leading candidates searched as a whole, while the combinations number at most JOINT_MAX.
JOINT_CANDIDATES = 5
JOINT_MAX = 3125
#: Rounds of choosing each place's sentence given the others' choices (it settles in two or three).
ROUNDS = 3


#: Longest dictionary word looked up inside a sentence.
MAX_WORD = 4


@functools.lru_cache(maxsize=20_000)
def topic_words(text: str) -> dict[str, float]:
    """Rare dictionary words inside a sentence with their idf: every 2–4 character substring that jieba's
    idf table knows (as jieba's search mode cuts 行政诉讼 into 行政, 诉讼, 行政诉讼, without segmenting, which
    cost more than the query embedding for a five-place comparison). Words naming the reporting body
    (全县, 县政府) are left out."""
    table = lexicon.idf_table()
    folded = text.lower()
    out: dict[str, float] = {}
    for i in range(len(folded) - 1):
        for n in range(2, MAX_WORD + 1):
            w = folded[i : i + n]
            weight = table.get(w)
            if weight is not None and weight >= MIN_IDF and len(w) == n and not lexicon.names_body(w):
                out[w] = weight
    return out


def agreement(a: str, b: str, is_place: Callable[[str], bool] | None = None) -> float:
    """How much of sentence b's topic sentence a states: the idf-weighted share of b's rare words that a
    holds (1 when a states all of them, 0 for none). Directed, so a short heading that names the topic
    and nothing else does not outscore the sentence that states the fact in full. Place names
    (``is_place``) are left out: two reports both naming 泉州市 agree on nothing."""
    return _covered(_topic(a, is_place), _topic(b, is_place))


def _topic(text: str, is_place: Callable[[str], bool] | None) -> dict[str, float]:
    words = topic_words(text)
    return {w: v for w, v in words.items() if not is_place(w)} if is_place is not None else words


def _covered(wa: dict[str, float], wb: dict[str, float]) -> float:
    total = sum(wb.values())
    return sum(v for w, v in wb.items() if w in wa) / total if total else 0.0


@functools.lru_cache(maxsize=20_000)
def _kinds(text: str) -> frozenset[str]:
    return frozenset(f.kind for f in figures(text))


#: A sentence this short is read with the one before it for its topic ("2024年全镇共录入141件…" after "推广
#: 应用一体化大融合行政执法平台…": what was entered, and where, is said just before).
SHORT_SENTENCE = 40


def _with_lead(s: SentenceHit) -> str:
    if len(s.text) >= SHORT_SENTENCE:
        return s.text
    before = sentence_spans(s.hit.chunk.text[: s.start])
    return s.hit.chunk.text[before[-1][0] : s.end] if before else s.text


def harmonize(parts: list[Part], is_place: Callable[[str], bool] | None = None,
              vectors: SentenceVectors | None = None) -> list[float]:
    """Reorder each place's sentences so its pick comes first; returns each place's support: the best
    agreement (either way) of its pick with another place's pick.

    Coordinate ascent: every place starts from its best-ranked sentence, then in turn takes the
    candidate maximising (its logit − the place's best logit) + weight × its best agreement with the
    other places' current picks (rare words shared, and the sentence vectors' similarity when given).
    """
    pools: list[list[SentenceHit]] = []
    for p in parts:
        sents = p.evidence.sentences if p.evidence.kind != "outline" else []
        if not sents:
            pools.append([])
            continue
        top = sents[0].score
        pool = [s for s in sents[:CANDIDATES] if s.score >= top - SCORE_WINDOW]
        if p.intent.number:
            # A figure is asked: a sentence that cannot hold one is no place's answer. One with a figure of
            # another kind than the question's words suggest may be ("谁输得少": 败诉率1.37% beside 败诉10件).
            pool = [s for s in pool if s.typed >= 0] or pool
        pools.append(pool)
    picks = [pool[0] if pool else None for pool in pools]
    if sum(p is not None for p in picks) < 2:
        return [0.0 for _ in parts]

    # Each candidate's topic words and figure kinds are read once; the rounds only compare them.
    words = {id(c): _topic(_with_lead(c), is_place) for pool in pools for c in pool}
    kinds = {id(c): _kinds(c.text) for pool in pools for c in pool}
    cands = [c for pool in pools for c in pool]
    unit = dict(zip(map(id, cands), vectors.get([c.text for c in cands]), strict=True)) if vectors else {}

    # Agreeing with a place the gate is sure of counts; two unsure places' nearest misses agreeing
    # with each other (both about 安全生产 when 信用修复 was asked) should not.
    top_p = max(p.evidence.p_answer for p in parts) or 1.0
    sure = [p.evidence.p_answer / top_p for p in parts]

    def best_with_others(i: int, agree: Callable[[SentenceHit], float]) -> float:
        """The best agreement with another place's current pick, weighted by how sure that place is."""
        return max((sure[j] * agree(o) for j, o in enumerate(picks) if j != i and o is not None), default=0.0)

    def support(i: int, cand: SentenceHit) -> float:
        return best_with_others(i, lambda o: _covered(words[id(cand)], words[id(o)]))

    def similar(i: int, cand: SentenceHit) -> float:
        return best_with_others(i, lambda o: float(unit[id(cand)] @ unit[id(o)])) if unit else 0.0

    def shape(i: int, cand: SentenceHit) -> float:
        others = [kinds[id(o)] for j, o in enumerate(picks) if j != i and o is not None]
        others = [k for k in others if k]
        return sum(bool(k & kinds[id(cand)]) for k in others) / len(others) if others else 0.0

    def value(i: int, c: SentenceHit) -> float:
        return ((c.score - pools[i][0].score) + AGREEMENT_WEIGHT * support(i, c) + SHAPE_WEIGHT * shape(i, c)
                + SEMANTIC_WEIGHT * similar(i, c))

    for _ in range(ROUNDS):
        changed = False
        for i, pool in enumerate(pools):
            if not pool:
                continue
            choice = max(pool, key=lambda c: value(i, c))
            if choice is not picks[i]:
                picks[i], changed = choice, True
        if not changed:
            break
    # Coordinate ascent settles where the places' first picks led it (two places' nearest misses about
    # 政务信息 hold each other there while the three 主动公开 sentences go unseen): the best combination of
    # each place's leading candidates is searched as a whole, and wins when it scores higher.
    heads = [pool[:JOINT_CANDIDATES] for pool in pools]
    if math.prod(max(len(h), 1) for h in heads) <= JOINT_MAX:
        def joint(combo: tuple[SentenceHit | None, ...]) -> float:
            picks[:] = combo
            return sum(value(i, c) for i, c in enumerate(combo) if c is not None)

        found = list(picks)
        best_value = joint(tuple(found))
        for combo in itertools.product(*[h or [None] for h in heads]):
            v = joint(combo)
            if v > best_value + 1e-9:
                best_value, found = v, list(combo)
        picks[:] = found
    out = []
    for i, (p, pick) in enumerate(zip(parts, picks, strict=True)):
        if pick is None:
            out.append(0.0)
            continue
        # Agreement between two places' picks, for answering: either states (most of) the other's topic.
        out.append(max(max(_covered(words[id(pick)], words[id(o)]), _covered(words[id(o)], words[id(pick)]))
                       for j, o in enumerate(picks) if j != i and o is not None))
        sents = p.evidence.sentences
        if sents and sents[0] is not pick:
            # The pick leads; the quoted runners-up are judged against it (rag.answer.extractive).
            lead = max(sents[0].score, pick.score)
            sents.remove(pick)
            pick.score = lead + 1e-6
            sents.insert(0, pick)
    return out


#: At most this many report words are added to a comparison's per-place search.
MAX_EXPANSION = 6


def expansion(search: str, terms: list[str]) -> str:
    """The reports' words for the question's everyday ones ("红头文件" → 规范性文件), from the project's
    everyday-word list only, for the lexical search: each place's retrieval must find the fact in the
    report's own wording, and one place's miss would read as "not in this report"."""
    extra: list[str] = []
    for t in terms:
        # (the reports' own words first: a citizen's other word for it, 和事佬, finds nothing)
        for w in sorted(lexicon.everyday(t), key=lambda w: (not lexicon.report_word(w), -len(w), w)):
            if w not in search and w not in extra and not any(w in e for e in extra):
                extra.append(w)
    return " ".join(extra[:MAX_EXPANSION])


def place_test(aliases: list[str]) -> Callable[[str], bool]:
    """Does a word name (part of) a place the corpus covers: 石狮, 泉州市, 泉州?"""
    names = {a for a in aliases if len(a) >= 2}
    joined = "\x00".join(names)

    def is_place(word: str) -> bool:
        return word in joined or any(word[i:j] in names for i in range(len(word)) for j in range(i + 2, len(word) + 1))

    return is_place


__all__ = ["agreement", "expansion", "harmonize", "place_test", "topic_words"]
