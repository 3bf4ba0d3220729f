"""Which documents a question is about, from the places and years it names.

Derived entirely from document metadata (each report's places and reporting year), so it works for any
corpus: "石狮" matches the document whose place is 石狮市; "安溪县虎邱镇" picks 虎邱镇's report over
安溪县's because the county is only a parent place of the town's report.
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from rag.retrieval.gazetteer import Gazetteer

_SUFFIXES = ("自治区", "自治州", "街道", "省", "市", "区", "县", "镇", "乡")
_YEAR = re.compile(r"(20\d{2})\s*年|(?i:\b(?:in|year|of|for))\s+(20\d{2})\b")


def aliases(place: str) -> list[str]:
    """石狮市 -> [石狮市, 石狮, shishi]: the bare name when it keeps two characters, and its pinyin,
    which is how English questions spell it ("How many cases did Shishi handle?")."""
    return list(_aliases(place))


@functools.lru_cache(maxsize=100_000)
def _aliases(place: str) -> tuple[str, ...]:
    """Cached in memory; ``PlaceAliasCache`` keeps them on disk too, since pinyin over every report's
    places was most of a fresh process's resolver cost (≈1.8 s at 10,000 reports)."""
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


#: Words that list places ("安溪和南安", "鲤城、石狮"); each reader adds the few it also takes as joining them.
LISTING = "以及|和|跟|与|及|、"
#: (a place named beside another: "南安或安溪", "南安比德化")
_BESIDE = f"{LISTING}|同|还有|或|比"


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

    Documents are added and removed one at a time (``add``, ``remove``), so a process that follows
    changes made elsewhere updates only the changed reports, never the whole resolver. ``aliases_of``
    gives a place's aliases (a persistent cache in the app, see ``PlaceAliasCache``).
    """

    def __init__(self, docs: Iterable[DocPlaces] = (), gazetteer: Gazetteer | None = None,
                 mentioned: Callable[[str], bool] | None = None,
                 aliases_of: Callable[[str], Sequence[str]] = aliases) -> None:
        self.gazetteer = gazetteer
        self.mentioned = mentioned
        self.aliases_of = aliases_of
        self._by_id: dict[str, DocPlaces] = {}
        self._own: dict[str, list[str]] = {}  # alias -> docs whose own place it is, sorted
        self._any: dict[str, list[str]] = {}  # alias -> docs mentioning it at any level, sorted
        # Alias lengths to try at each position of a question (a count per length, so removal is cheap),
        # the document ids in order, and all aliases in one string for substring tests (made on demand).
        self._lengths: Counter[int] = Counter()
        self._order: list[str] | None = None
        self._joined: str | None = None
        self._unknown_memo: dict[str, list[str]] = {}
        # Questions are answered in several threads while another follows the corpus: one lock for both.
        self._lock = threading.RLock()
        # All at once: append, then sort each list once (``add`` keeps them sorted one insert at a time).
        for d in docs:
            self._by_id[d.doc_id] = d
        for d in self._by_id.values():
            for alias, own in self._doc_aliases(d):
                self._any.setdefault(alias, []).append(d.doc_id)
                if own:
                    self._own.setdefault(alias, []).append(d.doc_id)
        for table in (self._any, self._own):
            for ids in table.values():
                ids.sort()
        self._lengths.update(len(a) for a in self._any)

    # -- keeping up with the corpus ----------------------------------------------------------------
    def add(self, doc: DocPlaces) -> None:
        """Add a document, or replace the one with its id."""
        pairs = self._doc_aliases(doc)  # outside the lock: may compute pinyin
        with self._lock:
            self.remove(doc.doc_id)
            self._by_id[doc.doc_id] = doc
            for alias, own in pairs:
                ids = self._any.setdefault(alias, [])
                if not ids:
                    self._lengths[len(alias)] += 1
                _insort(ids, doc.doc_id)
                if own:
                    _insort(self._own.setdefault(alias, []), doc.doc_id)
            self._order = self._joined = None
            self._unknown_memo = {}

    def remove(self, doc_id: str) -> None:
        with self._lock:
            doc = self._by_id.pop(doc_id, None)
            if doc is None:
                return
            for alias, own in self._doc_aliases(doc):
                for table in (self._any, self._own) if own else (self._any,):
                    ids = table.get(alias)
                    if ids and doc_id in ids:
                        ids.remove(doc_id)
                        if not ids:
                            del table[alias]
                            if table is self._any:
                                self._lengths[len(alias)] -= 1
                                if not self._lengths[len(alias)]:
                                    del self._lengths[len(alias)]
            self._order = self._joined = None
            self._unknown_memo = {}

    def _doc_aliases(self, doc: DocPlaces) -> list[tuple[str, bool]]:
        """(alias, is it the document's own place), each alias once (own wins)."""
        out: dict[str, bool] = {}
        for level, place in enumerate(doc.places):
            own = level == len(doc.places) - 1
            for alias in self.aliases_of(place):
                out[alias] = out.get(alias, False) or own
        return list(out.items())

    @property
    def docs(self) -> list[DocPlaces]:
        with self._lock:
            return [self._by_id[d] for d in self._doc_ids()]

    def _doc_ids(self) -> list[str]:
        if self._order is None:
            self._order = sorted(self._by_id)
        return self._order

    @property
    def known_aliases(self) -> list[str]:
        """Every alias, in the order in which they claim text: longer first, then alphabetical."""
        with self._lock:
            return sorted(self._any, key=_claim_order)

    # -- questions ---------------------------------------------------------------------------------
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
        with self._lock:
            return self._spans(question)

    def _spans(self, question: str) -> list[tuple[int, int, str]]:
        occurrences = []
        folded = question.lower()
        lengths = sorted(self._lengths, reverse=True)
        for start in range(len(folded)):
            for length in lengths:
                alias = folded[start : start + length]
                if alias in self._any and not (folded[start].isascii() and _inside_word(folded, start, start + length)):
                    occurrences.append((_claim_order(alias), start, start + length, alias))
        occurrences.sort()
        found: list[tuple[int, int, str]] = []
        taken: list[tuple[int, int]] = []
        last_end: dict[str, int] = {}
        for _, start, end, alias in occurrences:
            if start < last_end.get(alias, 0):
                continue  # overlaps the previous occurrence of the same alias
            last_end[alias] = end
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            found.append((start, end, alias))
        return sorted(found)

    def years_of(self, alias: str) -> set[int]:
        """Reporting years of the reports whose own place this is."""
        with self._lock:
            return {y for d in self._own.get(alias, []) if (y := self._by_id[d].year)}

    def unknown_places(self, question: str) -> list[str]:
        """Real place names that no document covers or mentions, e.g. a county outside the corpus."""
        if self.gazetteer is None:
            return []
        memo = self._unknown_memo
        if question not in memo:
            if len(memo) >= 256:
                memo.clear()
            memo[question] = self._find_unknown(question)
        return list(memo[question])

    def _find_unknown(self, question: str) -> list[str]:
        # (memoised per question: one answer asks it of the typed, the resolved and the scoped question;
        # any change to the corpus clears the memo)
        out = []
        for name in self.gazetteer.places_in(question, known=self._any):
            with self._lock:
                inside = self._overlaps_alias(name)
            if inside:
                continue
            if self.mentioned is not None and self._mentioned_as_asked(question, name):
                continue
            out.append(name)
        return out

    def _mentioned_as_asked(self, question: str, name: str) -> bool:
        """The corpus names the place, or the quoted name the question asks about (晋江经验)."""
        assert self.mentioned is not None
        if self.mentioned(name):
            return True
        at = question.find(name)
        return at >= 0 and any(self.mentioned(question[at : at + len(name) + n]) for n in range(1, 5)
                               if at + len(name) + n <= len(question))

    def correct_homophones(self, question: str) -> str:
        """The question with a covered place written in a homophone corrected (虎丘镇 -> 虎邱镇).

        Typed Chinese goes through pinyin input, so a place the corpus covers often arrives as another
        real place that sounds the same. Only when every place the question names outside the corpus has
        exactly one covered namesake in sound is it read as that place ("苏州虎丘区" names 苏州 too, so it
        stays a place no report covers); the caller shows the corrected question to the asker.
        """
        unknown = self.unknown_places(question)
        if not unknown:
            return question
        fixed = question
        with self._lock:
            for name in unknown:
                forms = self.aliases_of(name)  # (name, its stem when a suffix comes off, pinyin)
                stem = forms[1] if len(forms) > 2 else name
                sound = _pinyin(stem)
                # The covered places sounding the same: their own stems (虎邱镇 → 虎邱), by their pinyin alias.
                stems = {self.aliases_of(self._by_id[d].places[-1])[-2] for d in self._own.get(sound, [])}
                stems = {s for s in stems if s != stem and _pinyin(s) == sound}
                if len(stems) != 1:
                    return question
                fixed = fixed.replace(stem, stems.pop())
        return fixed

    def _overlaps_alias(self, name: str) -> bool:
        """Is ``name`` part of some alias, or some alias part of ``name``?"""
        if self._joined is None:
            self._joined = "\x00".join(self._any)
        if name in self._joined:
            return True
        return any(name[i:j] in self._any for i in range(len(name)) for j in range(i + 1, len(name) + 1))

    def resolve(self, question: str) -> Scope:
        unknown = self.unknown_places(question)  # outside the lock: may read the lexical index
        with self._lock:
            return self._resolve(question, unknown)

    def _resolve(self, question: str, unknown: list[str]) -> Scope:
        scope = Scope(years=[int(a or b) for a, b in _YEAR.findall(question)])
        spans = self._spans(question)
        named: list[str] = []
        groups: list[list[str]] = []
        for i, (_, end, alias) in enumerate(spans):
            # Only a document's own place scopes the search; a broader place (泉州市 for 鲤城区) does not.
            docs = self._own.get(alias, [])
            nxt = spans[i + 1] if i + 1 < len(spans) else None
            if docs and nxt and _QUALIFIES.fullmatch(question[end : nxt[0]]) and all(
                self._is_parent_of(d, o) for d in docs for o in self._own.get(nxt[2], [])
            ) and self._own.get(nxt[2]):
                continue  # "安溪县虎邱镇", "安溪的虎邱镇": the county qualifies the town; the town's report is meant
            if docs and _SUB_ASKED.search(question):
                # "安溪县里哪个镇带头…": the county's towns' reports answer too.
                docs = sorted({*docs, *self._any.get(alias, [])})
            if docs and docs not in groups:
                groups.append(list(docs))
                named.append(alias)
        scope.places = named
        if named and self.gazetteer is not None:
            # A county's name without its suffix is often an ordinary word too ("上街给大家讲法律", "新建了哪几个
            # 部门"): beside a place the corpus covers it is doubt, and doubt neither refuses nor filters.
            # Listed with places ("安溪和南安", "南安、德化") it is a place.
            unknown = [u for u in unknown if u not in self.gazetteer.stems or u in self.gazetteer.names
                       or re.search(f"(?:{_BESIDE}){u}|{u}(?:{_BESIDE})", question)]
        scope.unknown_places = unknown
        everything = self._doc_ids()
        candidates = sorted({d for g in groups for d in g}) if groups else everything
        # Several places named: each answers for itself, and one whose report is of another year says so
        # (「石狮24年和安溪23年…」), rather than vanishing from the answer.
        if scope.years and len(groups) <= 1:
            wanted = set(candidates)
            # A report without a year in its metadata (a news article, a web page) is never excluded by year.
            by_year = [d for d in everything if d in wanted and (self._by_id[d].year in scope.years
                                                                  or self._by_id[d].year is None)]
            if by_year and len(by_year) < len(candidates):
                candidates = by_year
                kept = set(by_year)
                groups = [[d for d in g if d in kept] for g in groups]
                groups = [g for g in groups if g]
        scope.groups = groups
        if groups or len(candidates) < len(everything):
            scope.doc_ids = list(candidates)
        return scope

    def _is_parent_of(self, parent_doc: str, child_doc: str) -> bool:
        """True when parent_doc's own place is a broader place of child_doc (安溪县 ⊃ 虎邱镇)."""
        p = self._by_id.get(parent_doc)
        c = self._by_id.get(child_doc)
        if not p or not c or not p.places:
            return False
        return p.places[-1] in c.places[:-1]


#: What may stand between a place and the smaller place it qualifies ("安溪的虎邱镇").
_QUALIFIES = re.compile(r"\s*的?\s*")
#: A question asking which place below the one it names: "安溪县里哪个镇…", "下面哪些乡镇…".
_SUB_ASKED = re.compile(r"(?:哪个|哪些|哪几个|什么|哪一个)(?:乡镇|镇|乡|街道|村|社区)")


def _claim_order(alias: str) -> tuple[int, str]:
    return -len(alias), alias


def _insort(ids: list[str], doc_id: str) -> None:
    i = bisect.bisect_left(ids, doc_id)
    if i == len(ids) or ids[i] != doc_id:
        ids.insert(i, doc_id)
