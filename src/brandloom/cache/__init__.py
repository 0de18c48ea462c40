"""Caching of hot, read-mostly data: Redis when configured, an in-process cache otherwise.

The cache only ever speeds things up: every cached value can be read again from the database,
and a cache that is down behaves as an empty one. See "Caching" in ``docs/architecture.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from brandloom.cache.base import Cache
from brandloom.cache.local import LocalCache

if TYPE_CHECKING:
    from brandloom.cache.redis_cache import RedisCache
    from brandloom.settings import Settings

__all__ = ["Cache", "LocalCache", "RedisCache", "open_cache"]


def open_cache(settings: Settings) -> Cache:
    """A :class:`RedisCache` when ``BRANDLOOM_REDIS_URL`` is set, else a :class:`LocalCache`.

    Raises ``ValueError`` naming the setting when the URL cannot be parsed. Nothing is
    connected here: an unreachable Redis shows up in ``ping()`` and as cache misses.
    """
    if not settings.redis_url:
        return LocalCache()
    from brandloom.cache.redis_cache import RedisCache, describe_url

    try:
        return RedisCache(settings.redis_url)
    except ValueError as exc:
        raise ValueError(
            f"BRANDLOOM_REDIS_URL ({describe_url(settings.redis_url)}) is not a usable Redis "
            f"URL: {exc}"
        ) from None


def __getattr__(name: str) -> Any:
    # redis-py is imported only by processes that use it (it takes ~0.1 s to import).
    if name == "RedisCache":
        from brandloom.cache.redis_cache import RedisCache

        return RedisCache
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
