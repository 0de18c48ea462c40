"""The wrapper the product calls providers through: retries, circuit breaking, fallbacks, a
response cache and budgets, around providers that each stay a thin translation to one wire.

    chain = ProviderChain(
        [ChainEntry(openai_provider, "gpt-4o-mini"), ChainEntry(anthropic_provider)],
        cache=DirectoryResponseCache(cache_dir / "llm"),
        budget=Budget(limit_usd=5.0),
        on_usage=record_usage,  # the caller persists usage per job and workspace
    )
    response = await chain.complete(request)

For each entry in order: the cache (a hit costs nothing and sends nothing), the provider's
circuit (open: skip to the next entry), the budget (a call that could take it over its limit is
stopped before it is sent, and no other provider is tried: the budget is the caller's, not the
provider's), then the call with retries. Retryable failures (429, 5xx, timeouts, dropped
connections) are retried with exponential backoff and full jitter, waiting at least what a
``Retry-After`` asks; an answer that is not JSON or breaks the schema is asked again
``invalid_output_retries`` times; then the next entry is tried. When every entry failed, the
error lists each one's reason.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random as _random
import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson

from brandloom.providers.llm import pricing
from brandloom.providers.llm.base import (
    ZERO_USAGE,
    BudgetExceeded,
    InvalidOutput,
    LLMRequest,
    LLMResponse,
    Provider,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    Usage,
)

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
UsageCallback = Callable[["ChainEntry", Usage], None]


# -- retries --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` tries per provider for retryable failures, paused by exponential backoff
    (``base_delay * 2**n`` capped at ``max_delay``) with full jitter (a uniform pause between
    0 and that: concurrent callers spread out instead of retrying in step). A ``Retry-After``
    is a floor for the pause; one beyond ``max_retry_after`` gives up on the provider at once
    (the next one in the chain answers sooner)."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 20.0
    jitter: Literal["full", "none"] = "full"
    max_retry_after: float = 60.0

    def backoff(self, retry: int, random: Callable[[], float] = _random.random) -> float:
        """The pause before retry number ``retry`` (1 for the first), without Retry-After."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return ceiling * random() if self.jitter == "full" else ceiling

    def delay(
        self, retry: int, error: ProviderError, random: Callable[[], float] = _random.random
    ) -> float | None:
        """The pause before retry number ``retry`` after ``error``; None: do not retry here."""
        pause = self.backoff(retry, random)
        if error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            pause = max(pause, error.retry_after)
        return pause


# -- circuit breaking -----------------------------------------------------------------------

CircuitState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Stops calling a provider that keeps failing: after ``failure_threshold`` consecutive
    failed attempts the circuit opens and calls skip the provider; ``reset_after`` seconds
    later one trial call is let through (half-open): its success closes the circuit, its
    failure opens it again for another ``reset_after``."""

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_after: float = 30.0,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self.state: CircuitState = "closed"
        self.failures = 0
        self.opened_at: float | None = None
        self._trial = False
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """May a call go out now? (In half-open state, only the one trial call.)"""
        with self._lock:
            if self.state == "closed":
                return True
            if self.state == "open":
                assert self.opened_at is not None
                if self._clock() - self.opened_at < self.reset_after:
                    return False
                self.state = "half_open"
            if self._trial:
                return False
            self._trial = True
            return True

    def retry_in(self) -> float:
        """Seconds until an open circuit lets a trial call through."""
        if self.state != "open" or self.opened_at is None:
            return 0.0
        return max(0.0, self.reset_after - (self._clock() - self.opened_at))

    def record_success(self) -> None:
        with self._lock:
            self.state = "closed"
            self.failures = 0
            self.opened_at = None
            self._trial = False

    def record_failure(self) -> None:
        with self._lock:
            self.failures += 1
            self._trial = False
            if self.state == "half_open" or self.failures >= self.failure_threshold:
                self.state = "open"
                self.opened_at = self._clock()

    def release(self) -> None:
        """An allowed call ended without a verdict (cancelled, stopped by the budget)."""
        with self._lock:
            self._trial = False


def provider_key(provider: Provider) -> str:
    """Which circuit and cache space a provider shares: its name and endpoint."""
    return f"{provider.name} {getattr(provider, 'base_url', '')}"


class CircuitBreakers:
    """One circuit per provider and base URL. Hold one registry per process (chains built per
    request or job then share what they learned about a provider)."""

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_after: float = 30.0,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()

    def for_provider(self, provider: Provider) -> CircuitBreaker:
        key = provider_key(provider)
        with self._lock:
            breaker = self._breakers.get(key)
            if breaker is None:
                breaker = CircuitBreaker(
                    self.failure_threshold, self.reset_after, clock=self._clock
                )
                self._breakers[key] = breaker
            return breaker


# -- budgets --------------------------------------------------------------------------------


class Budget:
    """A ceiling on what a job or workspace spends, in USD and/or tokens (None: no limit).

    A call's worst case (:func:`pricing.estimate`) is reserved before it is sent and settled
    with its real usage after, so concurrent calls cannot together overshoot the limit. A
    call at an unknown price counts no dollars (its tokens still count against
    ``limit_tokens``). ``spent`` starts from what was already spent (a resumed job)."""

    def __init__(
        self,
        limit_usd: float | None = None,
        limit_tokens: int | None = None,
        spent: Usage = ZERO_USAGE,
    ) -> None:
        self.limit_usd = limit_usd
        self.limit_tokens = limit_tokens
        self.spent = _priced(spent)
        self._reserved_usd = 0.0
        self._reserved_tokens = 0
        self._lock = threading.Lock()

    def check(self, estimate: Usage) -> None:
        """Raise :class:`BudgetExceeded` if a call costing ``estimate`` could go over."""
        with self._lock:
            self._check(estimate)

    def reserve(self, estimate: Usage) -> Usage:
        """Check, then hold ``estimate`` until :meth:`record` (or :meth:`release`) settles it."""
        with self._lock:
            self._check(estimate)
            self._reserved_usd += estimate.cost_usd or 0.0
            self._reserved_tokens += estimate.input_tokens + estimate.output_tokens
        return estimate

    def release(self, reserved: Usage) -> None:
        with self._lock:
            self._release(reserved)

    def record(self, usage: Usage, *, reserved: Usage | None = None) -> None:
        """Count what a call really cost (and let go of what it had reserved)."""
        with self._lock:
            if reserved is not None:
                self._release(reserved)
            self.spent = self.spent + _priced(usage)

    @property
    def reserved(self) -> tuple[float, int]:
        """USD and tokens held by calls in flight."""
        return self._reserved_usd, self._reserved_tokens

    def _release(self, reserved: Usage) -> None:
        self._reserved_usd = max(0.0, self._reserved_usd - (reserved.cost_usd or 0.0))
        self._reserved_tokens = max(
            0, self._reserved_tokens - reserved.input_tokens - reserved.output_tokens
        )

    def _check(self, estimate: Usage) -> None:
        spent_usd = self.spent.cost_usd or 0.0
        if self.limit_usd is not None and estimate.cost_usd is not None:
            total = spent_usd + self._reserved_usd + estimate.cost_usd
            if total > self.limit_usd + 1e-12:
                raise BudgetExceeded(
                    f"the call could take the budget over its limit of ${self.limit_usd:.4f}: "
                    f"${spent_usd:.4f} spent, ${self._reserved_usd:.4f} held by calls in "
                    f"flight, this call up to ${estimate.cost_usd:.4f}",
                    details={"limit_usd": self.limit_usd, "spent_usd": spent_usd},
                )
        if self.limit_tokens is not None:
            spent_tokens = self.spent.input_tokens + self.spent.output_tokens
            tokens = estimate.input_tokens + estimate.output_tokens
            if spent_tokens + self._reserved_tokens + tokens > self.limit_tokens:
                raise BudgetExceeded(
                    f"the call could take the budget over its limit of {self.limit_tokens} "
                    f"tokens: {spent_tokens} spent, {self._reserved_tokens} held by calls in "
                    f"flight, this call up to {tokens}",
                    details={"limit_tokens": self.limit_tokens, "spent_tokens": spent_tokens},
                )


def _priced(usage: Usage) -> Usage:
    return usage if usage.cost_usd is not None else replace(usage, cost_usd=0.0)


# -- response caches ------------------------------------------------------------------------


class ResponseCache(Protocol):
    """Answers by :meth:`LLMRequest.cache_key`: equal keys may share one response."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, value: dict[str, Any]) -> None: ...


class MemoryResponseCache:
    """The ``max_entries`` most recently used answers, in this process."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


_SAFE_KEY = re.compile(r"[A-Za-z0-9_-]{1,128}")


class DirectoryResponseCache:
    """One JSON file per answer under ``path`` (``ab/abcdef….json``): shared by the processes
    of one machine, kept across restarts. A write goes to a temporary file renamed into place,
    so a reader never sees half a file; a file that cannot be read is a miss, not an error."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def _file(self, key: str) -> Path:
        if not _SAFE_KEY.fullmatch(key):
            raise ValueError(f"not a cache key: {key!r}")
        return self.path / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            value = orjson.loads(self._file(key).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        target = self._file(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(orjson.dumps(value))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


# -- the chain ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """A provider and the model to ask it for (None: the provider's default model). The
    chain sends each entry its own model: a request's ``model`` is replaced, since one model
    name rarely means anything to two vendors."""

    provider: Provider
    model: str | None = None

    @property
    def label(self) -> str:
        return f"{self.provider.name}/{self.model or self.provider.default_model}"


class ProviderChain:
    """Providers tried in order, each with retries, behind one circuit per provider, a cache
    and a budget. ``usage`` is what this chain's calls cost (cache hits add nothing;
    ``cache_hits`` counts them); ``on_usage(entry, usage)`` is told each call that spent
    tokens, including answers rejected as invalid. ``sleep``, ``clock`` and ``random`` are
    injectable so tests neither wait nor depend on chance."""

    def __init__(
        self,
        entries: Sequence[ChainEntry],
        *,
        policy: RetryPolicy | None = None,
        breakers: CircuitBreakers | None = None,
        cache: ResponseCache | None = None,
        budget: Budget | None = None,
        invalid_output_retries: int = 1,
        on_usage: UsageCallback | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        if not entries:
            raise ValueError("a provider chain needs at least one provider")
        self.entries = tuple(entries)
        self.policy = policy or RetryPolicy()
        self.breakers = breakers or CircuitBreakers(clock=clock)
        self.cache = cache
        self.budget = budget
        self.invalid_output_retries = invalid_output_retries
        self.on_usage = on_usage
        self._sleep = sleep
        self._random = random
        self.usage = ZERO_USAGE
        self.cache_hits = 0

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """The first good answer down the chain; :class:`BudgetExceeded` before any call that
        could overspend; else the failure of every entry, each one's reason in the message."""
        failures: list[tuple[ChainEntry, ProviderError]] = []
        for entry in self.entries:
            provider = entry.provider
            asked = replace(request, model=entry.model or provider.default_model)
            key = None
            if self.cache is not None:
                key = asked.cache_key(provider.name + getattr(provider, "base_url", ""))
                hit = self.cache.get(key)
                if hit is not None and isinstance(hit.get("text"), str):
                    self.cache_hits += 1
                    return LLMResponse(
                        text=hit["text"],
                        data=hit.get("data"),
                        usage=ZERO_USAGE,
                        provider=str(hit.get("provider", provider.name)),
                        model=str(hit.get("model", asked.model)),
                        cached=True,
                    )
            try:
                response = await self._call(entry, asked)
            except BudgetExceeded:
                raise
            except ProviderError as err:
                log.warning("LLM provider %s failed: %s", entry.label, err)
                failures.append((entry, err))
                continue
            if key is not None and self.cache is not None:
                self.cache.put(
                    key,
                    {
                        "text": response.text,
                        "data": response.data,
                        "provider": response.provider,
                        "model": response.model,
                    },
                )
            return response
        raise _all_failed(failures)

    async def _call(self, entry: ChainEntry, request: LLMRequest) -> LLMResponse:
        """One entry: attempts with retries until an answer, or the entry's final error."""
        breaker = self.breakers.for_provider(entry.provider)
        prices = getattr(entry.provider, "prices", None)
        retries = invalid = 0
        last: ProviderError | None = None
        while True:
            if not breaker.allow():
                if last is not None:  # opened by our own failures: report the real reason
                    raise _annotated(last, "the circuit opened") from last
                raise ProviderUnavailable(
                    f"circuit open after {breaker.failures} consecutive failures "
                    f"(next trial in {breaker.retry_in():.0f} s)"
                )
            reserved = None
            if self.budget is not None:
                try:
                    reserved = self.budget.reserve(pricing.estimate(request, prices))
                except BudgetExceeded:
                    breaker.release()
                    raise
            try:
                response = await entry.provider.complete(request)
            except InvalidOutput as err:
                breaker.record_success()  # the provider is healthy; the answer is not
                self._settle(entry, err.usage, reserved)
                invalid += 1
                if invalid > self.invalid_output_retries:
                    raise
                continue
            except ProviderError as err:
                last = err
                self._settle(entry, None, reserved)
                if err.retryable or isinstance(err, ProviderUnavailable):
                    breaker.record_failure()
                else:
                    breaker.record_success()  # it answered: the request was at fault
                if not err.retryable:
                    raise
                retries += 1
                if retries >= self.policy.attempts:
                    raise _annotated(err, f"after {retries} attempts") from err
                pause = self.policy.delay(retries, err, self._random)
                if pause is None:
                    raise _annotated(
                        err, f"asked to wait {err.retry_after:g} s, more than we wait"
                    ) from err
                await self._sleep(pause)
                continue
            except BaseException:
                breaker.release()
                if reserved is not None and self.budget is not None:
                    self.budget.release(reserved)
                raise
            breaker.record_success()
            self._settle(entry, response.usage, reserved)
            return response

    def _settle(self, entry: ChainEntry, usage: Usage | None, reserved: Usage | None) -> None:
        if self.budget is not None:
            if usage is not None:
                self.budget.record(usage, reserved=reserved)
            elif reserved is not None:
                self.budget.release(reserved)
        if usage is not None and usage.calls:
            self.usage = self.usage + usage
            if self.on_usage is not None:
                self.on_usage(entry, usage)

    async def aclose(self) -> None:
        """Close every provider's connections."""
        for entry in self.entries:
            await entry.provider.aclose()


def _annotated(err: ProviderError, note: str) -> ProviderError:
    """The same kind of error, its message saying why we stopped retrying."""
    message = f"{err.message} ({note})"
    if isinstance(err, RateLimited):
        return RateLimited(message, retry_after=err.retry_after, details=err.details)
    return type(err)(
        message, retryable=err.retryable, retry_after=err.retry_after, details=err.details
    )


def _all_failed(failures: list[tuple[ChainEntry, ProviderError]]) -> ProviderError:
    """One error for a chain that ran out of providers: the common kind of their failures
    (every one timed out: a timeout), else "unavailable"; each entry's reason listed."""
    reasons = "; ".join(f"{entry.label}: {err.message}" for entry, err in failures)
    message = f"no provider could answer — {reasons}"
    details = {"failures": [{"provider": e.label, "code": err.code} for e, err in failures]}
    kinds = {type(err) for _, err in failures}
    kind = kinds.pop() if len(kinds) == 1 else ProviderUnavailable
    if kind is RateLimited:
        waits = [err.retry_after for _, err in failures if err.retry_after is not None]
        return RateLimited(message, retry_after=min(waits) if waits else None, details=details)
    if kind is InvalidOutput:
        return InvalidOutput(message, details=details)
    if kind in (ProviderTimeout, ProviderError):
        return kind(message, details=details)
    return ProviderUnavailable(message, details=details)
