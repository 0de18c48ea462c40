"""What every CLI command needs: settings, a migrated database, and a session factory."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.engine import make_engine, make_session_factory
from brandloom.db.migrate import upgrade
from brandloom.settings import Settings, get_settings
from brandloom.wiring import setup as setup_kinds


@dataclass(frozen=True, slots=True)
class AppContext:
    settings: Settings
    database_url: str
    factory: sessionmaker[Session]


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
