"""Look of the chat: a Gradio theme with system fonts only (the stock themes fetch Google Fonts, which
an intranet cannot reach) and the CSS for answers, sources and the embedded mode.
"""

from __future__ import annotations

from typing import Any

SANS = [
    "-apple-system", "BlinkMacSystemFont", "Segoe UI", "PingFang SC", "Hiragino Sans GB",
    "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "sans-serif",
]
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Noto Sans Mono CJK SC", "monospace"]


def make_theme() -> Any:
    import gradio as gr

    return gr.themes.Default(primary_hue="red", secondary_hue="slate", neutral_hue="slate",
                             font=SANS, font_mono=MONO)


CSS = """
.rag-header h1 { margin: 0 0 4px 0; font-size: 1.5rem; }
.rag-header p { margin: 0; color: var(--body-text-color-subdued); }
.rag-answer, .rag-question { line-height: 1.75; }
.rag-cite { color: var(--color-accent); font-weight: 600; margin: 0 1px; cursor: pointer; }
.rag-cite:hover { text-decoration: underline; }
.rag-source.rag-flash { outline: 2px solid var(--color-accent); }
.rag-source > summary { position: relative; z-index: 1; }
.rag-page { display: block; color: var(--body-text-color-subdued); font-size: 0.92em; margin-left: 1.2em; }
.rag-actions { display: flex; flex-wrap: wrap; align-items: center; gap: 10px; margin-top: 8px;
  font-size: 0.85em; color: var(--body-text-color-subdued); }
.rag-copy, .rag-vote { cursor: pointer; user-select: none; padding: 1px 6px; border-radius: 4px;
  border: 1px solid var(--border-color-primary); }
.rag-copy:hover, .rag-vote:hover, .rag-vote.rag-voted { background: var(--background-fill-secondary);
  border-color: var(--color-accent); }
.rag-fb-comment input { font-size: 0.95em; padding: 1px 6px; margin-right: 4px; min-width: 12em; }
.rag-fb-bad { color: #b91c1c; }
.rag-pending { color: var(--body-text-color-subdued); font-style: italic; }
.rag-note { color: var(--body-text-color-subdued); font-size: 0.85em; margin-top: 6px; }
.rag-refusal { border-left: 4px solid #d97706; background: rgba(217, 119, 6, 0.08);
  padding: 8px 12px; border-radius: 4px; line-height: 1.7; }
.rag-refusal-head { font-weight: 700; color: #b45309; margin-bottom: 2px; }
.rag-error { border-left: 4px solid #dc2626; background: rgba(220, 38, 38, 0.08);
  padding: 8px 12px; border-radius: 4px; color: #991b1b; }
.rag-sources { margin-top: 12px; border-top: 1px solid var(--border-color-primary); padding-top: 8px; }
.rag-sources-head { font-size: 0.85em; font-weight: 700; color: var(--body-text-color-subdued);
  margin-bottom: 6px; }
.rag-source { margin: 0 0 6px 0; padding: 6px 10px; border: 1px solid var(--border-color-primary);
  border-radius: 6px; background: var(--background-fill-secondary); font-size: 0.9em; }
.rag-source > summary { cursor: pointer; list-style: none; }
.rag-source > summary::-webkit-details-marker { display: none; }
.rag-source > summary::before { content: "▸"; color: var(--body-text-color-subdued); margin-right: 4px; }
.rag-source[open] > summary::before { content: "▾"; }
.rag-n { color: var(--color-accent); font-weight: 700; margin-right: 4px; }
.rag-title { font-weight: 600; }
.rag-section { display: block; color: var(--body-text-color-subdued); font-size: 0.92em; margin-left: 1.2em; }
.rag-quote { display: block; margin: 4px 0 0 1.2em; color: var(--body-text-color); }
.rag-chunk { margin: 8px 0 2px 1.2em; padding: 8px 10px; line-height: 1.7; white-space: normal;
  background: var(--background-fill-primary); border-radius: 4px; }
.rag-chunk mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.rag-docs { list-style: none; margin: 0; padding: 0; font-size: 0.88em; }
.rag-docs li { padding: 6px 0; border-bottom: 1px solid var(--border-color-primary); }
.rag-docs li:last-child { border-bottom: 0; }
.rag-doc-title { font-weight: 600; line-height: 1.5; }
.rag-doc-meta { color: var(--body-text-color-subdued); font-size: 0.92em; margin-top: 2px; }
"""

#: Extra rules for /embed: the widget's iframe is small, so the page margins go.
EMBED_CSS = """
.gradio-container .main.app { padding: 8px 10px !important; }
#rag-chat { height: calc(100vh - 136px) !important; flex: 0 0 auto !important; }
#rag-embed-filter { padding: 6px 10px !important; }
"""
