"""The JSON API for intranet pages: ``POST /ask``, ``GET /health``, ``GET /docs`` (mounted at /api).

Errors are JSON with a Chinese ``error`` field and a 4xx/503 status, never a stack trace. Answering
is blocking CPU work: it runs in Starlette's threadpool, never on the event loop.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.answer.base import Turn
from rag.answer.flow import QuestionError
from rag.ingest.readers import ReadError
from rag.pipeline import Pipeline
from rag.settings import Settings
from rag.web import messages
from rag.web.page_image import PAGE_RENDERERS
from vectorstore.base import StoreUnavailable

log = logging.getLogger(__name__)

#: Catalog fields that are safe to publish (the catalog also holds server file paths).
DOC_FIELDS = ("doc_id", "title", "issuer", "doc_number", "date", "year", "place", "chunks")
MAX_HISTORY = 50


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    question: str
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_HISTORY)
    docs: list[str] | None = Field(None, max_length=200)
    k: int | None = Field(None, ge=1, le=50)


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if p != "body") or "请求体"


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def build_api(pipeline: Pipeline, settings: Settings) -> FastAPI:
    """The API app. Body limit, CORS, keys and rate limits wrap it in ``create_app`` (they cover every route)."""
    api = FastAPI(title="政府报告问答 API", docs_url=None, redoc_url=None, openapi_url=None)

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"field": _field(tuple(e.get("loc", ()))), "problem": e.get("msg", "")} for e in exc.errors()]
        fields = "、".join(sorted({d["field"] for d in details}))
        return _error(422, f"{messages.BAD_REQUEST}：{fields}", details=details)

    @api.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.message)

    @api.exception_handler(StoreUnavailable)
    async def store_down(_: Request, exc: StoreUnavailable) -> JSONResponse:
        log.warning("api: vector store unavailable: %s", exc)
        return _error(503, messages.store_error(exc))

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        known = {404: messages.NOT_FOUND, 405: messages.BAD_METHOD}
        return _error(exc.status_code, known.get(exc.status_code, str(exc.detail)))

    @api.exception_handler(Exception)
    async def crashed(_: Request, exc: Exception) -> JSONResponse:
        log.exception("api: unexpected error", exc_info=exc)
        return _error(500, messages.INTERNAL)

    @api.get("/health")
    def health() -> JSONResponse:
        try:
            docs = pipeline.documents()
        except StoreUnavailable as exc:
            log.warning("health: %s", exc)
            return JSONResponse({"status": "unavailable", "error": messages.store_error(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "documents": len(docs), "chunks": sum(d["chunks"] for d in docs),
                             "answerer": settings.answerer_name,
                             "failed": [f.public() for f in pipeline.failures()]})

    @api.get("/docs")
    def documents() -> dict[str, Any]:
        return {"documents": [{k: d.get(k) for k in DOC_FIELDS} for d in pipeline.documents()],
                "failed": [f.public() for f in pipeline.failures()]}

    @api.get("/page/{doc_id}/{page}.png")
    def page_image(doc_id: str, page: int, q: str = "") -> Response:
        """The original PDF or OFD page of an indexed document, quote highlighted (read-only, by document id)."""
        doc = next((d for d in pipeline.documents() if d["doc_id"] == doc_id), None)
        source = Path(doc.get("source") or "") if doc else None
        render_page = PAGE_RENDERERS.get(doc.get("source_type") or "") if doc else None
        if render_page is None or source is None or not source.is_file():
            raise ApiError(404, messages.PAGE_NOT_FOUND)
        if not 1 <= page <= int(doc.get("pages") or 0) or len(q) > 4000:
            raise ApiError(404, messages.PAGE_NOT_FOUND)
        try:
            png = render_page(source, page, q)
        except ReadError as exc:
            raise ApiError(404, messages.PAGE_NOT_FOUND) from exc
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300",
                                                               "X-Content-Type-Options": "nosniff"})

    def answer(body: AskRequest) -> dict[str, Any]:
        doc_ids = body.docs or None
        if doc_ids:
            known = {d["doc_id"] for d in pipeline.documents()}
            unknown = [d for d in doc_ids if d not in known]
            if unknown:
                raise ApiError(400, messages.UNKNOWN_DOCS.format(ids="、".join(unknown[:10])))
        history = [Turn(t.role, t.content) for t in body.history]
        try:
            result = pipeline.ask(body.question, history=history, doc_ids=doc_ids, k=body.k)
        except QuestionError as exc:
            raise ApiError(400, str(exc)) from exc
        return result.to_dict()

    @api.post("/ask")
    async def ask(request: Request) -> dict[str, Any]:
        # Only JSON: a cross-site form or text/plain POST (sent by a browser without a CORS preflight)
        # is refused before it is read. Parsed here rather than by FastAPI so malformed JSON gets its own message.
        if not _is_json(request.headers.get("content-type")):
            raise ApiError(415, messages.NEED_JSON)
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: [[[[…]]]] nested deep
            raise ApiError(400, messages.BAD_JSON) from exc
        try:
            body = AskRequest.model_validate(data)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from exc
        return await run_in_threadpool(answer, body)

    return api
