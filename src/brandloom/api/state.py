"""Process-wide API state: settings, session factory, cache and the background job executor."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from brandloom.api.executor import Executor
from brandloom.cache import Cache
from brandloom.db.reads import QuickReads
from brandloom.settings import Settings


@dataclass(slots=True)
class AppState:
    settings: Settings
    database_url: str
    factory: sessionmaker[Session]
    # Short read-only queries of hot endpoints (status polling), run without a thread hop.
    reads: QuickReads
    executor: Executor
    # Redis when BRANDLOOM_REDIS_URL is set, else an in-process cache; read-through only.
    cache: Cache
