"""``POST /api/feedback`` ``{"id": "…", "vote": "up"|"down", "comment": "…"}``: a vote on an answer
the chat (or widget) just showed. Errors are JSON with a Chinese ``error`` field.
"""

from __future__ import annotations

import json
from typing import Literal

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from rag.feedback.store import MAX_COMMENT, FeedbackStore
from rag.settings import Settings
from rag.web import messages

FEEDBACK_PATH = "/api/feedback"
UNKNOWN_ANSWER = "这条回答已过期（服务已重启或时间过久），无法再评价。"
THANKS = "感谢反馈！"


class Vote(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=8, max_length=64)
    vote: Literal["up", "down"]
    comment: str = Field("", max_length=MAX_COMMENT)


def feedback_endpoint(store: FeedbackStore, settings: Settings):
    """The handler, added as a plain route (a mount at /api/feedback would redirect to /api/feedback/)."""
    limit = settings.max_request_bytes

    async def vote(request: Request) -> JSONResponse:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            return JSONResponse({"error": messages.TOO_LARGE.format(limit=limit)}, status_code=413)
        raw = await request.body()
        if len(raw) > limit:
            return JSONResponse({"error": messages.TOO_LARGE.format(limit=limit)}, status_code=413)
        try:
            body = Vote.model_validate(json.loads(raw))
        except (ValueError, UnicodeDecodeError, RecursionError, ValidationError):
            return JSONResponse({"error": f"{messages.BAD_REQUEST}：id、vote（up 或 down）、comment"}, status_code=400)
        ok = await run_in_threadpool(store.vote, body.id, body.vote == "up", body.comment.strip())
        if not ok:
            return JSONResponse({"error": UNKNOWN_ANSWER}, status_code=404)
        return JSONResponse({"ok": True, "message": THANKS})

    return vote
