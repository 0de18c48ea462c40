"""Cached rows and SQLAlchemy sessions: attach cached data, invalidate when the change commits."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached

from brandloom.cache.base import Cache
from brandloom.db.base import Base

T = TypeVar("T", bound=Base)


def attach(session: Session, row: T) -> T:
    """Make an object built from cached column values a persistent object of ``session``.

    No SQL is emitted: ``row`` must carry its primary key and the values it had in the database.
    Columns it was built without load on first access; when the session already holds that
    row, the session's object is returned.
    """
    make_transient_to_detached(row)
    return session.merge(row, load=False)


def invalidate(session: Session, cache: Cache, *keys: str) -> None:
    """Delete ``keys`` now and once more after ``session`` commits.

    The second delete closes the window in which a concurrent reader, still seeing the old row
    before the commit, caches it again right after the first delete.
    """
    cache.delete(*keys)

    def _after_commit(_: Session) -> None:
        cache.delete(*keys)

    event.listen(session, "after_commit", _after_commit, once=True)


_PENDING = "brandloom.cache.pending_sets"


def set_after_commit(session: Session, cache: Cache, key: str, value: bytes, ttl: int) -> None:
    """Cache ``value`` once ``session`` commits; forget it if the transaction rolls back.

    A row read inside a transaction may be one that transaction created; caching it only after
    the commit keeps a rolled-back row from being served from the cache.
    """
    pending: list[tuple[Cache, str, bytes, int]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _flush_pending_sets)
        event.listen(session, "after_rollback", _drop_pending_sets)
    pending.append((cache, key, value, ttl))


def _flush_pending_sets(session: Session) -> None:
    pending: list[tuple[Cache, str, bytes, int]] = session.info.get(_PENDING) or []
    while pending:
        cache, key, value, ttl = pending.pop(0)
        cache.set(key, value, ttl)


def _drop_pending_sets(session: Session) -> None:
    pending: list[tuple[Cache, str, bytes, int]] | None = session.info.get(_PENDING)
    if pending:
        pending.clear()
