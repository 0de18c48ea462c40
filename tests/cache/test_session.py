"""Cache writes tied to a transaction: made after its commit, dropped by its rollback."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from brandloom.cache import LocalCache
from brandloom.cache.session import invalidate, set_after_commit
from brandloom.db.engine import after_commit, unit_of_work


def test_invalidate_deletes_now_and_again_after_the_commit(
    factory: sessionmaker[Session],
) -> None:
    cache = LocalCache()
    cache.set("k", b"old", 60)
    seen: list[bytes | None] = []
    with unit_of_work(factory) as session:
        invalidate(session, cache, "k")
        assert cache.get("k") is None
        # A concurrent reader that still sees the uncommitted change's old row caches it again.
        cache.set("k", b"old", 60)
        after_commit(session, lambda: seen.append(cache.get("k")))
    assert cache.get("k") is None
    assert seen == [None], "the second delete runs in the order it was queued"


def test_invalidate_in_a_rolled_back_transaction_deletes_once(
    factory: sessionmaker[Session],
) -> None:
    cache = LocalCache()
    cache.set("k", b"old", 60)
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        invalidate(session, cache, "k")
        assert cache.get("k") is None
        cache.set("k", b"old", 60)  # the row did not change: caching it again is right
        raise RuntimeError("roll back")
    assert cache.get("k") == b"old"


def test_set_after_commit_caches_only_what_was_committed(
    factory: sessionmaker[Session],
) -> None:
    cache = LocalCache()
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        set_after_commit(session, cache, "rolled back", b"v", 60)
        raise RuntimeError("roll back")
    with unit_of_work(factory) as session:
        set_after_commit(session, cache, "a", b"1", 60)
        set_after_commit(session, cache, "b", b"2", 60)
        assert (cache.get("a"), cache.get("b")) == (None, None)
    assert (cache.get("a"), cache.get("b"), cache.get("rolled back")) == (b"1", b"2", None)


def test_a_bare_session_caches_after_its_commit(factory: sessionmaker[Session]) -> None:
    cache = LocalCache()
    with factory() as session:
        set_after_commit(session, cache, "a", b"1", 60)
        session.rollback()
        set_after_commit(session, cache, "b", b"2", 60)
        assert cache.get("b") is None
        session.commit()
    assert (cache.get("a"), cache.get("b")) == (None, b"2")
