"""Prompt templates as files, rendered with Jinja2 (StrictUndefined: a missing variable is an error)."""

from __future__ import annotations

import functools
from importlib import resources

import jinja2


@functools.cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


def render(name: str, **variables) -> str:
    source = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return _env().from_string(source).render(**variables)
