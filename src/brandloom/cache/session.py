"""Cached rows and SQLAlchemy sessions: attach cached data, invalidate when the change commits.

Cache writes that depend on a transaction wait for its commit through ``db.engine.after_commit``
(the one queue of after-commit work), so a rollback leaves the cache as it was.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session, make_transient_to_detached

from brandloom.cache.base import Cache
from brandloom.db.base import Base
from brandloom.db.engine import after_commit

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
    """Delete ``keys`` now and once more after ``session`` commits (not after a rollback).

    The second delete closes the window in which a concurrent reader, still seeing the old row
    before the commit, caches it again right after the first delete.
    """
    cache.delete(*keys)
    after_commit(session, lambda: cache.delete(*keys))


def set_after_commit(session: Session, cache: Cache, key: str, value: bytes, ttl: int) -> None:
    """Cache ``value`` once ``session`` commits; forget it if the transaction rolls back.

    A row read inside a transaction may be one that transaction created; caching it only after
    the commit keeps a rolled-back row from being served from the cache.
    """
    after_commit(session, lambda: cache.set(key, value, ttl))
