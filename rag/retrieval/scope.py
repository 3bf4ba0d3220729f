"""Which documents a question is about, from the places and years it names.

Derived entirely from document metadata (each report's places and reporting year), so it works for any
corpus: "石狮" matches the document whose place is 石狮市; "安溪县虎邱镇" picks 虎邱镇's report over
安溪县's because the county is only a parent place of the town's report.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rag.retrieval.gazetteer import Gazetteer

_SUFFIXES = ("自治区", "自治州", "街道", "省", "市", "区", "县", "镇", "乡")
_YEAR = re.compile(r"(20\d{2})\s*年|(?i:\b(?:in|year|of|for))\s+(20\d{2})\b")


def aliases(place: str) -> list[str]:
    """石狮市 -> [石狮市, 石狮, shishi]: the bare name when it keeps two characters, and its pinyin,
    which is how English questions spell it ("How many cases did Shishi handle?")."""
    out = [place]
    for suffix in _SUFFIXES:
        if place.endswith(suffix) and len(place) - len(suffix) >= 2:
            out.append(place[: -len(suffix)])
            break
    out.append(_pinyin(out[-1]))
    return out


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
    """Places and years of a question, matched against the documents' metadata.

    ``gazetteer`` finds real place names (for "a place no report covers"); ``mentioned`` tells whether
    the corpus text names a place at all, so 北京市 in a news corpus is not called unknown just because
    no document's metadata lists it. Without a gazetteer nothing is ever called unknown.
    """

    def __init__(self, docs: list[DocPlaces], gazetteer: Gazetteer | None = None,
                 mentioned: Callable[[str], bool] | None = None) -> None:
        self.docs = docs
        self.gazetteer = gazetteer
        self.mentioned = mentioned
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

    def years_of(self, alias: str) -> set[int]:
        """Reporting years of the reports whose own place this is."""
        return {y for d in self._own.get(alias, []) if (y := self._by_id[d].year)}

    def unknown_places(self, question: str) -> list[str]:
        """Real place names that no document covers or mentions, e.g. a county outside the corpus."""
        if self.gazetteer is None:
            return []
        out = []
        for name in self.gazetteer.places_in(question):
            if self._overlaps_alias(name):
                continue
            if self.mentioned is not None and self.mentioned(name):
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
        scope.unknown_places = self.unknown_places(question)
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
