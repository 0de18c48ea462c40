"""JSON and console logs: one format for structlog and stdlib loggers, context, redaction."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import structlog

from brandloom.observability.logging import (
    BrandloomHandler,
    configure_logging,
    is_configured,
    reset_logging,
)

pytestmark = pytest.mark.usefixtures("restore_logging")


def _lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_json_lines_from_structlog_and_stdlib(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt="json", level="INFO")
    assert is_configured()
    with structlog.contextvars.bound_contextvars(request_id="req-1", job_id="job_7", chunk=3):
        structlog.stdlib.get_logger("brandloom.test").info("chunk.done", documents=12)
        logging.getLogger("uvicorn.error").warning("worker %s restarted", "w1")
    structlog.stdlib.get_logger("brandloom.test").info("after")
    first, second, third = _lines(capsys.readouterr().err)
    assert first["event"] == "chunk.done" and first["documents"] == 12
    assert (first["request_id"], first["job_id"], first["chunk"]) == ("req-1", "job_7", 3)
    assert first["level"] == "info" and first["logger"] == "brandloom.test"
    assert first["timestamp"].endswith("Z") and "T" in first["timestamp"]
    assert second["event"] == "worker w1 restarted"
    assert second["logger"] == "uvicorn.error" and second["level"] == "warning"
    assert second["request_id"] == "req-1"
    assert list(second)[:4] == ["timestamp", "level", "logger", "event"]
    assert "request_id" not in third  # context ends with its block


def test_secrets_and_emails_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt="json")
    log = structlog.stdlib.get_logger("brandloom.test")
    log.info(
        "login for ann@example.com",
        password="hunter2",
        api_key="bl_abcdefghijklmnopqrstuvwx",
        email="bob@example.org",
        database="postgresql://app:s3cr3t@db/x",
    )
    logging.getLogger("brandloom.stdlib").info("broker at amqp://guest:topsecret@mq//")
    err = capsys.readouterr().err
    for secret in ("hunter2", "abcdefghijklmnop", "ann@", "bob@", "s3cr3t", "topsecret"):
        assert secret not in err
    first, second = _lines(err)
    assert first["event"] == "login for ***@example.com"
    assert first["email"] == "***@example.org" and first["password"] == "***"
    assert first["database"] == "postgresql://app:***@db/x"
    assert second["event"] == "broker at amqp://guest:***@mq//"


def test_exceptions_are_text_and_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt="json")
    try:
        raise ConnectionError("cannot reach redis://:pw123@cache:6379/0")
    except ConnectionError:
        logging.getLogger("brandloom.test").exception("cache down")
    (line,) = _lines(capsys.readouterr().err)
    assert "ConnectionError" in line["exception"] and "pw123" not in line["exception"]


def test_reconfiguring_keeps_one_handler_and_applies_the_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(fmt="json", level="INFO")
    configure_logging(fmt="json", level="WARNING")
    installed = [h for h in logging.getLogger().handlers if isinstance(h, BrandloomHandler)]
    assert len(installed) == 1
    log = structlog.stdlib.get_logger("brandloom.test")
    log.info("hidden")
    log.warning("shown")
    logging.getLogger("brandloom.stdlib").info("hidden too")
    assert [line["event"] for line in _lines(capsys.readouterr().err)] == ["shown"]


def test_console_format(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt="console", level="debug")
    with structlog.contextvars.bound_contextvars(request_id="req-9"):
        structlog.stdlib.get_logger("brandloom.test").debug("hello", email="a@b.example")
    err = capsys.readouterr().err
    assert "hello" in err and "request_id=req-9" in err and "[brandloom.test]" in err
    assert "a@b.example" not in err


def test_bad_settings_name_the_variable() -> None:
    with pytest.raises(ValueError, match="BRANDLOOM_LOG_LEVEL"):
        configure_logging(level="loud")
    with pytest.raises(ValueError, match="BRANDLOOM_LOG_FORMAT"):
        configure_logging(fmt="xml")


def test_reset_removes_the_handler() -> None:
    configure_logging(fmt="json")
    reset_logging()
    assert not is_configured()
