"""Process-wide API state: settings, session factory, cache and the background job executor."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from brandloom.api.executor import Executor
from brandloom.cache import Cache
from brandloom.settings import Settings


@dataclass(slots=True)
class AppState:
    settings: Settings
    database_url: str
    factory: sessionmaker[Session]
    # Autocommit sessions for read-only hot paths: one round trip per query, no BEGIN/COMMIT.
    read_factory: sessionmaker[Session]
    executor: Executor
    # Redis when BRANDLOOM_REDIS_URL is set, else an in-process cache; read-through only.
    cache: Cache
