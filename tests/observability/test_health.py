"""Readiness checks against real components, reachable and unreachable."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest
from sqlalchemy import Engine, create_engine

from brandloom.cache import LocalCache, open_cache
from brandloom.observability.health import (
    CheckResult,
    check_broker,
    check_cache,
    check_database,
    readiness_report,
    run_checks,
    short_reason,
)
from brandloom.settings import Settings

REDIS_URL = os.environ.get("BRANDLOOM_TEST_REDIS_URL")
AMQP_URL = os.environ.get("BRANDLOOM_TEST_AMQP_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="BRANDLOOM_TEST_REDIS_URL is not set")


def test_database_ok(engine: Engine) -> None:
    assert check_database(engine) == CheckResult("ok")


def test_database_down_names_no_password() -> None:
    engine = create_engine(
        "postgresql+psycopg://app:s3cr3t@127.0.0.1:1/brandloom?connect_timeout=1"
    )
    try:
        result = check_database(engine)
    finally:
        engine.dispose()
    assert result.status == "down"
    assert result.reason and "s3cr3t" not in result.reason
    assert result.reason.startswith("OperationalError")


def test_broker_disabled_without_url() -> None:
    assert check_broker(None) == CheckResult("disabled")


@pytest.mark.parametrize(
    "url", ["redis://:s3cr3t@127.0.0.1:1/0", "amqp://guest:s3cr3t@127.0.0.1:1//"]
)
def test_broker_down(url: str) -> None:
    result = check_broker(url, timeout=1.0)
    assert result.status == "down"
    assert result.reason and "s3cr3t" not in result.reason


@needs_redis
def test_broker_ok_on_redis() -> None:
    assert REDIS_URL is not None
    assert check_broker(REDIS_URL) == CheckResult("ok")


@pytest.mark.skipif(not AMQP_URL, reason="BRANDLOOM_TEST_AMQP_URL is not set")
def test_broker_ok_on_amqp() -> None:
    assert AMQP_URL is not None
    assert check_broker(AMQP_URL) == CheckResult("ok")


def test_cache_local() -> None:
    assert check_cache(LocalCache()) == CheckResult("local")


def test_cache_redis_down() -> None:
    cache = open_cache(Settings(redis_url="redis://127.0.0.1:1/0"))
    result = check_cache(cache)
    assert result.status == "down" and result.reason


@needs_redis
def test_cache_redis_ok() -> None:
    cache = open_cache(Settings(redis_url=REDIS_URL))
    assert check_cache(cache) == CheckResult("ok")


def test_a_hung_check_is_down_after_the_timeout() -> None:
    release = threading.Event()

    def hangs() -> CheckResult:
        release.wait(30)
        return CheckResult("ok")

    async def scenario() -> dict[str, CheckResult]:
        try:
            checks = {"database": hangs, "cache": lambda: CheckResult("local")}
            return await run_checks(checks, timeout=0.2)
        finally:
            release.set()  # lets the abandoned thread end, so the loop can close

    results = asyncio.run(scenario())
    assert results["database"].status == "down"
    assert results["cache"] == CheckResult("local")


def test_report_statuses() -> None:
    required = frozenset({"database", "broker"})
    ok = {"database": CheckResult("ok"), "broker": CheckResult("disabled")}
    assert readiness_report(ok, required=required) == (
        200,
        {"status": "ok", "checks": {"database": "ok", "broker": "disabled"}},
    )
    degraded = {**ok, "cache": CheckResult("down", "no answer")}
    code, body = readiness_report(degraded, required=required)
    assert (code, body["status"], body["reasons"]) == (200, "degraded", {"cache": "no answer"})
    down = {**degraded, "broker": CheckResult("down", "refused")}
    code, body = readiness_report(down, required=required)
    assert (code, body["status"], body["checks"]["broker"]) == (503, "unavailable", "down")


def test_short_reason_is_short_and_masked() -> None:
    reason = short_reason(ValueError("x" * 500 + " redis://:pw@h"))
    assert len(reason) <= 160 and reason.startswith("ValueError: ")
    assert short_reason(ConnectionError("to amqp://u:pw@h//\nmore")) == (
        "ConnectionError: to amqp://u:***@h//"
    )
