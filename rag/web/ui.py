"""The Gradio chat. ``build_ui`` makes the full page (``/``) or the compact one for the widget
(``/embed``): same chat, no header or report list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from rag.answer.base import Turn
from rag.feedback.store import FeedbackStore
from rag.pipeline import Pipeline
from rag.settings import Settings
from rag.web import render
from rag.web.chat import document_choices, respond, safe_documents
from rag.web.messages import STORE_DOWN

TITLE = "政府报告问答助手"
INTRO = "根据已收录的政府工作报告回答问题，每句回答都注明出处；报告中没有的内容会如实说明。"

#: (a place that must appear in some indexed title, question); shown only when it fits the corpus.
EXAMPLES = [
    ("虎邱镇", "虎邱镇聘请了哪家律师事务所担任法律顾问？"),
    ("安溪县", "安溪县2023年行政诉讼一审败诉率是多少？"),
    ("鲤城区", "鲤城区2024年开展了哪些普法活动？"),
    ("德化县", "鲤城区和德化县2024年各办理了多少件法律援助案件？"),
]


def examples_for(docs: list[dict[str, Any]]) -> list[str]:
    """Example questions about reports that are actually indexed (a deployment may have others)."""
    titles = " ".join(str(d.get("title", "")) for d in docs)
    return [q for place, q in EXAMPLES if place in titles]


def _docs_html(docs: list[dict[str, Any]] | None) -> str:
    return render.error(STORE_DOWN) if docs is None else render.documents_table(docs)


def _chatbot(docs: list[dict[str, Any]], embed: bool) -> gr.Chatbot:
    # Messages are HTML built by rag.web.render with every text character escaped; sanitizing stays on
    # as a second line of defence, LaTeX and custom tags are off so no text can switch them on.
    examples = examples_for(docs)
    hint = "请输入问题，或点击下方示例。" if examples else "请在下方输入问题。"
    return gr.Chatbot(
        value=[], show_label=False, elem_id="rag-chat", height=None if embed else 600, min_height=240,
        scale=1 if embed else None, layout="bubble", buttons=[], feedback_options=None, latex_delimiters=[],
        sanitize_html=True, render_markdown=True, allow_tags=False,
        placeholder=f"<b>{TITLE}</b><br>{hint}",
        examples=[{"text": q} for q in examples] or None,
    )


def _input_row(embed: bool) -> tuple[gr.Textbox, gr.Button]:
    with gr.Row(equal_height=True, elem_classes=["rag-input-row"]):
        box = gr.Textbox(show_label=False, placeholder="请输入问题，按回车发送……", elem_id="rag-input",
                         lines=1, max_lines=5, scale=5, autofocus=not embed, container=not embed)
        send = gr.Button("发送", variant="primary", elem_id="rag-send", scale=1, min_width=72)
    return box, send


def _doc_filter(docs: list[dict[str, Any]]) -> gr.Dropdown:
    return gr.Dropdown(choices=document_choices(docs), value=[], multiselect=True, elem_id="rag-docs-filter",
                       label="限定报告（可多选）", info="不选则检索全部已收录的报告")


def build_ui(pipeline: Pipeline, settings: Settings, embed: bool = False,
             feedback: FeedbackStore | None = None) -> gr.Blocks:
    """The chat page; every event handler is a closure over ``pipeline``.

    The full page has a header and a side column (report filter and list). The embedded page is the
    chat alone, filling the widget's iframe, with the filter folded away under the input.
    """
    found = safe_documents(pipeline)
    docs = found or []
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_height=embed) as demo:
        # The chat shown and the turns live on the server (gr.State): a client sends only its question and
        # filter, never a message list, so no file or component payload can reach Gradio's file handling.
        turns = gr.State([])
        shown = gr.State([])
        if embed:
            chatbot = _chatbot(docs, embed)
            box, send = _input_row(embed)
            with gr.Row(equal_height=False):
                clear = gr.Button("新对话", size="sm", elem_id="rag-clear", scale=0, min_width=72)
                with gr.Accordion("限定报告", open=False, elem_id="rag-embed-filter"):
                    pick = _doc_filter(docs)
            listing = docs_table = None
        else:
            gr.HTML(f'<div class="rag-header"><h1>{TITLE}</h1><p>{INTRO}</p></div>')
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chatbot = _chatbot(docs, embed)
                    box, send = _input_row(embed)
                    clear = gr.Button("新对话", size="sm", elem_id="rag-clear", scale=0, min_width=80)
                with gr.Column(scale=1, min_width=260):
                    pick = _doc_filter(docs)
                    with gr.Accordion(f"已收录的报告（{len(docs)} 份）", open=True) as listing:
                        docs_table = gr.HTML(_docs_html(found), elem_id="rag-doc-list")

        def remember(result: Any, turns: list[Turn]) -> str | None:
            if feedback is None:
                return None
            return feedback.remember(result, turns, pipeline.lexical.fingerprint or "")

        def ask(question: str, chat: list[dict[str, Any]], history: list[Turn],
                doc_ids: list[str] | None) -> Iterator[tuple[str, list[dict[str, Any]], list[dict[str, Any]], list[Turn]]]:
            history = history or []
            messages, new_turns = chat or [], history
            for messages, new_turns in respond(pipeline, question or "", chat or [], history, doc_ids, remember):
                yield "", messages, messages, new_turns
            if new_turns is history and question:
                yield question, messages, messages, new_turns  # not answered: give the text back to fix or retry

        def refresh() -> Any:
            """Reports indexed since the server started appear on the next page load."""
            current = safe_documents(pipeline)
            listed = current or []
            choices = gr.update(choices=document_choices(listed))
            if embed:
                return choices
            return choices, _docs_html(current), gr.update(label=f"已收录的报告（{len(listed)} 份）")

        def pick_example(evt: gr.SelectData) -> str:
            value = evt.value
            return value.get("text", "") if isinstance(value, dict) else str(value)

        # One queue for every way of asking; a few answers may run at once (the API runs them in parallel too).
        io: dict[str, Any] = {"inputs": [box, shown, turns, pick], "outputs": [box, chatbot, shown, turns],
                              "show_progress": "hidden", "concurrency_id": "ask", "concurrency_limit": 4,
                              "api_visibility": "private"}
        box.submit(ask, **io)
        send.click(ask, **io)
        chatbot.example_select(pick_example, None, box, api_visibility="private").then(ask, **io)
        clear.click(lambda: ([], [], [], ""), None, [chatbot, shown, turns, box], show_progress="hidden",
                    api_visibility="private")
        chatbot.clear(lambda: ([], []), None, [shown, turns], show_progress="hidden",  # the chat's trash button
                      api_visibility="private")
        refreshed = [pick] if embed else [pick, docs_table, listing]
        demo.load(refresh, None, refreshed, show_progress="hidden", api_visibility="private")
    return demo
