"""The embedded cache: in-process, thread-safe, with per-entry TTL and an LRU bound."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from brandloom.cache.base import check_ttl, count

DEFAULT_MAX_ENTRIES = 10_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


class LocalCache:
    """A bounded in-memory cache private to this process.

    Entries expire ``ttl`` seconds after they were set (measured with ``clock``, monotonic by
    default); when more than ``max_entries`` entries or ``max_bytes`` bytes of values are held,
    the least recently used ones are dropped. A value larger than ``max_bytes`` is not kept.
    """

    name = "local"

    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be at least 1, got {max_bytes}")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._clock = clock
        self._lock = threading.Lock()
        # key -> (expires at, value); order is least to most recently used.
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0

    def __repr__(self) -> str:
        return f"LocalCache(entries={len(self)}, max_entries={self.max_entries})"

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """Bytes of values currently held."""
        with self._lock:
            return self._bytes

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and self._clock() >= entry[0]:
                self._drop(key)
                entry = None
            if entry is not None:
                self._entries.move_to_end(key)
        count(self.name, "miss" if entry is None else "hit")
        return None if entry is None else entry[1]

    async def aget(self, key: str) -> bytes | None:
        """``get`` for code on the event loop (it never blocks: the lock is held for a lookup)."""
        return self.get(key)

    def set(self, key: str, value: bytes, ttl: int) -> None:
        check_ttl(ttl)
        with self._lock:
            self._drop(key)
            if len(value) > self.max_bytes:
                return
            self._entries[key] = (self._clock() + ttl, value)
            self._bytes += len(value)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= len(evicted)

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._drop(key)

    def ping(self) -> bool:
        return True

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[1])
