"""The shared cache: Redis, with short timeouts and a circuit breaker.

A cache that is down must cost a request almost nothing. Every call has a 0.25 s socket budget
and no retries; after a failure the cache stops talking to Redis for ``retry_after`` seconds and
answers as an empty cache (``get`` misses, ``set`` and ``delete`` do nothing). One warning is
logged when an outage starts and one line when Redis answers again. ``ping`` always really asks
Redis, so health checks see the truth rather than the breaker's memory.

Deletes that could not reach Redis are remembered (up to a bound) and sent first when Redis
answers again, so an entry invalidated during an outage is not served afterwards by a Redis that
kept its data.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from brandloom.cache.base import check_ttl, count

if TYPE_CHECKING:
    import redis
    import redis.asyncio

log = logging.getLogger(__name__)

NAMESPACE = "brandloom:v1:"
DEFAULT_TIMEOUT = 0.25
DEFAULT_RETRY_AFTER = 5.0
# Invalidations kept while Redis is unreachable; beyond this the oldest are forgotten and only
# their TTL bounds how long they may still be served.
MAX_PENDING_DELETES = 10_000


def describe_url(url: str) -> str:
    """``scheme://host:port/db`` of a Redis URL: never the user name, password or query."""
    try:
        parts = urlsplit(url)
        if parts.scheme == "unix":
            return f"unix://{parts.path}"
        host = parts.hostname or "localhost"
        port = parts.port or 6379
    except ValueError:
        return "<unparseable redis url>"
    path = parts.path if parts.path not in ("", "/") else "/0"
    return f"{parts.scheme}://{host}:{port}{path}"


class RedisCache:
    """A :class:`~brandloom.cache.Cache` on Redis, namespaced under ``brandloom:v1:``.

    ``prefix`` replaces the namespace (tests use a unique one); ``clock`` drives the breaker.
    Raises ``ValueError`` for a URL redis-py cannot parse; connecting happens on first use.
    """

    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = NAMESPACE,
        timeout: float = DEFAULT_TIMEOUT,
        retry_after: float = DEFAULT_RETRY_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.address = describe_url(url)
        self.prefix = prefix
        self.retry_after = retry_after
        self._clock = clock
        self._failures: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._client: redis.Redis = redis.Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
        )
        self._url = url  # for the asyncio client; never logged (it may hold a password)
        self._timeout = timeout
        # asyncio connections belong to the event loop that opened them.
        self._aclient: redis.asyncio.Redis | None = None
        self._aclient_loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._retry_at = 0.0
        self._down = False
        self._pending: dict[str, None] = {}

    def __repr__(self) -> str:
        return f"RedisCache({self.address!r}, prefix={self.prefix!r})"

    @property
    def available(self) -> bool:
        """False while the breaker is open after a failure (Redis is not being asked)."""
        return self._clock() >= self._retry_at

    def get(self, key: str) -> bytes | None:
        if not self.available:
            count(self.name, "error")
            return None
        try:
            self._send_pending()
            value: Any = self._client.get(self.prefix + key)
        except self._failures as exc:
            return self._missed(exc)
        return self._got(value)

    async def aget(self, key: str) -> bytes | None:
        """``get`` for code on the event loop: the same budget and breaker, awaited."""
        if not self.available:
            count(self.name, "error")
            return None
        client = self._async_client()
        try:
            if names := self._pending_names():
                await client.delete(*names)
                self._forget_pending(names)
            value: Any = await client.get(self.prefix + key)
        except self._failures as exc:
            return self._missed(exc)
        return self._got(value)

    def set(self, key: str, value: bytes, ttl: int) -> None:
        check_ttl(ttl)
        if not self.available:
            return
        try:
            self._send_pending()
            self._client.set(self.prefix + key, value, ex=ttl)
        except self._failures as exc:
            self._failed(exc)
            return
        self._answered()

    def delete(self, *keys: str) -> None:
        if not keys:
            return
        names = [self.prefix + key for key in keys]
        if self.available:
            try:
                self._send_pending()
                self._client.delete(*names)
            except self._failures as exc:
                self._failed(exc)
            else:
                self._answered()
                return
        self._remember(names)

    def ping(self) -> bool:
        try:
            self._client.ping()
            self._send_pending()
        except self._failures as exc:
            self._failed(exc)
            return False
        self._answered()
        return True

    def close(self) -> None:
        """Close the connection pool (connections reopen on next use)."""
        self._client.close()

    async def aclose(self) -> None:
        """Close the asyncio connections of the running event loop.

        Connections of another (ended) loop cannot be closed from here; they are dropped.
        """
        client, loop = self._aclient, self._aclient_loop
        self._aclient = self._aclient_loop = None
        if client is not None and loop is asyncio.get_running_loop():
            await client.aclose()

    def _async_client(self) -> redis.asyncio.Redis:
        loop = asyncio.get_running_loop()
        if self._aclient is None or self._aclient_loop is not loop:
            import redis.asyncio
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            self._aclient = redis.asyncio.Redis.from_url(
                self._url,
                socket_connect_timeout=self._timeout,
                socket_timeout=self._timeout,
                retry=Retry(NoBackoff(), 0),
                retry_on_timeout=False,
            )
            self._aclient_loop = loop
        return self._aclient

    def _got(self, value: Any) -> bytes | None:
        self._answered()
        count(self.name, "miss" if value is None else "hit")
        return bytes(value) if value is not None else None

    def _missed(self, exc: BaseException) -> bytes | None:
        """A read that failed: counted, the breaker opened, answered as a miss."""
        self._failed(exc)
        count(self.name, "error")
        return None

    # --- breaker ------------------------------------------------------------------------

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self._retry_at = self._clock() + self.retry_after
            starting = not self._down
            self._down = True
        if starting:
            # The exception's text names host and port at most; the URL (and its password) is
            # never logged.
            log.warning(
                "redis cache at %s is unavailable (%s); reading from the database until it "
                "answers again (next try in %.0f s)",
                self.address,
                type(exc).__name__,
                self.retry_after,
            )

    def _answered(self) -> None:
        if not self._down:
            return
        with self._lock:
            recovered = self._down
            self._down = False
            self._retry_at = 0.0
        if recovered:
            log.info("redis cache at %s answers again", self.address)

    def _remember(self, names: list[str]) -> None:
        with self._lock:
            for name in names:
                self._pending.pop(name, None)
                self._pending[name] = None
            while len(self._pending) > MAX_PENDING_DELETES:
                del self._pending[next(iter(self._pending))]

    def _send_pending(self) -> None:
        if names := self._pending_names():
            self._client.delete(*names)
            self._forget_pending(names)

    def _pending_names(self) -> list[str]:
        """Deletes that could not reach Redis, to send before anything is read from it."""
        if not self._pending:
            return []
        with self._lock:
            return list(self._pending)

    def _forget_pending(self, names: list[str]) -> None:
        with self._lock:
            for name in names:
                self._pending.pop(name, None)
