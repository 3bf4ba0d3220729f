"""The web face of the assistant: a Gradio chat, a JSON API and an embeddable widget on one server.

Nothing here is imported by the CLI or the pipeline; Gradio and FastAPI load only when serving.
"""
