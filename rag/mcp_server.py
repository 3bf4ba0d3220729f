"""The knowledge base as an MCP server (official ``mcp`` SDK): tools ``ask``, ``search_reports`` and
``list_reports``. ``rag mcp`` serves it over stdio; the web app serves the same server over
streamable HTTP at ``/mcp``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from rag.web.citations_out import citation_dict, source_url

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from rag.pipeline import Pipeline
    from rag.settings import Settings

#: Catalog fields that are safe to publish (the catalog also holds server file paths).
DOC_FIELDS = ("doc_id", "title", "issuer", "doc_number", "date", "year", "place", "chunks")
INSTRUCTIONS = (
    "Answers questions about Chinese government reports (法治政府建设情况报告 and similar) with citations. "
    "Use `ask` for an answer whose every sentence cites a report passage, `search_reports` for raw "
    "passages, `list_reports` for the report ids that `reports` filters accept."
)


class HistoryTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


def app_base(settings: Settings) -> str:
    """Where the web app (and so its source view) is reached, for links in tool results."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}{settings.root_path.rstrip('/')}"


def build_mcp(pipeline: Pipeline, base_url: str | None = None) -> MCPServer:
    """The MCP server; every tool is a thin wrapper over the pipeline (run in a worker thread)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    from rag.answer.base import Turn
    from rag.answer.flow import QuestionError

    base = base_url or app_base(pipeline.settings)
    server = MCPServer(name="gov-report-rag", title="政府报告问答", instructions=INSTRUCTIONS, version="0.1.0")

    def check_reports(reports: list[str] | None) -> list[str] | None:
        if not reports:
            return None
        known = {d["doc_id"] for d in pipeline.documents()}
        unknown = [r for r in reports if r not in known]
        if unknown:
            raise ToolError(f"unknown report ids: {', '.join(unknown[:10])}; call list_reports for the ids")
        return reports

    @server.tool()
    def ask(question: str, history: list[HistoryTurn] | None = None,
            reports: list[str] | None = None) -> dict[str, Any]:
        """Answer a question from the reports. Every sentence of the answer ends with [n] markers that
        point at `citations` (document, title, section, quote, link). `refused` is true when the reports
        do not say. `history` holds earlier turns for follow-ups; `reports` restricts to report ids."""
        try:
            result = pipeline.ask(question, history=[Turn(t.role, t.content) for t in history or []],
                                  doc_ids=check_reports(reports))
        except QuestionError as exc:
            raise ToolError(str(exc)) from exc
        citations = []
        for c in result.citations:
            d = citation_dict(c)
            d.pop("text", None)  # the whole passage is behind the link; the quote is what was cited
            d["url"] = source_url(base, d)
            citations.append(d)
        return {"answer": result.answer, "refused": result.refused, "citations": citations,
                "notice": result.notice, "answerer": result.answerer,
                "rewritten_question": result.rewritten_question}

    @server.tool()
    def search_reports(query: str, k: int = Field(5, ge=1, le=50),
                       reports: list[str] | None = None) -> dict[str, Any]:
        """The top passages for a query (hybrid dense + BM25), with document, title, section and page."""
        found = pipeline.search(query, k=k, doc_ids=check_reports(reports))
        rows = []
        for hit in found.chunks:
            row = hit.to_dict()
            row["page"] = getattr(hit.chunk, "page", None)
            row["url"] = source_url(base, {**row, "chunk_id": row.get("chunk_id", ""), "quote": ""})
            rows.append(row)
        return {"query": query, "passages": rows}

    @server.tool()
    def list_reports() -> dict[str, Any]:
        """The indexed reports: id, title, issuer, document number, date, year, place, chunk count."""
        return {"reports": [{k: d.get(k) for k in DOC_FIELDS} for d in pipeline.documents()]}

    return server


def serve_stdio(settings: Settings) -> None:
    """``rag mcp``: index if needed (progress on stderr), then speak MCP on stdin/stdout."""
    from rag.pipeline import Pipeline
    from rag.web.server import prepare

    pipeline = Pipeline(settings)
    stdout = sys.stdout
    sys.stdout = sys.stderr  # nothing but protocol messages may reach stdout
    try:
        prepare(pipeline)
    finally:
        sys.stdout = stdout
    build_mcp(pipeline).run("stdio")
