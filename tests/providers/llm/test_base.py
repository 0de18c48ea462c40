"""The contract's helpers: Retry-After, HTTP status -> error, redaction."""

from __future__ import annotations

import pytest

from brandloom.providers.llm import (
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from brandloom.providers.llm.base import (
    error_for_status,
    parse_retry_after,
    redact,
    retry_after_from,
)

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", 2.0),
        (" 1.5 ", 1.5),
        ("-3", 0.0),
        ("Tue, 14 Nov 2023 22:13:50 GMT", 30.0),
        ("Tue, 14 Nov 2023 22:00:00 GMT", 0.0),  # already past
        ("soon", None),
        ("nan", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_retry_after_ms_wins() -> None:
    assert retry_after_from({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_from({"retry-after": "9"}) == 9


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (429, RateLimited, True),
        (401, ProviderUnavailable, False),
        (403, ProviderUnavailable, False),
        (408, ProviderTimeout, True),
        (409, ProviderError, True),
        (500, ProviderError, True),
        (503, ProviderError, True),
        (400, ProviderError, False),
        (404, ProviderError, False),
        (422, ProviderError, False),
    ],
)
def test_error_for_status(status: int, kind: type[ProviderError], retryable: bool) -> None:
    err = error_for_status("openai", status, "message", {"retry-after": "4"})
    assert type(err) is kind
    assert err.retryable is retryable
    if status in (429, 503):
        assert err.retry_after == 4


def test_redact() -> None:
    assert redact("key sk-123 refused", "sk-123") == "key [redacted] refused"
    assert redact("x" * 1000, None).endswith("…")
