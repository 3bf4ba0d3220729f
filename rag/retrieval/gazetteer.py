"""Real place names, so that only a real place outside the corpus is called unknown.

"乘用车市场" and "除了县里通办" hold 市 and 县 but name no place. A place name here is a word that
jieba segments as one token (so 老城区 is not 城区) and that is either in the national list of
administrative divisions down to county level (``cpca``'s adcodes table, MIT), or a county name without
its suffix (南安) or a township-level name with one (湖头镇) that jieba's tagger marks as a place (ns).
"""

from __future__ import annotations

import csv
import functools
import importlib.metadata
import io
import logging
from collections.abc import Container

_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "地区", "街道", "省", "市", "区", "县", "镇", "乡", "盟", "旗")
_TOWN_SUFFIXES = ("镇", "乡", "街道")


@functools.cache
def _divisions() -> list[dict[str, str]]:
    try:
        path = importlib.metadata.distribution("cpca").locate_file("cpca/resources/adcodes.csv")
        text = path.read_text(encoding="utf-8")
    except (importlib.metadata.PackageNotFoundError, OSError):
        logging.getLogger(__name__).warning("cpca is not installed: unknown-place detection uses the tagger only")
        return []
    return list(csv.DictReader(io.StringIO(text)))


def _stem(name: str) -> str:
    """A division's name without its administrative suffix (北京 of 北京市), or "" when none is left of two
    characters or more."""
    suffix = next((s for s in _SUFFIXES if name.endswith(s) and len(name) - len(s) >= 2), "")
    return name[: -len(suffix)] if suffix else ""


def _prefecture_or_above(row: dict[str, str]) -> bool:
    return row.get("adcode", "")[4:6] == "00"


@functools.cache
def county_stems() -> frozenset[str]:
    """County names without their suffix (南安 of 南安市, 永春 of 永春县): a place only where the tagger
    reads the word as one (ns), since many are ordinary words too (和平, 新华)."""
    stems = (_stem((row.get("name") or "").strip()) for row in _divisions() if not _prefecture_or_above(row))
    return frozenset(s for s in stems if s)


@functools.cache
def division_names() -> frozenset[str]:
    """Province, prefecture and county names, full and without their suffix (北京市, 北京)."""
    names: set[str] = set()
    for row in _divisions():
        name = (row.get("name") or "").strip()
        if len(name) < 3:
            continue  # 城区, 郊区, 矿区: district names that are ordinary words
        names.add(name)
        # The bare form only for prefecture level and up (北京, 厦门): county stems such as 城关, 新华 or
        # 和平 are ordinary words too often (they are ``county_stems``, read with the tagger).
        if _prefecture_or_above(row) and (stem := _stem(name)):
            names.add(stem)
    return frozenset(names)


class Gazetteer:
    """Finds place names in a question, on jieba's word boundaries."""

    def __init__(self, names: frozenset[str] | None = None, stems: frozenset[str] | None = None) -> None:
        self.names = division_names() if names is None else names
        self.stems = (county_stems() if names is None else frozenset()) if stems is None else stems
        self._lengths = sorted({len(n) for n in self.names})
        self._stem_lengths = sorted({len(n) for n in self.stems})

    def _has(self, text: str, names: frozenset[str], lengths: list[int], known: Container[str] = ()) -> bool:
        return any((w := text[i : i + n]) in names and w not in known
                   for n in lengths for i in range(len(text) - n + 1))

    def _may_name_place(self, text: str, known: Container[str] = ()) -> bool:
        """A cheap test first: segmenting and tagging cost more than the rest of answering a question."""
        if any(s in text for s in _TOWN_SUFFIXES):
            return True
        return self._has(text, self.names, self._lengths) or self._has(text, self.stems, self._stem_lengths, known)

    def places_in(self, text: str, known: Container[str] = ()) -> list[str]:
        """``known``: the corpus's own place names; a county stem among them (德化) needs no tagging."""
        if not self._may_name_place(text, known):
            return []
        tag = any(s in text for s in _TOWN_SUFFIXES) or self._has(text, self.stems, self._stem_lengths, known)
        words = _words(text, tag)  # with tag: the tagger decides (0.2 ms)
        found: list[str] = []
        for i, (w, flag) in enumerate(words):
            if w in self.names:
                found.append(w)
            elif i + 1 < len(words) and w + words[i + 1][0] in self.names and words[i + 1][0] in _SUFFIXES:
                found.append(w + words[i + 1][0])  # jieba split 晋江 | 市
            elif flag == "ns" and (w.endswith(_TOWN_SUFFIXES) and len(w) >= 3 or w in self.stems):
                found.append(w)
        return list(dict.fromkeys(found))


@functools.lru_cache(maxsize=2048)
def _words(text: str, tag: bool) -> tuple[tuple[str, str], ...]:
    """jieba's words of a question, with parts of speech when ``tag`` (a question is read for places
    twice: for its scope and for places no report covers)."""
    import jieba.posseg

    from rag.retrieval.tokenize import _jieba

    jb = _jieba()  # initialised quietly
    if tag:
        return tuple((w, f) for w, f in jieba.posseg.lcut(text))
    return tuple((w, "") for w in jb.lcut(text))
