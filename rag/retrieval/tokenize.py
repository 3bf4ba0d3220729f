"""Chinese word tokens for BM25 and for sentence scoring (jieba), with traditional-to-simplified folding."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata

# Function words and question words carry no topic; punctuation is never a token.
STOPWORDS = frozenset(
    ["的", "了", "和", "与", "及", "或", "是", "在", "对", "把", "被", "将", "由", "为", "以", "于", "从", "向", "等", "并", "也", "都", "还", "又", "就", "而", "其", "之", "中", "上", "下", "个", "这", "那", "该", "此", "有", "无", "没有", "不", "吗", "呢", "吧", "啊", "呀", "么", "什么", "哪些", "哪个", "哪家", "哪里", "哪", "多少", "几", "怎么", "怎样", "如何", "为什么", "是否", "是不是", "有没有", "请问", "请", "一下", "告诉", "我", "我们", "你", "你们", "他们", "它", "它们", "情况", "方面", "如何", "进行", "开展", "工作", "报告", "里", "中", "提到", "提及", "所述", "关于", "搞", "搞了", "说", "讲", "叫", "叫做", "称为", "得了", "拿了", "干了", "做了", "一起", "现在", "目前", "自己", "主要", "具体", "大概", "大约", "一共", "总共", "分别", "各自", "哪几", "哪几个", "哪几种", "哪几条", "几条", "几项", "几个", "几种", "哪方面", "哪一", "是谁", "谁", "啥", "多大", "多长", "怎么样", "有关", "相关", "能否", "可以", "吗", "the", "a", "an", "of", "in", "on", "for", "to", "and", "or", "is", "are", "was", "were", "what", "which", "how", "many", "much", "did", "does", "do"]
)
_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)


@functools.cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@functools.cache
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Fold traditional characters to simplified so 「法律援助」 written 法律援助 in 繁體 still matches."""
    return _t2s_short(text) if len(text) <= CACHED_CHARS else _t2s().convert(text)


@functools.lru_cache(maxsize=4096)
def _t2s_short(text: str) -> str:
    # One question is folded by the flow, the scope and the retriever alike: once is enough.
    return _t2s().convert(text)


#: A year as people type it: "23年", "24年度" (not "23年来", a duration, nor "15年间").
_SHORT_YEAR = re.compile(r"(?<![\d.０-９第])(1[5-9]|2\d|3[0-5])(?=\s*年(?![来间代多以前后里内左]))")


def full_years(question: str) -> str:
    """Two-digit years written in full ("23年" → "2023年"), so a question is scoped to its year like one
    that spells it out."""
    return _SHORT_YEAR.sub(lambda m: "20" + m.group(1), question)


def normalize_query(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return to_simplified(text)


#: Texts up to this long (questions, sentences) keep their tokens: one question is segmented by the
#: scope, the lexical search and the evidence alike. Report chunks are segmented once, at ingest.
CACHED_CHARS = 300


def tokenize(text: str, search_mode: bool = True) -> list[str]:
    """Lower-cased word tokens without stopwords; search mode adds sub-words of long words."""
    if len(text) <= CACHED_CHARS:
        return list(_tokens(text, search_mode))
    return _segment(text, search_mode)


@functools.lru_cache(maxsize=4096)
def _tokens(text: str, search_mode: bool) -> tuple[str, ...]:
    return tuple(_segment(text, search_mode))


def _segment(text: str, search_mode: bool) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    jb = _jieba()
    words = jb.lcut_for_search(text) if search_mode else jb.lcut(text)
    return [w for w in (w.strip() for w in words) if w and _TOKEN_OK.search(w) and w not in STOPWORDS]
