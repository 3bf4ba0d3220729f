"""Which documents a question is about, from the places and years it names.

Derived entirely from document metadata (each report's places and reporting year), so it works for any
corpus: "石狮" matches the document whose place is 石狮市; "安溪县虎邱镇" picks 虎邱镇's report over
安溪县's because the county is only a parent place of the town's report.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

_SUFFIXES = ("自治区", "自治州", "街道", "省", "市", "区", "县", "镇", "乡")
_YEAR = re.compile(r"(20\d{2})\s*年|(?i:\b(?:in|year|of|for))\s+(20\d{2})\b")
# A place-like word in a question: two to four characters before an administrative suffix.
_PLACE_WORD = re.compile(r"([\u4e00-\u9fff]{2,4}?)(市|县|区|镇|乡)")
_NOT_PLACE = re.compile(r"[我本全各该这那城社园市县区镇乡哪某每个一二三四五六七八九十]")


def aliases(place: str) -> list[str]:
    """石狮市 -> [石狮市, 石狮, shishi]: the bare name when it keeps two characters, and its pinyin,
    which is how English questions spell it ("How many cases did Shishi handle?")."""
    return list(_aliases(place))


@functools.lru_cache(maxsize=1_000_000)
def _aliases(place: str) -> tuple[str, ...]:
    """Cached: the resolver is rebuilt after every change to the corpus, and pinyin was most of its cost
    (0.6 s at 3,000 reports)."""
    out = [place]
    for suffix in _SUFFIXES:
        if place.endswith(suffix) and len(place) - len(suffix) >= 2:
            out.append(place[: -len(suffix)])
            break
    out.append(_pinyin(out[-1]))
    return tuple(out)


def _pinyin(name: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name)).lower()


def _inside_word(text: str, start: int, end: int) -> bool:
    """A latin alias must be a whole word: "anxi" names 安溪, "anxious" does not."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha())


@dataclass
class DocPlaces:
    doc_id: str
    places: list[str]  # broadest first; the last is the document's own place
    year: int | None


@dataclass
class Scope:
    doc_ids: list[str] | None = None  # None: all documents
    places: list[str] = field(default_factory=list)  # the places named, as matched
    groups: list[list[str]] = field(default_factory=list)  # one doc-id group per named place
    years: list[int] = field(default_factory=list)
    unknown_places: list[str] = field(default_factory=list)  # places named that no document covers


class ScopeResolver:
    def __init__(self, docs: list[DocPlaces]) -> None:
        self.docs = docs
        self._own: dict[str, list[str]] = {}  # alias -> docs whose own place it is
        self._any: dict[str, list[str]] = {}  # alias -> docs mentioning it at any level
        for d in docs:
            for level, place in enumerate(d.places):
                for alias in aliases(place):
                    self._any.setdefault(alias, []).append(d.doc_id)
                    if level == len(d.places) - 1:
                        self._own.setdefault(alias, []).append(d.doc_id)
        self.known_aliases = sorted(self._any, key=len, reverse=True)
        # Lookups that keep a question's cost independent of the corpus size: aliases by rank (the order
        # in which they claim text), the alias lengths to try at each position, documents by id, and all
        # aliases in one string for substring tests.
        self._rank = {a: i for i, a in enumerate(self.known_aliases)}
        self._lengths = sorted({len(a) for a in self.known_aliases}, reverse=True)
        self._by_id = {d.doc_id: d for d in docs}
        self._joined = "\x00".join(self.known_aliases)

    def places_in(self, question: str) -> list[str]:
        """Aliases named in the question, in order, without overlaps (石狮市 beats 石狮)."""
        return [a for _, _, a in self._place_spans(question)]

    def _place_spans(self, question: str) -> list[tuple[int, int, str]]:
        """Longer aliases claim text first; an alias's occurrences are taken left to right, never
        overlapping each other (as ``re.finditer`` finds them) nor text already claimed.

        Every substring of the question is looked up in a dict, so the cost grows with the question's
        length, not with the number of places in the corpus (a regex per alias took 0.5 s a question
        at 1,000 reports).
        """
        occurrences = []
        folded = question.lower()
        for start in range(len(folded)):
            for length in self._lengths:
                rank = self._rank.get(folded[start : start + length])
                if rank is not None and not (folded[start].isascii() and _inside_word(folded, start, start + length)):
                    occurrences.append((rank, start, start + length))
        occurrences.sort()
        found: list[tuple[int, int, str]] = []
        taken: list[tuple[int, int]] = []
        last_end: dict[int, int] = {}
        for rank, start, end in occurrences:
            if start < last_end.get(rank, 0):
                continue  # overlaps the previous occurrence of the same alias
            last_end[rank] = end
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            found.append((start, end, self.known_aliases[rank]))
        return sorted(found)

    def unknown_places(self, question: str) -> list[str]:
        """Place-like words (X市/X县/…) that match no document, e.g. a county outside the corpus."""
        known = set(self._any)
        out = []
        for m in _PLACE_WORD.finditer(question):
            name = m.group(1) + m.group(2)
            if _NOT_PLACE.search(m.group(1)):
                continue
            if name in known or m.group(1) in known or self._overlaps_alias(name):
                continue
            out.append(name)
        return out

    def _overlaps_alias(self, name: str) -> bool:
        """Is ``name`` part of some alias, or some alias part of ``name``?"""
        if name in self._joined:
            return True
        return any(name[i:j] in self._rank for i in range(len(name)) for j in range(i + 1, len(name) + 1))

    def resolve(self, question: str) -> Scope:
        scope = Scope(years=[int(a or b) for a, b in _YEAR.findall(question)])
        spans = self._place_spans(question)
        named: list[str] = []
        groups: list[list[str]] = []
        for i, (_, end, alias) in enumerate(spans):
            # Only a document's own place scopes the search; a broader place (泉州市 for 鲤城区) does not.
            docs = self._own.get(alias, [])
            nxt = spans[i + 1] if i + 1 < len(spans) else None
            if docs and nxt and nxt[0] == end and all(
                self._is_parent_of(d, o) for d in docs for o in self._own.get(nxt[2], [])
            ) and self._own.get(nxt[2]):
                continue  # "安溪县虎邱镇": the county qualifies the town; the town's report is meant
            if docs and docs not in groups:
                groups.append(list(docs))
                named.append(alias)
        scope.places = named
        scope.unknown_places = self.unknown_places(question) if not named else []
        candidates = sorted({d for g in groups for d in g}) if groups else [d.doc_id for d in self.docs]
        if scope.years:
            wanted = set(candidates)
            by_year = [d.doc_id for d in self.docs if d.doc_id in wanted and d.year in scope.years]
            if by_year and len(by_year) < len(candidates):
                candidates = by_year
                kept = set(by_year)
                groups = [[d for d in g if d in kept] for g in groups]
                groups = [g for g in groups if g]
        scope.groups = groups
        if groups or len(candidates) < len(self.docs):
            scope.doc_ids = candidates
        return scope

    def _is_parent_of(self, parent_doc: str, child_doc: str) -> bool:
        """True when parent_doc's own place is a broader place of child_doc (安溪县 ⊃ 虎邱镇)."""
        p = self._by_id.get(parent_doc)
        c = self._by_id.get(child_doc)
        if not p or not c or not p.places:
            return False
        return p.places[-1] in c.places[:-1]
