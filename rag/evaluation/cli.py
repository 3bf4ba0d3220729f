"""``rag eval`` arguments and entry (the harness lives beside this module)."""

from __future__ import annotations

import argparse

from rag.settings import Settings


def add_eval_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gold", default="eval/gold.jsonl")
    p.add_argument("--out", default="eval/out")


def run_eval_command(args, settings: Settings) -> int:
    raise SystemExit("rag eval is not available yet")
