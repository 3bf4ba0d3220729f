"""The catalog and place resolver follow the lexical index one report at a time: a report added or removed
by another process is read, and added to or removed from the resolver, alone; place aliases persist on
disk, so a fresh process computes none of them again. No model is needed: the lexical index is real
(SQLite + jieba) and the other process is a real subprocess writing to the same file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rag.catalog import Catalog
from rag.retrieval.lexical import DocUpdate, LexicalIndex
from rag.retrieval.place_aliases import PlaceAliasCache
from rag.retrieval.scope import DocPlaces, ScopeResolver
from rag.schema import Chunk
from tests.conftest import REPO

PLACES = {
    "shishi-2024": (["福建省", "泉州市", "石狮市"], 2024),
    "anxi-2023": (["福建省", "泉州市", "安溪县"], 2023),
    "huqiu-2024": (["福建省", "泉州市", "安溪县", "虎邱镇"], 2024),
    "dehua-2024": (["福建省", "泉州市", "德化县"], 2024),
}
NEW = "yongchun-2024"
QUESTIONS = ["永春县办理了多少件法律援助案件？", "Yongchun 2024 legal aid cases", "安溪县虎邱镇聘请了哪家律所？",
             "石狮和德化2024年各办理了多少件？", "安溪县2023年的法律顾问是谁？", "泉州市2024年的情况", "Shishi and Anxi"]

# Run as another process: add (or remove) one report in the shared lexical file.
WRITER = """
import sys
from pathlib import Path
from tests.test_catalog import update
from rag.retrieval.lexical import LexicalIndex
index = LexicalIndex(Path(sys.argv[1]))
if sys.argv[2] == "add":
    index.apply([update(sys.argv[3], ["福建省", "泉州市", "永春县"], 2024)])
else:
    index.apply([], [sys.argv[3]])
"""


def update(doc_id: str, places: list[str], year: int) -> DocUpdate:
    place = places[-1]
    text = f"{year}年，{place}办理法律援助案件731件，建成村级公共法律服务工作室236个。"
    chunk = Chunk(doc_id=doc_id, ordinal=0, text=text, section_path=["一、主要工作"], start=0, end=len(text),
                  title=f"{place}{year}年法治政府建设报告", year=year)
    meta = {"title": chunk.title, "places": places, "year": year, "source": f"/data/{doc_id}.txt"}
    return DocUpdate(doc_id, f"hash-{doc_id}", [chunk], meta)


def _other_process(directory: Path, action: str, doc_id: str) -> None:
    subprocess.run([sys.executable, "-c", WRITER, str(directory), action, doc_id], cwd=REPO, check=True,
                   timeout=120, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


@pytest.fixture
def index(tmp_path) -> LexicalIndex:
    lexical = LexicalIndex(tmp_path / "lexical")
    lexical.apply([update(d, places, year) for d, (places, year) in PLACES.items()])
    return lexical


def _catalog(lexical: LexicalIndex, tmp_path: Path) -> Catalog:
    return Catalog(lexical, PlaceAliasCache(tmp_path / "place-aliases.sqlite"), gazetteer=lambda: None)


def _scopes(resolver: ScopeResolver) -> list[tuple]:
    return [(s.doc_ids, s.places, s.groups, s.years) for s in map(resolver.resolve, QUESTIONS)]


def test_a_report_added_or_removed_elsewhere_is_read_alone(index, tmp_path):
    catalog = _catalog(index, tmp_path)
    assert catalog.sync() == len(PLACES) and catalog.full_reads == 1
    assert catalog.resolver.resolve(QUESTIONS[0]).doc_ids is None  # 永春县: no report yet
    resolver = catalog.resolver

    _other_process(index.directory, "add", NEW)
    assert catalog.sync() == 1  # the new report's entry, not the whole catalog again
    assert catalog.full_reads == 1 and catalog.entries_read == len(PLACES) + 1
    assert catalog.resolver is resolver  # updated in place, not rebuilt
    assert resolver.resolve(QUESTIONS[0]).doc_ids == [NEW]
    assert resolver.resolve(QUESTIONS[1]).doc_ids == [NEW]  # its pinyin alias too
    assert [d["doc_id"] for d in catalog.documents()] == sorted([*PLACES, NEW])
    assert catalog.get(NEW)["places"][-1] == "永春县"

    assert catalog.sync() == 0  # nothing changed: nothing read

    _other_process(index.directory, "remove", NEW)
    assert catalog.sync() == 0 and catalog.full_reads == 1  # a removal reads no entry
    assert resolver.resolve(QUESTIONS[0]).doc_ids is None
    assert NEW not in {d["doc_id"] for d in catalog.documents()} and catalog.get(NEW) == {}

    # Clearing the index (a rebuild) is the one change the log cannot describe: read everything again.
    index.clear()
    assert catalog.sync() == 0 and catalog.full_reads == 2 and catalog.documents() == []


def test_updated_in_place_the_resolver_answers_as_one_built_afresh(index, tmp_path):
    catalog = _catalog(index, tmp_path)
    catalog.sync()
    for doc_id in ("anxi-2023", "shishi-2024"):
        _other_process(index.directory, "remove", doc_id)
    _other_process(index.directory, "add", NEW)
    index.apply([update("anxi-2023", *PLACES["anxi-2023"])])
    catalog.sync()
    fresh = ScopeResolver([DocPlaces(d["doc_id"], d["places"], d["year"]) for d in index.documents()])
    assert _scopes(catalog.resolver) == _scopes(fresh)
    assert catalog.resolver.known_aliases == fresh.known_aliases
    assert catalog.resolver.resolve(QUESTIONS[2]).doc_ids == ["huqiu-2024"]  # the county qualifies the town


def test_place_aliases_are_computed_once_per_index_not_per_process(index, tmp_path):
    first = _catalog(index, tmp_path)
    first.sync()
    assert first.aliases.computed == len({p for places, _ in PLACES.values() for p in places})
    second = _catalog(index, tmp_path)  # a fresh process: the same file
    second.sync()
    assert second.aliases.computed == 0
    assert _scopes(second.resolver) == _scopes(first.resolver)
    assert second.aliases.aliases_of("石狮市") == ("石狮市", "石狮", "shishi")


def test_an_unwritable_alias_file_only_costs_the_computation(index, tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    catalog = Catalog(index, PlaceAliasCache(blocked / "place-aliases.sqlite"), gazetteer=lambda: None)
    catalog.sync()
    assert catalog.resolver.resolve(QUESTIONS[4]).doc_ids == ["anxi-2023"]
