"""Process-wide API state: settings, session factory, cache, job executor and key lookup.

Built by the app factory (``api.app.create_app``); routers reach it through ``web.deps``. The
executor and the authenticator are protocols so that this module, and every router, stays below
the packages that implement them (``api.executor``, ``workspaces.service``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from brandloom.auth import AuthContext
from brandloom.cache import Cache
from brandloom.db.reads import QuickReads
from brandloom.settings import Settings


class Executor(Protocol):
    """Runs API jobs after their creating transaction commits (in-process or on workers)."""

    distributed: bool

    def submit(self, job_id: str) -> None: ...

    def wait(self, job_id: str, timeout: float | None = None) -> None: ...

    def shutdown(self) -> None: ...


class Authenticator(Protocol):
    """Finds the context an API key acts in (``workspaces.service.KeyAuthenticator``)."""

    def authenticate(self, session: Session, api_key: str) -> AuthContext:
        """The key's context, through the cache; ``AuthError`` for unknown or revoked keys."""
        ...

    async def cached(self, api_key: str) -> AuthContext | None:
        """The context of a key seen recently, from the cache alone; ``None``: not cached."""
        ...


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
    authenticator: Authenticator
