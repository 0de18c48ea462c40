"""The embedded cache: TTL, LRU bounds, thread safety, metrics, and ``open_cache``."""

from __future__ import annotations

import threading

import pytest
from prometheus_client import REGISTRY

from brandloom.cache import Cache, LocalCache, RedisCache, open_cache
from brandloom.settings import Settings
from tests.cache.conftest import FakeClock


def _count(cache: str, result: str) -> float:
    value = REGISTRY.get_sample_value(
        "brandloom_cache_requests_total", {"cache": cache, "result": result}
    )
    return value or 0.0


def test_round_trip_and_delete() -> None:
    cache = LocalCache()
    cache.set("a", b"1", 60)
    cache.set("b", b"2", 60)
    assert cache.get("a") == b"1"
    cache.delete("a", "b", "never-set")
    assert cache.get("a") is None
    assert cache.get("b") is None
    assert len(cache) == 0
    assert cache.size_bytes == 0


def test_entries_expire_after_their_ttl(clock: FakeClock) -> None:
    cache = LocalCache(clock=clock)
    cache.set("short", b"x", 1)
    cache.set("long", b"y", 10)
    clock.advance(0.999)
    assert cache.get("short") == b"x"
    clock.advance(0.001)
    assert cache.get("short") is None
    assert cache.get("long") == b"y"
    clock.advance(9)
    assert cache.get("long") is None
    assert len(cache) == 0


def test_setting_again_replaces_value_and_ttl(clock: FakeClock) -> None:
    cache = LocalCache(clock=clock)
    cache.set("k", b"old", 1)
    cache.set("k", b"newer", 5)
    clock.advance(2)
    assert cache.get("k") == b"newer"
    assert cache.size_bytes == len(b"newer")


def test_least_recently_used_entries_go_first() -> None:
    cache = LocalCache(max_entries=3)
    for key in ("a", "b", "c"):
        cache.set(key, key.encode(), 60)
    assert cache.get("a") == b"a"  # "b" is now the least recently used
    cache.set("d", b"d", 60)
    assert cache.get("b") is None
    assert [cache.get(k) for k in ("a", "c", "d")] == [b"a", b"c", b"d"]
    assert len(cache) == 3


def test_byte_bound_evicts_and_oversized_values_are_not_kept() -> None:
    cache = LocalCache(max_bytes=10)
    cache.set("a", b"12345", 60)
    cache.set("b", b"12345", 60)
    cache.set("c", b"1", 60)
    assert cache.get("a") is None
    assert cache.size_bytes == 6
    cache.set("b", b"x" * 11, 60)  # too big: not kept, and the old value is gone too
    assert cache.get("b") is None
    assert cache.get("c") == b"1"


@pytest.mark.parametrize("ttl", [0, -1, 1.5, True])
def test_ttl_must_be_positive_whole_seconds(ttl: object) -> None:
    with pytest.raises(ValueError, match="ttl"):
        LocalCache().set("k", b"v", ttl)  # type: ignore[arg-type]


def test_bounds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        LocalCache(max_entries=0)
    with pytest.raises(ValueError, match="max_bytes"):
        LocalCache(max_bytes=0)


def test_concurrent_use_keeps_bounds_and_accounting() -> None:
    cache = LocalCache(max_entries=50, max_bytes=4000)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(2000):
                key = f"k{(n * 7 + i) % 120}"
                cache.set(key, bytes(i % 97), 60)
                cache.get(f"k{i % 120}")
                if i % 13 == 0:
                    cache.delete(key)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(cache) <= 50
    total = sum(len(v) for v in (cache.get(f"k{i}") for i in range(120)) if v is not None)
    assert cache.size_bytes == total <= 4000


def test_lookups_are_counted() -> None:
    cache = LocalCache()
    hits, misses = _count("local", "hit"), _count("local", "miss")
    cache.get("absent")
    cache.set("present", b"1", 60)
    cache.get("present")
    cache.get("present")
    assert _count("local", "hit") == hits + 2
    assert _count("local", "miss") == misses + 1


def test_open_cache_picks_the_backend_from_settings(tmp_path: object) -> None:
    local = open_cache(Settings(redis_url=None))
    assert isinstance(local, LocalCache)
    assert local.name == "local"
    assert local.ping() is True
    remote = open_cache(Settings(redis_url="redis://:hunter2@127.0.0.1:1/3"))
    assert isinstance(remote, RedisCache)
    assert remote.name == "redis"
    assert "hunter2" not in repr(remote)
    for cache in (local, remote):
        assert isinstance(cache, Cache)


def test_open_cache_names_the_setting_and_hides_the_password() -> None:
    with pytest.raises(ValueError, match="BRANDLOOM_REDIS_URL") as info:
        open_cache(Settings(redis_url="http://:hunter2@cache.internal:6379/0"))
    assert "hunter2" not in str(info.value)
