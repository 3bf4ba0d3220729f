"""Start the chat, its API and the intranet widget on the shipped corpus: ``python app.py``.

Configuration comes from RAG_* environment variables (see rag/settings.py), e.g. RAG_PORT=8080.
"""

from rag.pipeline import Pipeline
from rag.settings import Settings
from rag.web.server import serve

if __name__ == "__main__":
    settings = Settings()
    serve(settings, Pipeline(settings))
