"""API key lookups through the cache: no query on a hit, revocation at once, Redis down."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from brandloom.auth import AuthContext
from brandloom.cache import Cache, LocalCache, RedisCache
from brandloom.db.engine import unit_of_work
from brandloom.errors import AuthError, NotFoundError
from brandloom.workspaces.models import ApiKey, Workspace
from brandloom.workspaces.service import (
    auth_cache_key,
    authenticate,
    create_workspace,
    hash_key,
    issue_key,
    revoke_key,
)
from tests.cache.conftest import FakeClock


class RecordingCache(LocalCache):
    """A LocalCache that remembers every key and value written to it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.written: list[tuple[str, bytes]] = []

    def set(self, key: str, value: bytes, ttl: int) -> None:
        self.written.append((key, value))
        super().set(key, value, ttl)


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _workspace(factory: sessionmaker[Session], name: str = "acme") -> tuple[str, str]:
    with unit_of_work(factory) as session:
        issued = create_workspace(session, name=name)
        return issued.workspace.id, issued.api_key


def _login(factory: sessionmaker[Session], key: str, cache: Cache | None) -> tuple[str, str]:
    with unit_of_work(factory) as session:
        workspace = authenticate(session, api_key=key, cache=cache).workspace
        assert workspace in session, "a persistent object of the request's session"
        return workspace.id, workspace.name


def _key_id(factory: sessionmaker[Session], key: str) -> str:
    with unit_of_work(factory) as session:
        return session.scalars(select(ApiKey.id).where(ApiKey.key_hash == hash_key(key))).one()


def test_a_cached_key_costs_no_query(factory: sessionmaker[Session], engine: Engine) -> None:
    ws_id, key = _workspace(factory)
    cache = LocalCache()
    assert _login(factory, key, cache) == (ws_id, "acme")
    with count_queries(engine) as statements:
        assert _login(factory, key, cache) == (ws_id, "acme")
    assert statements == []


def test_the_cached_workspace_works_like_a_loaded_one(factory: sessionmaker[Session]) -> None:
    ws_id, key = _workspace(factory)
    cache = LocalCache()
    _login(factory, key, cache)
    with unit_of_work(factory) as session:
        workspace = authenticate(session, api_key=key, cache=cache).workspace
        assert session.get(Workspace, ws_id) is workspace
        assert workspace.created_at.tzinfo is not None
        second = issue_key(session, AuthContext.operator(workspace), name="second").api_key
    assert _login(factory, second, None) == (ws_id, "acme")


def test_the_raw_key_never_reaches_the_cache(factory: sessionmaker[Session]) -> None:
    _, key = _workspace(factory)
    cache = RecordingCache()
    _login(factory, key, cache)
    assert [k for k, _ in cache.written] == [auth_cache_key(hash_key(key))]
    secret = key.removeprefix("bl_")
    for name, value in cache.written:
        assert secret not in name
        assert secret.encode() not in value


def test_a_revoked_key_is_refused_at_once_though_it_was_cached(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    ws_id, key = _workspace(factory)
    cache = LocalCache(clock=clock)
    _login(factory, key, cache)
    assert cache.get(auth_cache_key(hash_key(key))) is not None
    with unit_of_work(factory) as session:
        workspace = session.get(Workspace, ws_id)
        assert workspace is not None
        revoked = revoke_key(
            session, AuthContext.operator(workspace), key_id=_key_id(factory, key), cache=cache
        )
        assert revoked.revoked_at is not None
    with pytest.raises(AuthError):
        _login(factory, key, cache)
    assert cache.get(auth_cache_key(hash_key(key))) is None, "refusals are not cached"


def test_revoking_twice_keeps_the_first_time(factory: sessionmaker[Session]) -> None:
    ws_id, key = _workspace(factory)
    key_id = _key_id(factory, key)
    with unit_of_work(factory) as session:
        workspace = session.get(Workspace, ws_id)
        assert workspace is not None
        first = revoke_key(session, AuthContext.operator(workspace), key_id=key_id).revoked_at
        assert (
            revoke_key(session, AuthContext.operator(workspace), key_id=key_id).revoked_at == first
        )


def test_a_key_of_another_workspace_cannot_be_revoked(factory: sessionmaker[Session]) -> None:
    ws_a, _ = _workspace(factory, "acme")
    _, key_b = _workspace(factory, "globex")
    with unit_of_work(factory) as session, pytest.raises(NotFoundError) as info:
        workspace = session.get(Workspace, ws_a)
        assert workspace is not None
        revoke_key(session, AuthContext.operator(workspace), key_id=_key_id(factory, key_b))
    assert info.value.code == "api_key.not_found"
    assert _login(factory, key_b, None)[1] == "globex"


def test_a_rolled_back_revocation_is_not_cached_as_valid_or_invalid(
    factory: sessionmaker[Session],
) -> None:
    ws_id, key = _workspace(factory)
    cache = LocalCache()
    _login(factory, key, cache)
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        workspace = session.get(Workspace, ws_id)
        assert workspace is not None
        revoke_key(
            session, AuthContext.operator(workspace), key_id=_key_id(factory, key), cache=cache
        )
        raise RuntimeError("the request failed after revoking")
    assert _login(factory, key, cache)[0] == ws_id


def test_an_expired_entry_is_looked_up_again(
    factory: sessionmaker[Session], engine: Engine, clock: FakeClock
) -> None:
    _, key = _workspace(factory)
    cache = LocalCache(clock=clock)
    with unit_of_work(factory) as session:
        authenticate(session, api_key=key, cache=cache, ttl=2)
    clock.advance(2)
    with count_queries(engine) as statements:
        _login(factory, key, cache)
    assert any("api_key" in s for s in statements)


def test_a_corrupt_entry_falls_back_to_the_database(factory: sessionmaker[Session]) -> None:
    ws_id, key = _workspace(factory)
    cache = LocalCache()
    cache.set(auth_cache_key(hash_key(key)), b"{not json", 60)
    assert _login(factory, key, cache) == (ws_id, "acme")
    assert cache.get(auth_cache_key(hash_key(key))) != b"{not json"


def test_redis_down_authentication_still_works(factory: sessionmaker[Session]) -> None:
    ws_id, key = _workspace(factory)
    cache = RedisCache("redis://127.0.0.1:1/0")
    for _ in range(3):
        assert _login(factory, key, cache) == (ws_id, "acme")
    assert cache.ping() is False
    with unit_of_work(factory) as session:
        workspace = session.get(Workspace, ws_id)
        assert workspace is not None
        revoke_key(
            session, AuthContext.operator(workspace), key_id=_key_id(factory, key), cache=cache
        )
    with pytest.raises(AuthError):
        _login(factory, key, cache)


def test_revocation_reaches_every_process_sharing_redis(
    factory: sessionmaker[Session], redis_url: str, redis_prefix: str, redis_client: redis.Redis
) -> None:
    ws_id, key = _workspace(factory)
    api_one = RedisCache(redis_url, prefix=redis_prefix)
    api_two = RedisCache(redis_url, prefix=redis_prefix)
    _login(factory, key, api_one)
    stored = redis_client.get(redis_prefix + auth_cache_key(hash_key(key)))
    assert stored is not None and key.encode() not in stored
    assert _login(factory, key, api_two) == (ws_id, "acme")
    with unit_of_work(factory) as session:
        workspace = session.get(Workspace, ws_id)
        assert workspace is not None
        revoke_key(
            session, AuthContext.operator(workspace), key_id=_key_id(factory, key), cache=api_one
        )
    with pytest.raises(AuthError):
        _login(factory, key, api_two)
    for name in redis_client.scan_iter(match=redis_prefix + "*"):
        assert key.removeprefix("bl_").encode() not in name
