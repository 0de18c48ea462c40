"""Readiness checks: can this process serve requests and hand work to workers right now?

Each check answers within about a second and never raises: it returns a status and, when a
component is down, a short reason with credentials masked. The database and the broker are
required; a shared cache that is down only makes the system slower (each process falls back
to computing what it would have read).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine, text

from brandloom.observability.redact import redact_text

log = logging.getLogger(__name__)

# Each check gets this long (seconds) in total before it counts as down.
CHECK_TIMEOUT = 2.5
# Connect and socket timeout (seconds) when probing the broker.
BROKER_TIMEOUT = 1.0
_REASON_MAX = 160


@dataclass(frozen=True, slots=True)
class CheckResult:
    status: str  # "ok", "down", or a neutral state: "disabled" (broker), "local" (cache)
    reason: str | None = None


class PingableCache(Protocol):
    @property
    def name(self) -> str: ...

    def ping(self) -> bool: ...


def short_reason(exc: BaseException) -> str:
    """``ExceptionType: first line of the message``, credentials masked, at most 160 chars."""
    inner = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    source = inner if isinstance(inner, BaseException) else exc
    message = str(source).strip().splitlines()[0] if str(source).strip() else ""
    reason = type(source).__name__ + (f": {message}" if message else "")
    reason = redact_text(reason)
    return reason if len(reason) <= _REASON_MAX else reason[: _REASON_MAX - 1] + "…"


def check_database(engine: Engine) -> CheckResult:
    """``SELECT 1`` on a pooled connection."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return CheckResult("down", short_reason(exc))
    return CheckResult("ok")


def check_broker(url: str | None, *, timeout: float = BROKER_TIMEOUT) -> CheckResult:
    """Open (and close) one connection to the task broker; ``disabled`` without a broker URL."""
    if not url:
        return CheckResult("disabled")
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            _ping_redis(url, timeout)
        else:
            _connect_kombu(url, timeout)
    except Exception as exc:
        return CheckResult("down", short_reason(exc))
    return CheckResult("ok")


def _ping_redis(url: str, timeout: float) -> None:
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout, retry_on_timeout=False
    )
    try:
        if not client.ping():
            raise ConnectionError("PING was not answered")
    finally:
        client.close()


def _connect_kombu(url: str, timeout: float) -> None:
    # kombu ships no type information.
    kombu: Any = importlib.import_module("kombu")
    conn = kombu.Connection(url, connect_timeout=timeout)
    try:
        conn.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, interval_max=0, timeout=timeout
        )
    finally:
        conn.release()


def check_cache(cache: PingableCache) -> CheckResult:
    """``local`` for the in-process cache; otherwise a ping of the shared cache."""
    if cache.name == "local":
        return CheckResult("local")
    try:
        if cache.ping():
            return CheckResult("ok")
        return CheckResult("down", f"{cache.name} cache did not answer")
    except Exception as exc:
        return CheckResult("down", short_reason(exc))


async def run_checks(
    checks: Mapping[str, Callable[[], CheckResult]], *, timeout: float = CHECK_TIMEOUT
) -> dict[str, CheckResult]:
    """Run the checks concurrently in threads; one that overruns ``timeout`` is down."""

    async def one(name: str, check: Callable[[], CheckResult]) -> tuple[str, CheckResult]:
        try:
            # A hung driver call keeps its thread, but the probe answers on time.
            result = await asyncio.wait_for(asyncio.to_thread(check), timeout)
        except TimeoutError:
            result = CheckResult("down", f"no answer within {timeout:g} s")
        except Exception as exc:
            result = CheckResult("down", short_reason(exc))
        return name, result

    pairs = await asyncio.gather(*(one(name, check) for name, check in checks.items()))
    return dict(pairs)


def readiness_report(
    results: Mapping[str, CheckResult], *, required: frozenset[str]
) -> tuple[int, dict[str, Any]]:
    """HTTP status and body: 503 if a required check is down, ``degraded`` if another one is."""
    down = {name for name, result in results.items() if result.status == "down"}
    if down & required:
        status, code = "unavailable", 503
    elif down:
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    body: dict[str, Any] = {
        "status": status,
        "checks": {name: result.status for name, result in results.items()},
    }
    reasons = {name: r.reason for name, r in results.items() if r.status == "down" and r.reason}
    if reasons:
        body["reasons"] = reasons
        log.warning("readiness %s: %s", status, "; ".join(f"{k}: {v}" for k, v in reasons.items()))
    return code, body
