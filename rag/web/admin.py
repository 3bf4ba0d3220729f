"""``/admin``: manage reports from a browser (upload, ingest progress, list, delete, re-index).

Mounted only when ``RAG_ADMIN_TOKEN`` is set (otherwise ``/admin`` is a 404). Every request under it
must carry the token, as HTTP Basic auth (any user name; the browser asks once and resends it) or as
``Authorization: Bearer``; it is compared in constant time. Requests that change something must also
send ``X-RAG-Admin: 1``, a header no cross-site form can add, so a page elsewhere cannot use the
browser's saved credentials. Uploads go through ``Pipeline.ingest`` (the ``rag ingest`` path) with the
same type and size limits; names are sanitized and files land only directly in the data folder.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
import unicodedata
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from rag.ingest.readers import SUPPORTED_SUFFIXES
from rag.pipeline import Pipeline
from rag.settings import Settings
from rag.web import messages
from rag.web.access import ADMIN_CHALLENGE, admin_credential, secret_value
from rag.web.limits import BodyLimit
from vectorstore.base import StoreUnavailable

log = logging.getLogger(__name__)

DOC_FIELDS = ("doc_id", "title", "issuer", "doc_number", "date", "year", "place", "chunks")
CSRF_HEADER = "x-rag-admin"
MAX_JOBS = 50
_UNSAFE = re.compile(r"[^\w.\-]+")


class UploadRejected(ValueError):
    """A file the admin page refuses; the message is shown to the admin (Chinese)."""


def safe_name(name: str) -> str:
    """A plain file name for an upload: no folders, no control or shell characters, a known suffix."""
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/").split("/")[-1]
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = f".{suffix.lower()}"
    if suffix not in SUPPORTED_SUFFIXES:
        raise UploadRejected(f"不支持的文件类型“{suffix if suffix != '.' else '（无扩展名）'}”，"
                             f"支持：{'、'.join(SUPPORTED_SUFFIXES)}。")
    stem = _UNSAFE.sub("_", stem).strip("._-")[:100]
    if not stem:
        raise UploadRejected("文件名无效，请改用由文字、数字组成的文件名。")
    return stem + suffix


class AdminAuth:
    """Checks the admin token on every request under /admin (constant-time compare)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    def _allowed(self, header: str) -> bool:
        given = (admin_credential(header) or "").encode()
        return secrets.compare_digest(given, self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        if not self._allowed(headers.get("authorization", "")):
            response: Response = JSONResponse({"error": messages.NEED_ADMIN}, status_code=401,
                                              headers={"WWW-Authenticate": ADMIN_CHALLENGE.decode()})
        elif scope["method"] not in ("GET", "HEAD") and headers.get(CSRF_HEADER) != "1":
            response = JSONResponse({"error": "请求缺少管理页面的标记，已拒绝。"}, status_code=403)
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)


class Jobs:
    """Ingest work, one job at a time in one worker thread (the indexer is not re-entrant)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="admin-ingest")
        self._jobs: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        #: Read errors of the last ingest of each file name, shown in the report list.
        self.errors: dict[str, str] = {}

    def submit(self, kind: str, name: str, work: Any) -> dict[str, Any]:
        job = {"id": uuid.uuid4().hex[:12], "kind": kind, "name": name, "state": "queued", "done": 0,
               "total": 1, "message": "", "error": "", "created": time.time()}
        with self._lock:
            self._jobs[job["id"]] = job
            while len(self._jobs) > MAX_JOBS:
                self._jobs.popitem(last=False)

        def run() -> None:
            job["state"] = "running"

            def progress(_: str, i: int, total: int) -> None:
                job["done"], job["total"] = i, max(total, 1)

            try:
                job["message"] = work(progress) or ""
                job["state"] = "failed" if job["message"].startswith("失败") else "done"
            except StoreUnavailable:
                job["state"], job["error"] = "failed", "向量数据库无法连接，请稍后再试。"
            except Exception as exc:  # shown to the admin; the full trace goes to the log
                log.exception("admin: %s %s failed", kind, name)
                job["state"], job["error"] = "failed", f"处理失败：{exc}"
            job["done"] = job["total"]

        self._pool.submit(run)
        return dict(job)

    def active(self) -> dict[str, str]:
        """Name → state for jobs not finished."""
        with self._lock:
            return {j["name"]: j["state"] for j in self._jobs.values() if j["state"] in ("queued", "running")}

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(j) for j in reversed(self._jobs.values())]


def admin_page() -> str:
    return resources.files("rag.web").joinpath("static/admin.html").read_text(encoding="utf-8")


def build_admin(pipeline: Pipeline, settings: Settings) -> FastAPI:
    if not secret_value(settings.admin_token):
        raise ValueError("the admin app needs RAG_ADMIN_TOKEN")
    data_dir = settings.data_dir.resolve()
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    jobs = Jobs()
    app = FastAPI(title="admin", docs_url=None, redoc_url=None, openapi_url=None)

    def files() -> dict[str, Path]:
        """Report files directly in the data folder, by document id."""
        if not data_dir.is_dir():
            return {}
        return {p.stem: p for p in sorted(data_dir.iterdir())
                if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUPPORTED_SUFFIXES}

    def in_data_dir(path: Path) -> bool:
        try:
            return path.resolve().parent == data_dir
        except OSError:
            return False

    def ingest_file(path: Path) -> str:
        report = pipeline.ingest([path])
        reasons = [reason for name, reason in report.skipped if Path(name).name == path.name]
        if reasons:
            jobs.errors[path.name] = reasons[0]
            return f"失败：{reasons[0]}"
        jobs.errors.pop(path.name, None)
        n = report.chunks_written
        return f"已索引，{n} 个片段" if n else "内容未变，无需重新索引"

    @app.get("/", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        return HTMLResponse(admin_page(), headers={"Cache-Control": "no-store"})

    @app.get("/api/reports")
    def reports() -> dict[str, Any]:
        indexed = {d["doc_id"]: d for d in pipeline.documents()}
        on_disk = files()
        active = jobs.active()
        rows = []
        for doc_id in sorted(set(indexed) | set(on_disk)):
            d, path = indexed.get(doc_id, {}), on_disk.get(doc_id)
            name = path.name if path else ""
            error = jobs.errors.get(name, "") if name else ""
            state = active.get(name) or ("error" if error else "indexed" if d else "not_indexed")
            rows.append({**{k: d.get(k) for k in DOC_FIELDS}, "doc_id": doc_id, "file": name,
                         "size": path.stat().st_size if path else None, "status": state, "error": error,
                         "managed": bool(path) or in_data_dir(Path(d.get("source", "/")))})
        return {"reports": rows, "jobs": jobs.list(), "limits": {
            "types": list(SUPPORTED_SUFFIXES), "max_file_mb": settings.max_file_mb}}

    @app.post("/api/reports")
    async def upload(request: Request) -> JSONResponse:
        try:
            form = await request.form(max_files=1, max_fields=5, max_part_size=max_bytes + 1)
        except Exception:  # malformed multipart, or a part over the limit
            return JSONResponse({"error": f"上传内容无效或超过 {settings.max_file_mb:g} MB 上限。"}, status_code=400)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return JSONResponse({"error": "请选择要上传的文件（字段名 file）。"}, status_code=400)
        try:
            name = safe_name(upload.filename or "")
            data = await upload.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise UploadRejected(f"文件超过 {settings.max_file_mb:g} MB 上限（RAG_MAX_FILE_MB）。")
            if not data:
                raise UploadRejected("文件是空的。")
            path = data_dir / name
            clash = files().get(path.stem)
            if clash is not None and clash.name != name:
                raise UploadRejected(f"已有同名报告“{clash.name}”，请先删除它或改用其他文件名。")
        except UploadRejected as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        finally:
            await upload.close()
        data_dir.mkdir(parents=True, exist_ok=True)
        if not in_data_dir(path):  # cannot happen after safe_name; checked anyway
            return JSONResponse({"error": "文件名无效。"}, status_code=400)
        tmp = data_dir / f".upload-{uuid.uuid4().hex}{path.suffix}"
        await run_in_threadpool(tmp.write_bytes, data)
        tmp.replace(path)  # atomic: the ingest never sees half a file
        job = jobs.submit("upload", name, lambda progress: ingest_file(path))
        return JSONResponse({"ok": True, "name": name, "doc_id": path.stem, "job": job}, status_code=202)

    def managed_file(doc_id: str) -> Path | None:
        path = files().get(doc_id)
        if path is not None:
            return path
        d = next((d for d in pipeline.documents() if d["doc_id"] == doc_id), None)
        source = Path(d.get("source", "")) if d else None
        return source if source and in_data_dir(source) else None

    @app.delete("/api/reports/{doc_id}")
    def delete(doc_id: str) -> JSONResponse:
        path = managed_file(doc_id)
        if path is None:
            return JSONResponse({"error": "没有这份报告，或它不在数据目录中（请用命令行管理）。"}, status_code=404)

        def work(progress: Any) -> str:
            path.unlink(missing_ok=True)
            jobs.errors.pop(path.name, None)
            report = pipeline.ingest([data_dir], progress=progress)  # removes the vanished report
            return "已删除" if doc_id in report.removed or doc_id not in {
                d["doc_id"] for d in pipeline.documents()} else "失败：删除后仍在索引中"

        return JSONResponse({"ok": True, "job": jobs.submit("delete", path.name, work)}, status_code=202)

    @app.post("/api/reports/{doc_id}/reindex")
    def reindex(doc_id: str) -> JSONResponse:
        path = managed_file(doc_id)
        if path is None or not path.exists():
            return JSONResponse({"error": "没有这份报告的文件，无法重新索引。"}, status_code=404)

        def work(progress: Any) -> str:
            pipeline.store.delete_document(doc_id)  # so the unchanged file is read and chunked again
            return ingest_file(path)

        return JSONResponse({"ok": True, "job": jobs.submit("reindex", path.name, work)}, status_code=202)

    app.add_middleware(BodyLimit, limit=max_bytes + 64 * 1024)
    app.add_middleware(AdminAuth, token=secret_value(settings.admin_token))  # outermost: auth first
    return app
