"""What every CLI command needs: settings, a migrated database, a session factory, and the
operator's auth context in the chosen workspace."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from brandloom.auth import AuthContext
from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.db.migrate import upgrade
from brandloom.settings import Settings, get_settings
from brandloom.wiring import setup as setup_kinds
from brandloom.workspaces.service import (
    DEFAULT_WORKSPACE,
    ensure_default_workspace,
    resolve_workspace,
)


@dataclass(frozen=True, slots=True)
class AppContext:
    settings: Settings
    database_url: str
    factory: sessionmaker[Session]

    def operator(self, workspace: str | None = None) -> AuthContext:
        """The CLI acts as the operator, holding every scope, in the chosen workspace.

        ``None`` (no ``--workspace``, no ``BRANDLOOM_WORKSPACE``) chooses ``default``, which
        is created here on first use: every command works on a fresh database. Any other
        workspace must exist (``workspace.not_found``, with the command that creates it).
        """
        name = workspace or DEFAULT_WORKSPACE
        with unit_of_work(self.factory) as session:
            if name == DEFAULT_WORKSPACE:
                chosen = ensure_default_workspace(session)
            else:
                chosen = resolve_workspace(session, name=name)
        return AuthContext.operator(chosen)


@lru_cache(maxsize=1)
def app_context() -> AppContext:
    settings = get_settings()
    setup_kinds()
    url = settings.resolved_database_url()
    engine = make_engine(
        url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
    )
    upgrade(engine)
    return AppContext(settings=settings, database_url=url, factory=make_session_factory(engine))
