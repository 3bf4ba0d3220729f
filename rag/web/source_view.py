"""``GET /source``: one cited passage as a page, the quoted sentences highlighted and scrolled to.

This is where the ``url_citation`` links of the OpenAI-compatible API and the MCP tools point. It shows
only indexed report text, which the chat shows to anyone anyway; every character goes through
``render.text`` so nothing in a report can run.
"""

from __future__ import annotations

from fastapi import Query
from fastapi.responses import HTMLResponse

from rag.pipeline import Pipeline
from rag.web import render

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font:16px/1.8 -apple-system,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;
max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1f2937}}h1{{font-size:1.3rem}}
.meta{{color:#6b7280;font-size:.9rem}}mark{{background:#fde68a;padding:0 .1em}}
.rag-chunk{{border-left:3px solid #b91c1c;padding-left:1rem;margin-top:1rem}}</style></head>
<body><h1>{title}</h1><div class="meta">{meta}</div><div class="rag-chunk" id="rag-source">{body}</div>
<script>var m=document.querySelector("mark");if(m)m.scrollIntoView({{block:"center"}});</script></body></html>"""


def source_page(pipeline: Pipeline):
    def view(doc: str = Query("", max_length=200), chunk: str = Query("", max_length=240),
             section: str = Query("", max_length=1000), page: str = Query("", max_length=20),
             quote: str = Query("", max_length=2000)) -> HTMLResponse:
        pipeline.documents()  # follows index changes made elsewhere
        chunks = pipeline.lexical.chunks_of([doc]) if doc else []
        found = next((c for c in chunks if c.id == chunk), None)
        if found is None and quote:
            found = next((c for c in chunks if render.quote_spans(c.text, quote)), None)
        if found is None:
            html = PAGE.format(title="未找到出处", meta="", body=render.text("这段出处已不在知识库中（报告可能已被删除或更新）。"))
            return HTMLResponse(html, status_code=404)
        meta = " · ".join(x for x in (found.section or section, f"第 {page} 页" if page else "") if x)
        html = PAGE.format(title=render.text(found.title or found.doc_id), meta=render.text(meta),
                           body=render.highlighted(found.text, quote))
        return HTMLResponse(html)

    return view
