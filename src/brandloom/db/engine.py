"""Engine and session factory for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from brandloom.settings import normalize_database_url


def make_engine(
    url: str, *, pool_size: int = 5, max_overflow: int = 10, pre_ping: bool = True
) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys so processes share it."""
    url = normalize_database_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread off: a connection may be handed to a writer thread (one user at a time).
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_recycle=1800)
    if pre_ping:
        ping_idle_connections(engine)
    return engine


# A connection that sat in the pool longer than this is tested before use.
IDLE_PING_SECONDS = 5.0


def ping_idle_connections(engine: Engine) -> None:
    """Pessimistic disconnect handling, but only for connections that sat idle.

    A restarted or failed-over database leaves dead connections in the pool; testing one
    before use (a round trip) lets the pool replace it instead of failing a request. Testing
    every checkout would cost a round trip per request under load, when connections are busy
    and known good; so only connections idle for ``IDLE_PING_SECONDS`` are tested.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get("checked_in_at")
        if last is None or time.monotonic() - last < IDLE_PING_SECONDS:
            return
        try:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_conn.rollback()
        except Exception as exc:
            # The pool invalidates this connection and checks out another (or a new one).
            raise DisconnectionError("pooled connection failed its liveness check") from exc


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


_AFTER_COMMIT = "brandloom.after_commit"


def after_commit(session: Session, fn: Callable[[], object]) -> None:
    """Run ``fn`` once the unit of work that owns ``session`` has committed.

    For what must not happen unless the transaction's writes are visible: sending tasks to
    workers, starting jobs, emitting domain events. Dropped when the transaction rolls back.
    Outside a unit of work (a bare session), ``fn`` runs after that session's next commit.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(fn)


def _run_after_commit(session: Session) -> None:
    callbacks: list[Callable[[], object]] = session.info.pop(_AFTER_COMMIT, [])
    for fn in callbacks:
        fn()


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back when it raises.

    Callbacks registered with :func:`after_commit` run after the commit, in order.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.info.pop(_AFTER_COMMIT, None)
        session.rollback()
        raise
    finally:
        session.close()
    _run_after_commit(session)
