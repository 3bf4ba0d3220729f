"""One chat turn, independent of Gradio: stream the answer into the message list, keep the turns.

The chat history shown to the user holds rendered HTML; the ``Turn`` list holds the plain text that
follow-up questions are resolved against. Only questions that were answered enter the turns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from rag.answer.base import Turn
from rag.answer.flow import QuestionError
from rag.pipeline import Pipeline
from rag.schema import AnswerResult
from rag.web import messages, render
from vectorstore.base import StoreUnavailable

log = logging.getLogger(__name__)

Message = dict[str, Any]

#: Turns kept for follow-ups; older ones cannot be referred to by a pronoun anyway.
MAX_TURNS = 20


def respond(pipeline: Pipeline, question: str, chat: list[Message], turns: list[Turn],
            doc_ids: list[str] | None,
            remember: Callable[[AnswerResult, list[Turn]], str] | None = None,
            ) -> Iterator[tuple[list[Message], list[Turn]]]:
    """Yields (messages, turns) after every change so the chat can show the answer as it grows.

    ``remember`` keeps the final answer for feedback and returns its id (shown with 👍/👎).
    """
    chat = [*chat, {"role": "user", "content": render.question(question)},
            {"role": "assistant", "content": render.pending()}]
    yield chat, turns
    partial = ""
    try:
        for event in pipeline.stream(question, history=turns[-MAX_TURNS:], doc_ids=doc_ids or None):
            if isinstance(event, AnswerResult):
                answer_id = remember(event, turns[-MAX_TURNS:]) if remember else None
                page_base = pipeline.settings.root_path.rstrip("/") + "/api/page"
                chat[-1] = {"role": "assistant", "content": render.answer(event, answer_id, page_base=page_base)}
                turns = [*turns, Turn("user", event.question), Turn("assistant", event.answer)]
            else:
                partial += event
                chat[-1] = {"role": "assistant", "content": render.pending(partial)}
            yield chat, turns
    except QuestionError as exc:
        chat[-1] = {"role": "assistant", "content": render.error(str(exc))}
        yield chat, turns
    except StoreUnavailable as exc:
        log.warning("chat: %s", exc)  # the message says what is wrong; a traceback adds nothing
        chat[-1] = {"role": "assistant", "content": render.error(messages.store_error(exc))}
        yield chat, turns
    except Exception:
        log.exception("chat: answering failed")
        chat[-1] = {"role": "assistant", "content": render.error(messages.INTERNAL)}
        yield chat, turns


def document_choices(docs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Dropdown entries: the report title and its id."""
    return [(str(d.get("title") or d["doc_id"]), d["doc_id"]) for d in docs]


def safe_documents(pipeline: Pipeline) -> list[dict[str, Any]] | None:
    """The indexed reports, or None when the store cannot be reached."""
    try:
        return pipeline.documents()
    except StoreUnavailable as exc:
        log.warning("documents: %s", exc)
        return None
