"""The one settings tree, read from ``BRANDLOOM_*`` environment variables at the edge."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field
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

    # Distributed workers: with a broker URL (redis:// or amqp://), job chunks run as Celery tasks
    # on ``brandloom worker`` processes; without one, jobs render in-process.
    broker_url: str | None = None
    # Seconds a worker may hold a chunk without a heartbeat before another worker takes it over.
    chunk_lease_seconds: int = 60
    # Redis visibility timeout for unacknowledged task messages (Redis broker only).
    broker_visibility_timeout: int = 3600

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
