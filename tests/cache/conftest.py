"""Fixtures for cache tests: a controllable clock, a real Redis (when configured) and a proxy
in front of it that can be cut to simulate an outage."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis

REDIS_URL = os.environ.get("BRANDLOOM_TEST_REDIS_URL")


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("BRANDLOOM_TEST_REDIS_URL is not set")
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A namespace private to this test; its keys are deleted afterwards (never FLUSHDB)."""
    prefix = f"brandloom:v1:test-{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        names = list(client.scan_iter(match=prefix + "*", count=500))
        if names:
            client.delete(*names)
    finally:
        client.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


class CuttableProxy:
    """A TCP proxy to Redis on 127.0.0.1; ``cut()`` drops every connection and refuses new ones
    (as a network partition would), ``restore()`` lets traffic through again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._cut = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self._cut.set()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self._cut.clear()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()


@pytest.fixture
def proxy(redis_url: str) -> Iterator[CuttableProxy]:
    """A :class:`CuttableProxy` in front of the test Redis."""
    parts = urlsplit(redis_url)
    cuttable = CuttableProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    yield cuttable
    cuttable.close()


def proxied_url(redis_url: str, proxy: CuttableProxy) -> str:
    """``redis_url`` with its host and port replaced by the proxy's (same credentials, db)."""
    parts = urlsplit(redis_url)
    userinfo, at, _ = parts.netloc.rpartition("@")
    return f"{parts.scheme}://{userinfo}{at}127.0.0.1:{proxy.port}{parts.path}"
