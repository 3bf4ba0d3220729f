"""Lexical overlap between a gold question and its evidence: how much a set lets word matching pass for
understanding.

A question's content words are its jieba tokens minus place names, years, numbers, question words,
particles and stop words. Its overlap is the share of those words that occur in its evidence span(s).
A set written from the report text scores high (eval/gold.jsonl: ~0.6); questions asked the way people
ask should not (eval/gold_user.jsonl must stay at or under 0.40). The stop list lives here, not in the
retriever, so that tuning retrieval never moves this measure.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rag.evaluation.gold import GoldItem

# Question words, particles, pronouns and chat filler: they say how something is asked, not what.
STOPWORDS = frozenset(["的", "地", "得", "了", "着", "过", "吗", "呢", "吧", "啊", "呀", "嘛", "么", "哦", "啦", "呗", "是", "在", "有", "没", "没有", "不", "也", "都", "还", "又", "就", "才", "并", "和", "与", "及", "或", "跟", "同", "把", "被", "将", "由", "为", "以", "于", "从", "向", "对", "给", "让", "等", "这", "那", "这个", "那个", "这份", "那份", "这些", "那些", "该", "此", "其", "之", "它", "他", "她", "他们", "她们", "它们", "我", "我们", "你", "你们", "咱", "咱们", "人家", "自己", "什么", "啥", "哪", "哪些", "哪个", "哪家", "哪里", "哪儿", "哪位", "哪几", "哪几个", "哪一", "多少", "几", "几个", "几位", "几项", "几件", "几次", "几家", "怎么", "怎样", "怎么样", "咋", "咋样", "如何", "为什么", "为啥", "是否", "是不是", "有没有", "能不能", "可不可以", "谁", "是谁", "多大", "多高", "多久", "多长", "多少钱", "请问", "请", "一下", "告诉", "知道", "想", "想问", "问", "说", "讲", "听说", "到底", "究竟", "大概", "大约", "一共", "总共", "分别", "各", "各自", "各个", "都是", "还是", "或者", "现在", "目前", "今年", "去年", "明年", "上", "下", "里", "里面", "里头", "中", "个", "份", "件", "项", "次", "回", "场", "家", "位", "名", "人", "条", "宗", "起", "年", "月", "日", "号", "呀", "嗯", "吧", "一", "一个", "一块", "加", "加起来", "一起", "比", "比较", "多", "少", "更", "最", "呢"])
_YEAR = re.compile(r"\d{2,4}\s*年(度)?")
_NUMBERISH = re.compile(r"[\d０-９.%％]")
_WORDISH = re.compile(r"[\w\u4e00-\u9fff]")
# Place names: "<2-6 characters><administrative suffix>", and their short forms given by the corpus.
_PLACE = re.compile(r"[\u4e00-\u9fff]{2,6}?(?:自治区|自治州|省|市|区|县|镇|乡|街道)")
_PLACE_NOT = {"城市", "市区", "社区", "园区", "城区", "小区", "地区", "全市", "全县", "全区", "全镇", "我市", "我县",
              "我区", "我镇", "该市", "该县", "该区", "该镇", "本市", "本县", "本区", "本镇", "跨县", "邻县", "乡镇"}
_SKIP_FLAGS = ("m", "x", "u", "y", "r", "p", "c", "e", "o", "q", "ns")


@functools.cache
def _posseg():
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba.posseg


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _strip_places(text: str, places: Iterable[str]) -> str:
    for name in sorted(set(places), key=len, reverse=True):
        text = text.replace(name, " ")
    for m in list(_PLACE.finditer(text)):
        if m.group(0) not in _PLACE_NOT and not any(w in m.group(0) for w in ("全", "我", "该", "本")):
            text = text.replace(m.group(0), " ")
    return text


def place_names(full_names: Iterable[str]) -> set[str]:
    """Full place names (安溪县, 鲤城区) plus the short forms people type (安溪, 鲤城)."""
    out = set()
    for name in full_names:
        out.add(name)
        short = re.sub(r"(自治区|自治州|省|市|区|县|镇|乡|街道)$", "", name)
        if len(short) >= 2:
            out.add(short)
    return out


def content_words(question: str, places: Iterable[str] = ()) -> list[str]:
    """The question's topic words, in order, without repeats."""
    text = _YEAR.sub(" ", _strip_places(_nfkc(question), places))
    words: list[str] = []
    for token in _posseg().cut(text):
        w, flag = token.word.strip().lower(), token.flag
        if (not w or not _WORDISH.search(w) or _NUMBERISH.search(w) or w in STOPWORDS
                or flag.startswith(_SKIP_FLAGS) or w in words):
            continue
        words.append(w)
    return words


def overlap(question: str, evidence: Iterable[str], places: Iterable[str] = ()) -> float | None:
    """Share of content words found in the evidence; None when the question has none or no evidence."""
    spans = [_nfkc(e) for e in evidence if e]
    words = content_words(question, places)
    if not spans or not words:
        return None
    return sum(1 for w in words if any(w in s for s in spans)) / len(words)


@dataclass
class OverlapStats:
    n: int  # questions measured (with evidence and at least one content word)
    mean: float | None
    by_type: dict[str, tuple[int, float | None]]


def overlap_stats(items: list[GoldItem], places: Iterable[str] = ()) -> tuple[OverlapStats, list[float | None]]:
    places = list(places)
    per_item = [overlap(it.question, it.evidence, places) for it in items]
    groups: dict[str, list[float]] = {}
    for it, v in zip(items, per_item, strict=True):
        if v is not None:
            groups.setdefault(it.type, []).append(v)
    measured = [v for v in per_item if v is not None]

    def mean(vs: list[float]) -> float | None:
        return round(sum(vs) / len(vs), 4) if vs else None

    by_type = {t: (len(vs), mean(vs)) for t, vs in sorted(groups.items())}
    return OverlapStats(n=len(measured), mean=mean(measured), by_type=by_type), per_item


def corpus_places(data_dir) -> set[str]:
    """Place names of the reports in ``data_dir``, read from their own text (as ingest does)."""
    from pathlib import Path

    from rag.ingest.document import parse_document
    from rag.ingest.indexer import discover

    files, _, _ = discover([Path(data_dir)])
    names: list[str] = []
    for f in files:
        names += parse_document(f).metadata.places
    return place_names(names)


def gold_stats(gold_path, data_dir, split: str = "all") -> dict:
    """Counts by type and split, and the mean overlap overall and by type, as one JSON-able dict."""
    from collections import Counter
    from pathlib import Path

    from rag.evaluation.gold import load_gold

    items = load_gold(Path(gold_path), split)
    stats, _ = overlap_stats(items, corpus_places(data_dir))
    return {
        "gold": str(gold_path), "split": split, "n": len(items),
        "by_type_split": {t: dict(sorted(Counter(i.split for i in items if i.type == t).items()))
                          for t in sorted({i.type for i in items})},
        "with_history": sum(1 for i in items if i.history),
        "overlap_mean": stats.mean, "overlap_n": stats.n,
        "overlap_by_type": {t: {"n": n, "mean": m} for t, (n, m) in stats.by_type.items()},
    }


def print_gold_stats(gold_path, data_dir, split: str = "all", as_json: bool = False) -> int:
    import json

    s = gold_stats(gold_path, data_dir, split)
    if as_json:
        print(json.dumps(s, ensure_ascii=False, indent=2))
        return 0
    print(f"{s['gold']} ({s['split']}): {s['n']} questions, {s['with_history']} with history")
    print(f"lexical overlap question/evidence: mean {s['overlap_mean']} over {s['overlap_n']} questions")
    print(f"{'type':<14}{'questions':>10}  {'by split':<24}{'overlap':>8}")
    for t, splits in s["by_type_split"].items():
        o = s["overlap_by_type"].get(t, {})
        by = ", ".join(f"{k} {v}" for k, v in splits.items())
        print(f"{t:<14}{sum(splits.values()):>10}  {by:<24}{o.get('mean') if o else '–'!s:>8}")
    return 0
