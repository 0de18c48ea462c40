"""The Redis cache: namespacing, TTLs, the circuit breaker, and behaviour while Redis is down."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
import redis

from brandloom.cache import RedisCache
from brandloom.cache.redis_cache import NAMESPACE, describe_url
from tests.cache.conftest import CuttableProxy, FakeClock, proxied_url

DOWN_URL = "redis://:hunter2@127.0.0.1:1/0"  # nothing listens on port 1


def test_describe_url_never_shows_credentials() -> None:
    assert describe_url("redis://user:hunter2@cache:6380/2") == "redis://cache:6380/2"
    assert describe_url("rediss://:hunter2@cache") == "rediss://cache:6379/0"
    assert describe_url("redis://cache/1?password=hunter2") == "redis://cache:6379/1"
    assert describe_url("unix:///run/redis.sock?password=hunter2") == "unix:///run/redis.sock"
    assert NAMESPACE == "brandloom:v1:"


# --- Redis down ----------------------------------------------------------------------------


def test_down_redis_is_an_empty_cache(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    cache = RedisCache(DOWN_URL, clock=clock)
    with caplog.at_level(logging.INFO, logger="brandloom.cache"):
        assert cache.get("k") is None
        cache.set("k", b"v", 60)
        cache.delete("k")
        assert cache.get("k") is None
        assert cache.ping() is False
        assert cache.ping() is False
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, "one warning per outage"
    assert "127.0.0.1:1" in warnings[0].getMessage()
    assert all("hunter2" not in r.getMessage() for r in caplog.records)


def test_breaker_stops_asking_until_retry_after(clock: FakeClock) -> None:
    cache = RedisCache(DOWN_URL, clock=clock, retry_after=5.0)
    attempts = 0
    real_get = cache._client.get

    def counting_get(name: str) -> object:
        nonlocal attempts
        attempts += 1
        return real_get(name)

    cache._client.get = counting_get  # type: ignore[method-assign]
    assert cache.get("k") is None
    assert attempts == 1 and not cache.available
    for _ in range(10):
        assert cache.get("k") is None
    assert attempts == 1, "an open breaker does not touch the network"
    clock.advance(5.0)
    assert cache.available
    assert cache.get("k") is None
    assert attempts == 2, "after retry_after it tries once more"


def test_ping_always_really_tries(clock: FakeClock) -> None:
    cache = RedisCache(DOWN_URL, clock=clock)
    cache.get("k")  # opens the breaker
    assert not cache.available
    calls = 0
    real_ping = cache._client.ping

    def counting_ping() -> object:
        nonlocal calls
        calls += 1
        return real_ping()

    cache._client.ping = counting_ping  # type: ignore[method-assign]
    assert cache.ping() is False
    assert cache.ping() is False
    assert calls == 2


# --- real Redis ----------------------------------------------------------------------------


def test_round_trip_under_the_namespace(
    redis_url: str, redis_prefix: str, redis_client: redis.Redis
) -> None:
    cache = RedisCache(redis_url, prefix=redis_prefix)
    assert cache.ping() is True
    assert cache.get("k") is None
    cache.set("k", b"\x00value", 30)
    cache.set("other", b"2", 30)
    assert cache.get("k") == b"\x00value"
    assert redis_client.get(redis_prefix + "k") == b"\x00value"
    assert 0 < redis_client.ttl(redis_prefix + "k") <= 30
    cache.delete("k", "other", "missing")
    assert cache.get("k") is None
    assert redis_client.exists(redis_prefix + "k", redis_prefix + "other") == 0


def test_entries_expire(redis_url: str, redis_prefix: str) -> None:
    cache = RedisCache(redis_url, prefix=redis_prefix)
    cache.set("brief", b"x", 1)
    assert cache.get("brief") == b"x"
    deadline = time.monotonic() + 2.0
    while cache.get("brief") is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.get("brief") is None


def test_outage_and_recovery_through_a_cut_connection(
    redis_url: str,
    redis_prefix: str,
    redis_client: redis.Redis,
    proxy: CuttableProxy,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = RedisCache(proxied_url(redis_url, proxy), prefix=redis_prefix, clock=clock)
    cache.set("revoked", b"stale", 60)
    cache.set("kept", b"fresh", 60)
    assert cache.get("revoked") == b"stale"

    proxy.cut()
    with caplog.at_level(logging.INFO, logger="brandloom.cache"):
        assert cache.get("kept") is None
        cache.delete("revoked")  # cannot reach Redis: remembered for later
        assert cache.ping() is False
        assert redis_client.get(redis_prefix + "revoked") == b"stale"

        proxy.restore()
        assert cache.get("kept") is None, "breaker still open"
        clock.advance(cache.retry_after)
        assert cache.get("kept") == b"fresh"
    assert redis_client.get(redis_prefix + "revoked") is None, "delete sent on recovery"
    assert cache.get("revoked") is None
    levels = [r.levelno for r in caplog.records if r.name == "brandloom.cache.redis_cache"]
    assert levels == [logging.WARNING, logging.INFO], "one line when it goes, one when it is back"


def test_ping_closes_the_breaker_when_redis_is_back(
    redis_url: str, redis_prefix: str, proxy: CuttableProxy, clock: FakeClock
) -> None:
    cache = RedisCache(proxied_url(redis_url, proxy), prefix=redis_prefix, clock=clock)
    proxy.cut()
    assert cache.ping() is False
    assert not cache.available
    proxy.restore()
    assert cache.ping() is True
    assert cache.available
    cache.set("k", b"v", 30)
    assert cache.get("k") == b"v"


# --- asyncio reads -------------------------------------------------------------------------


def test_aget_on_a_down_redis_is_a_miss_that_opens_the_breaker(clock: FakeClock) -> None:
    cache = RedisCache(DOWN_URL, clock=clock)

    async def read() -> bytes | None:
        try:
            return await cache.aget("k")
        finally:
            await cache.aclose()

    assert asyncio.run(read()) is None
    assert not cache.available, "the sync and asyncio paths share one breaker"
    assert cache.get("k") is None


def test_aget_reads_what_get_reads_from_any_event_loop(redis_url: str, redis_prefix: str) -> None:
    cache = RedisCache(redis_url, prefix=redis_prefix)
    cache.set("k", b"\x00value", 30)

    async def read(key: str) -> bytes | None:
        return await cache.aget(key)

    # Each asyncio.run is a new event loop, as a restarted server or a new test client has.
    assert asyncio.run(read("k")) == b"\x00value"
    assert asyncio.run(read("missing")) is None
    cache.delete("k")
    assert asyncio.run(read("k")) is None

    async def close() -> None:
        await cache.aclose()

    asyncio.run(close())


def test_aget_sends_deletes_missed_during_an_outage_first(
    redis_url: str,
    redis_prefix: str,
    redis_client: redis.Redis,
    proxy: CuttableProxy,
    clock: FakeClock,
) -> None:
    """A key revoked while Redis was unreachable must not be served by ``aget`` afterwards."""
    cache = RedisCache(proxied_url(redis_url, proxy), prefix=redis_prefix, clock=clock)
    cache.set("revoked", b"stale", 60)
    proxy.cut()
    cache.delete("revoked")  # cannot reach Redis: remembered
    assert redis_client.get(redis_prefix + "revoked") == b"stale"
    proxy.restore()
    clock.advance(cache.retry_after)

    async def read() -> bytes | None:
        try:
            return await cache.aget("revoked")
        finally:
            await cache.aclose()

    assert asyncio.run(read()) is None
    assert redis_client.get(redis_prefix + "revoked") is None
