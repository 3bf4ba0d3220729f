"""The learned answer model: the shipped file is complete and usable, and calibration refits it from
dev questions end to end (real pipeline, real model, a handful of questions)."""

from __future__ import annotations

import json

from rag.answer.lexicon import report_word
from rag.answer.model import GATE_FEATURES, SENTENCE_FEATURES, AnswerModel
from rag.evaluation.calibrate import calibrate, reliability
from tests.conftest import make_settings


def test_shipped_model_covers_every_feature_and_orders_its_thresholds():
    model = AnswerModel.load()
    assert model.sentence.names == list(SENTENCE_FEATURES)
    assert model.gate.names == list(GATE_FEATURES)
    assert 0.0 < model.weak_threshold <= model.answer_threshold < 1.0
    assert "dev" in model.fitted_on


def test_reliability_bins_compare_prediction_with_outcome():
    rows = reliability([0.05, 0.15, 0.95, 0.97, 0.99], [0, 1, 1, 1, 0])
    assert [r["n"] for r in rows] == [1, 1, 3]
    assert rows[-1]["observed"] == round(2 / 3, 3)


def test_calibration_refits_the_model_from_dev_questions(pipeline, shipped_index_dir, tmp_path):
    items = [
        {"id": "a1", "question": "德化县给请不起律师的人办了多少法律援助案件？", "answer": "1332件", "must_contain": ["1332件"],
         "doc": "dehua-2024", "evidence": "2024年累计办理法律援助案件1332件", "section": "", "type": "fact", "split": "dev"},
        {"id": "a2", "question": "鲤城区办了多少件法律援助？", "answer": "283件", "must_contain": ["283件"],
         "doc": "licheng-2024", "evidence": "共办理法律援助案件 283 件", "section": "", "type": "fact", "split": "dev"},
        {"id": "a3", "question": "虎邱镇请了哪家律所当法律顾问？", "answer": "福建铭群律师事务所", "must_contain": ["铭群"],
         "doc": "huqiu-2024", "evidence": "聘请福建铭群律师事务所", "section": "", "type": "fact", "split": "dev"},
        {"id": "u1", "question": "晋江市办了多少件法律援助？", "answer": "", "must_contain": [], "doc": None,
         "evidence": None, "section": None, "type": "unanswerable", "split": "dev"},
        {"id": "u2", "question": "虎邱镇的镇长叫什么名字？", "answer": "", "must_contain": [], "doc": None,
         "evidence": None, "section": None, "type": "unanswerable", "split": "dev"},
        {"id": "t1", "question": "石狮市有多少公职律师？", "answer": "", "must_contain": [], "doc": None,
         "evidence": None, "section": None, "type": "unanswerable", "split": "test"},
    ]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items), encoding="utf-8")
    out = tmp_path / "model.json"
    result = calibrate(make_settings(shipped_index_dir), [gold], out=out)
    assert result["n_dev"] == 5  # the test item is never read
    assert result["sentence_positives"] >= 3  # each answerable question's evidence sentence was a candidate
    model = AnswerModel.load(out)
    assert model.gate.names == list(GATE_FEATURES) and len(model.gate.coef) == len(GATE_FEATURES)
    assert 0.0 < model.weak_threshold <= model.answer_threshold < 1.0


def test_report_words_tell_a_reports_word_from_a_citizens():
    # The reference for "a word reports use" when a corpus is too small to say (missing_known).
    assert report_word("法律援助") and report_word("行政复议")
    assert not report_word("马拉松") and not report_word("帮忙")


def test_a_built_wheel_ships_the_answer_model_and_word_lists(tmp_path):
    # `pip install .` (not editable) must carry the fitted model and the word lists it reads.
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(root), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path)], check=True, cwd=tmp_path)
    names = zipfile.ZipFile(next(tmp_path.glob("*.whl"))).namelist()
    for data in ("rag/answer/answer_model.json", "rag/answer/report_words.txt", "rag/answer/synonyms.txt",
                 "rag/answer/everyday_words.txt"):
        assert data in names, data
