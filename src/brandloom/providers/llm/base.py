"""What every LLM provider speaks: one request in, one validated response out.

A provider turns an :class:`LLMRequest` (a system prompt, user messages, optionally a JSON schema
the answer must match) into an :class:`LLMResponse` (the text, the parsed JSON, token usage and
cost). Providers are asynchronous: a bulk job or an API request sends its calls concurrently.
Reliability (timeouts, retries, circuit breaking, fallbacks), caching and budgets wrap a provider
from outside (``providers.llm.reliability``), so each implementation stays a thin translation to
one wire protocol.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import orjson

from brandloom.errors import BrandloomError

Role = Literal["user", "assistant"]


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class LLMRequest:
    """One call. ``schema`` (a closed JSON schema) asks for structured output named
    ``schema_name``; without it the answer is free text."""

    model: str
    system: str
    messages: tuple[Message, ...]
    schema: Mapping[str, Any] | None = None
    schema_name: str = "output"
    max_output_tokens: int = 2_048
    temperature: float = 0.7
    metadata: Mapping[str, str] = field(default_factory=dict)  # never sent; for logs and usage

    def followed_by(self, content: str) -> LLMRequest:
        """The same request with one more user message (a retry that says what was wrong)."""
        return dataclasses.replace(self, messages=(*self.messages, Message("user", content)))

    def cache_key(self, provider: str) -> str:
        """A digest of everything that shapes the answer (the provider, model, prompts, schema
        and sampling settings): equal keys may share one cached response."""
        payload = {
            "provider": provider,
            "model": self.model,
            "system": self.system,
            "messages": [[m.role, m.content] for m in self.messages],
            "schema": self.schema,
            "schema_name": self.schema_name,
            "max_output_tokens": self.max_output_tokens,
            "temperature": self.temperature,
        }
        return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens and cost of one or more calls (``cost_usd`` is None when the model's price is
    unknown)."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0

    def __add__(self, other: Usage) -> Usage:
        cost = (
            None
            if self.cost_usd is None or other.cost_usd is None
            else round(self.cost_usd + other.cost_usd, 8)
        )
        return Usage(
            self.calls + other.calls,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            cost,
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
        }


ZERO_USAGE = Usage()


@dataclass(frozen=True, slots=True)
class LLMResponse:
    """The answer: ``text`` as returned, ``data`` the parsed JSON when a schema was asked for
    (already validated against it), the usage of this call (zero when ``cached``)."""

    text: str
    data: Any
    usage: Usage
    provider: str
    model: str
    cached: bool = False


@runtime_checkable
class Provider(Protocol):
    """An LLM behind one wire protocol."""

    name: str  # "openai", "anthropic", ...
    default_model: str

    async def complete(self, request: LLMRequest) -> LLMResponse: ...

    async def aclose(self) -> None: ...


class ProviderError(BrandloomError):
    """A provider call failed for good (after retries and fallbacks).

    ``retryable``: another attempt at the same provider may succeed (a 5xx, a timeout, a 429, a
    dropped connection); a 400 or a refused key will fail the same way again. ``retry_after``:
    the seconds the server asked us to wait (``Retry-After`` on a 429 or 503), when it said so.
    """

    code = "provider.error"
    status = 502
    retryable: bool = False
    retry_after: float | None = None

    def __init__(
        self,
        message: str,
        *,
        retryable: bool | None = None,
        retry_after: float | None = None,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code=code, status=status, details=details)
        if retryable is not None:
            self.retryable = retryable
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """No provider can be used: no key, unreachable, circuit open, no fallback left."""

    code = "provider.unavailable"
    status = 503


class ProviderTimeout(ProviderError):
    code = "provider.timeout"
    status = 504
    retryable = True


class RateLimited(ProviderError):
    """429: ``retry_after`` seconds when the server said so."""

    code = "provider.rate_limited"
    status = 429
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, retry_after=retry_after, details=details)


class InvalidOutput(ProviderError):
    """The answer is not JSON or does not match the schema (after the allowed retries).

    ``usage``: what the rejected answer cost, when the provider returned one (the tokens were
    spent even though the answer is unusable)."""

    code = "provider.invalid_output"
    status = 502

    def __init__(
        self,
        message: str,
        *,
        usage: Usage | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.usage = usage


class BudgetExceeded(ProviderError):
    """A call would take a job or workspace over its budget: stopped before it was sent."""

    code = "provider.budget_exceeded"
    status = 402


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds (``"2"``, ``"1.5"``) or an
    HTTP date (``"Wed, 21 Oct 2015 07:28:00 GMT"``, measured from ``now``, a Unix time).
    None when absent or unreadable; never negative."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is always GMT; a naive one is read as such
            when = when.replace(tzinfo=datetime.UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN, infinities
        return None
    return max(0.0, seconds)


def user(content: str) -> Message:
    return Message("user", content)


def messages(*contents: str) -> tuple[Message, ...]:
    return tuple(user(c) for c in contents)


def joined(parts: Sequence[str]) -> str:
    return "\n\n".join(p for p in parts if p)


# -- what the SDK-backed providers share ----------------------------------------------------


def retry_after_from(headers: Mapping[str, str]) -> float | None:
    """The pause a response asks for: ``retry-after-ms`` (OpenAI's and Anthropic's precise
    variant) or ``Retry-After``."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"))


def redact(text: str, secret: str | None) -> str:
    """``text`` without ``secret`` (a provider key echoed back in a server's error message)."""
    if secret:
        text = text.replace(secret, "[redacted]")
    return text if len(text) <= 300 else text[:299] + "…"


def error_for_status(
    provider: str, status: int, message: str, headers: Mapping[str, str]
) -> ProviderError:
    """Our error for an HTTP error answer: 429 -> RateLimited, 401/403 -> ProviderUnavailable
    (the key is refused: no retry helps), 408 -> ProviderTimeout, 409 and 5xx -> a retryable
    ProviderError, any other 4xx -> a final ProviderError. ``message`` must already be redacted."""
    retry_after = retry_after_from(headers)
    if status == 429:
        return RateLimited(
            f"{provider} is rate limiting us (HTTP 429): {message}", retry_after=retry_after
        )
    if status in (401, 403):
        # The server's text is left out: some echo (part of) the key they refused.
        return ProviderUnavailable(f"{provider} refused the key (HTTP {status})", retryable=False)
    if status == 408:
        return ProviderTimeout(f"{provider} timed out (HTTP 408): {message}")
    if status == 409 or status >= 500:
        return ProviderError(
            f"{provider} failed (HTTP {status}): {message}",
            retryable=True,
            retry_after=retry_after,
        )
    return ProviderError(f"{provider} rejected the request (HTTP {status}): {message}")
