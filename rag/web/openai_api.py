"""OpenAI-compatible chat API (mounted at ``/v1``): ``POST /chat/completions`` and ``GET /models``.

Open WebUI, Cherry Studio, the ``openai`` SDK and LangChain's ``ChatOpenAI`` can use the assistant as a
model. The answer keeps its ``[n]`` markers; each marker becomes a ``url_citation`` annotation on the
message (the standard field), pointing at the app's source view, with our whole citation in an extra
``citation`` field. Refusals are ordinary answers. Errors have OpenAI's shape and status codes.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.answer.base import Turn
from rag.answer.citations import MARKER
from rag.answer.flow import QuestionError
from rag.pipeline import Pipeline
from rag.schema import AnswerResult
from rag.settings import Settings
from rag.web import messages
from rag.web.citations_out import citation_dict, url_annotations
from rag.web.limits import BodyLimit
from vectorstore.base import StoreUnavailable

log = logging.getLogger(__name__)

MAX_MESSAGES = 100
OWNER = "gov-report-rag"


# -- request shapes ---------------------------------------------------------------------------------
class ContentPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type in ("text", "input_text"))
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    #: Our extension (``extra_body={"docs": [...]}`` in the SDK): restrict to these report ids.
    docs: list[str] | None = Field(None, max_length=200)


class OpenAIError(Exception):
    def __init__(self, status: int, message: str, type_: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def _error(status: int, message: str, type_: str = "invalid_request_error", code: str | None = None,
           param: str | None = None) -> JSONResponse:
    return JSONResponse(OpenAIError(status, message, type_, code, param).body(), status_code=status)


class OpenAIBodyLimit(BodyLimit):
    """The shared body limit, answering in OpenAI's error shape."""

    async def _reject(self, send: Any) -> None:
        body = json.dumps(OpenAIError(413, messages.TOO_LARGE.format(limit=self.limit), code="request_too_large")
                          .body(), ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


# -- answerers as models ----------------------------------------------------------------------------
class Answerers:
    """The models this server offers: the configured answerer, and ``extractive`` beside an LLM.

    The extractive sibling shares the configured pipeline's store, embedder and indexes (built once);
    only its answerer differs.
    """

    EXTRACTIVE = "extractive"

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._sibling: Pipeline | None = None
        self._lock = threading.Lock()

    @property
    def default(self) -> str:
        s = self.pipeline.settings
        if s.answerer_name == "llm" and s.llm_model:
            return s.llm_model
        return s.answerer_name

    def names(self) -> list[str]:
        return list(dict.fromkeys([self.default, self.EXTRACTIVE]))

    def get(self, model: str | None) -> Pipeline:
        if not model or model == self.default:
            return self.pipeline
        if model == self.EXTRACTIVE:
            with self._lock:
                if self._sibling is None:
                    sibling = Pipeline(self.pipeline.settings.model_copy(update={"answerer": self.EXTRACTIVE}))
                    self.pipeline.documents()  # builds store, lexical index and retriever
                    sibling._built.update({k: v for k, v in self.pipeline._built.items() if k != "answerer"})
                    self._sibling = sibling
                return self._sibling
        raise OpenAIError(404, f"没有这个模型：{model}。可用的模型：{'、'.join(self.names())}。",
                          code="model_not_found", param="model")


# -- conversion -------------------------------------------------------------------------------------
def split_messages(msgs: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """The last user message is the question; earlier user/assistant messages are the history."""
    if msgs[-1].role != "user":
        raise OpenAIError(400, "最后一条消息必须是用户的问题（role 为 user）。", param="messages")
    history = [Turn(m.role, m.text()) for m in msgs[:-1] if m.role in ("user", "assistant") and m.text().strip()]
    return msgs[-1].text(), history


def reconcile(sent: str, final: str) -> tuple[str, int]:
    """What to send after the streamed text so the client ends up with the final answer.

    Returns (tail, start of the final answer's text in the client's content). When the final answer
    continues what was streamed (ignoring markers the answerer dropped), only the rest is sent;
    otherwise (the answerer fell back) the final answer follows the streamed text in full.
    """
    if final.startswith(sent):
        return final[len(sent):], 0
    bare_sent = MARKER.sub("", sent)
    pos, seen = 0, 0
    while seen < len(bare_sent) and pos < len(final):
        m = MARKER.match(final, pos)
        if m:
            pos = m.end()
            continue
        if final[pos] != bare_sent[seen]:
            break
        pos += 1
        seen += 1
    if seen == len(bare_sent):
        m = MARKER.match(final, pos)
        if m and sent.endswith(m.group(0)):
            pos = m.end()  # the client has this marker already
        return final[pos:], 0
    tail = "\n\n" + final
    return tail, len(sent) + 2


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def rag_extra(result: AnswerResult) -> dict[str, Any]:
    """Our own fields beside the standard ones (ignored by standard clients)."""
    return {"refused": result.refused, "notice": result.notice, "answerer": result.answerer,
            "rewritten_question": result.rewritten_question,
            "citations": [citation_dict(c) for c in result.citations]}


def build_openai_api(pipeline: Pipeline, settings: Settings) -> FastAPI:
    api = FastAPI(title="OpenAI-compatible API", docs_url=None, redoc_url=None, openapi_url=None)
    models = Answerers(pipeline)

    @api.exception_handler(OpenAIError)
    async def openai_error(_: Request, exc: OpenAIError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @api.exception_handler(StoreUnavailable)
    async def store_down(_: Request, exc: StoreUnavailable) -> JSONResponse:
        log.warning("v1: vector store unavailable: %s", exc)
        return _error(503, messages.STORE_DOWN, "server_error", "store_unavailable")

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        known = {404: messages.NOT_FOUND, 405: "这个接口不支持该请求方法。"}
        return _error(exc.status_code, known.get(exc.status_code, str(exc.detail)),
                      code="not_found" if exc.status_code == 404 else None)

    @api.exception_handler(Exception)
    async def crashed(_: Request, exc: Exception) -> JSONResponse:
        log.exception("v1: unexpected error", exc_info=exc)
        return _error(500, messages.INTERNAL, "server_error")

    @api.get("/models")
    def list_models() -> dict[str, Any]:
        return {"object": "list", "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": OWNER} for name in models.names()]}

    @api.get("/models/{model}")
    def get_model(model: str) -> dict[str, Any]:
        if model not in models.names():
            raise OpenAIError(404, f"没有这个模型：{model}。", code="model_not_found", param="model")
        return {"id": model, "object": "model", "created": 0, "owned_by": OWNER}

    def prepare(body: ChatRequest) -> tuple[Pipeline, str, list[Turn], list[str] | None]:
        pipe = models.get(body.model)
        question, history = split_messages(body.messages)
        doc_ids = body.docs or None
        if doc_ids:
            known = {d["doc_id"] for d in pipe.documents()}
            unknown = [d for d in doc_ids if d not in known]
            if unknown:
                raise OpenAIError(400, messages.UNKNOWN_DOCS.format(ids="、".join(unknown[:10])), param="docs")
        return pipe, question, history, doc_ids

    def complete(body: ChatRequest, base: str) -> dict[str, Any]:
        pipe, question, history, doc_ids = prepare(body)
        try:
            result = pipe.ask(question, history=history, doc_ids=doc_ids)
        except QuestionError as exc:
            raise OpenAIError(400, str(exc), param="messages") from exc
        cites = [citation_dict(c) for c in result.citations]
        message = {"role": "assistant", "content": result.answer, "refusal": None,
                   "annotations": url_annotations(result.answer, cites, base)}
        return {"id": completion_id(), "object": "chat.completion", "created": int(time.time()),
                "model": body.model or models.default, "system_fingerprint": None,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
                "rag": rag_extra(result)}

    def start_stream(body: ChatRequest) -> tuple[Iterator[str | AnswerResult], str | AnswerResult | None]:
        """Runs until the first event, so bad questions and a down store get a proper status code."""
        pipe, question, history, doc_ids = prepare(body)
        events = pipe.stream(question, history=history, doc_ids=doc_ids)
        try:
            first = next(events, None)
        except QuestionError as exc:
            raise OpenAIError(400, str(exc), param="messages") from exc
        return events, first

    def sse(events: Iterator[str | AnswerResult], first: str | AnswerResult | None, model: str,
            base: str) -> Iterator[str]:
        cid, created = completion_id(), int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                    "system_fingerprint": None,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        sent, pending = "", ""
        try:
            for event in _chain(first, events):
                if isinstance(event, AnswerResult):
                    # Text held back in ``pending`` is simply part of the tail, if the answer kept it.
                    tail, start = reconcile(sent, event.answer)
                    content = sent + tail
                    cites = [citation_dict(c) for c in event.citations]
                    annotations = url_annotations(content, cites, base, start)
                    delta: dict[str, Any] = {"content": tail} if tail else {}
                    if annotations:
                        delta["annotations"] = annotations
                    if delta:
                        yield chunk(delta)
                    yield chunk({}, "stop", rag=rag_extra(event))
                else:
                    text = pending + event
                    # Hold back a marker still being written ("…完成了[1"), so markers arrive whole.
                    cut = text.rfind("[")
                    if cut >= 0 and "]" not in text[cut:]:
                        text, pending = text[:cut], text[cut:]
                    else:
                        pending = ""
                    if text:
                        sent += text
                        yield chunk({"content": text})
        except StoreUnavailable:
            log.warning("v1: vector store unavailable while streaming", exc_info=True)
            yield f"data: {json.dumps(OpenAIError(503, messages.STORE_DOWN, 'server_error').body(), ensure_ascii=False)}\n\n"
        except Exception:
            log.exception("v1: answering failed while streaming")
            yield f"data: {json.dumps(OpenAIError(500, messages.INTERNAL, 'server_error').body(), ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"

    @api.post("/chat/completions")
    async def chat_completions(request: Request) -> Any:
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise OpenAIError(400, messages.BAD_JSON) from exc
        try:
            body = ChatRequest.model_validate(data)
        except ValidationError as exc:
            fields = "、".join(sorted({".".join(str(p) for p in e.get("loc", ())) or "请求体" for e in exc.errors()}))
            raise OpenAIError(400, f"{messages.BAD_REQUEST}：{fields}", param=fields) from exc
        base = str(request.base_url)
        if not body.stream:
            return await run_in_threadpool(complete, body, base)
        events, first = await run_in_threadpool(start_stream, body)
        return StreamingResponse(sse(events, first, body.model or models.default, base),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    api.add_middleware(OpenAIBodyLimit, limit=settings.max_request_bytes)
    return api


def _chain(first: str | AnswerResult | None, rest: Iterator[str | AnswerResult]) -> Iterator[str | AnswerResult]:
    if first is not None:
        yield first
    yield from rest
