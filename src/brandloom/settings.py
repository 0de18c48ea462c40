"""The one settings tree, read from ``BRANDLOOM_*`` environment variables at the edge."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("brandloom", appauthor=False))


class Settings(BaseSettings):
    """Runtime configuration. Deep code receives values from here; it never reads env itself."""

    model_config = SettingsConfigDict(env_prefix="BRANDLOOM_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    workspace: str | None = None
    # API job outputs are kept this long under the data dir before they may be purged.
    retention_days: int = 30
    # Audience uploads larger than this are refused (bytes).
    max_upload_bytes: int = 2 * 1024**3
    db_pool_size: int = 5
    db_max_overflow: int = 10
    # Test a pooled connection that sat idle for a few seconds before handing it out, so a
    # restarted database fails no request (busy connections are not tested: no extra round trip).
    db_pool_pre_ping: bool = True
    # One log line per API request (``http.request``); server errors are logged regardless.
    access_log: bool = True
    # Worker threads per API process for blocking work (database queries, uploads).
    api_threads: int = Field(default=8, ge=1, le=256)
    # Render processes for jobs the API runs in-process (no broker); default: all cores.
    job_workers: int | None = None

    # Output storage: where API job outputs are written. Unset keeps them under the data dir; an
    # ``s3://bucket/prefix`` URL puts them in an S3-compatible bucket, reachable from workers on
    # every machine. The endpoint and credentials come from the settings below, never from the URL.
    storage_url: str | None = None
    # S3-compatible endpoint (MinIO, Ceph, R2, ...); unset means AWS S3 itself.
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    # Without a key pair, the standard AWS credential chain applies (env, profile, instance role).
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    # Plain http:// endpoints are refused unless this is set (local test servers).
    s3_allow_http: bool = False

    @field_validator("storage_url")
    @classmethod
    def _check_storage_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        scheme, sep, rest = value.partition("://")
        if not sep:
            return value  # a local folder
        if scheme not in ("s3", "file"):
            raise ValueError(f"expected s3://bucket[/prefix] or a local folder, not {scheme}://")
        if scheme == "s3" and not rest.split("/", 1)[0]:
            raise ValueError("s3:// URL without a bucket name")
        return value

    @field_validator("s3_endpoint_url")
    @classmethod
    def _check_s3_endpoint_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value or None

    # Cache: with a Redis URL, hot read-mostly data (API key lookups, stored templates) is shared
    # by every API process through Redis; without one, each process keeps its own bounded cache.
    # Either way brandloom keeps working (slower) when the cache is unavailable.
    redis_url: str | None = None
    # How long a cached entry may be served before it is read again from the database (seconds).
    cache_ttl_seconds: int = Field(default=300, ge=1)

    # Observability: log rendering ("console" for people, "json" for log shippers: one JSON
    # object per line) and the minimum level of the root logger.
    log_format: Literal["console", "json"] = "console"
    # DEBUG, INFO, WARNING, ERROR or CRITICAL (case-insensitive).
    log_level: str = "INFO"

    # Distributed workers: with a broker URL (redis:// or amqp://), job chunks run as Celery tasks
    # on ``brandloom worker`` processes; without one, jobs render in-process.
    broker_url: str | None = None
    # The queue chunk tasks go to (and `brandloom worker` consumes by default).
    broker_queue: str = "brandloom"
    # A worker renews its lease on a chunk every third of this; a chunk whose lease ran out (its
    # worker died) is taken over by another worker.
    chunk_lease_seconds: int = 60
    # Redis visibility timeout for unacknowledged task messages (Redis broker only).
    broker_visibility_timeout: int = 3600

    # Files brandloom can always rebuild (the language model unpacked once, parsed hyphenation
    # patterns): unset is the platform's user cache folder, empty is none. The analysis models
    # read BRANDLOOM_CACHE_DIR themselves (analysis.artifacts.cache_dir), in every process that
    # loads them; the setting documents it here with the others.
    cache_dir: str | None = None

    # Copy from a brief: the Fernet key (urlsafe base64, 32 bytes) that encrypts the LLM
    # provider keys a workspace stores. Without it the embedded mode (SQLite) generates one into
    # the data dir on first use; a server with a configured database refuses to store keys.
    secret_key: SecretStr | None = None

    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL: the configured one, or the embedded SQLite file in the data dir."""
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite:///{self.data_dir / 'brandloom.db'}"

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"


def normalize_database_url(url: str) -> str:
    """Map plain ``postgresql://`` (and ``postgres://``) URLs to the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
