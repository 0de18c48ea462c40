"""The cache contract: bytes in, bytes out, with a TTL, and never an exception on the hot path."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from brandloom.observability.metrics import CACHE_REQUESTS


@runtime_checkable
class Cache(Protocol):
    """A best-effort key/value cache of ``bytes`` with per-entry time-to-live.

    ``get`` answers ``None`` for a missing, expired or unreachable entry; ``set`` and ``delete``
    never raise because the cache is unavailable. Callers treat the cache as an accelerator of
    the database, never as the source of truth.
    """

    name: str

    def get(self, key: str) -> bytes | None: ...

    async def aget(self, key: str) -> bytes | None:
        """``get`` without blocking the event loop."""
        ...

    def set(self, key: str, value: bytes, ttl: int) -> None: ...

    def delete(self, *keys: str) -> None: ...

    def ping(self) -> bool: ...


def check_ttl(ttl: int) -> int:
    """A TTL is a whole, positive number of seconds (what Redis ``SET EX`` accepts)."""
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 1:
        raise ValueError(f"cache ttl must be a positive number of seconds, got {ttl!r}")
    return ttl


def count(cache: str, result: str) -> None:
    """Count one lookup: ``hit``, ``miss`` or ``error`` (the cache could not answer)."""
    CACHE_REQUESTS.labels(cache=cache, result=result).inc()
