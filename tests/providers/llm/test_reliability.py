"""ProviderChain end to end: real SDK clients over real sockets to the scripted server, with
an injected sleep (recorded, never waited) and clock, so nothing depends on wall-clock time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from brandloom.providers.llm import (
    Budget,
    BudgetExceeded,
    ChainEntry,
    CircuitBreakers,
    DirectoryResponseCache,
    InvalidOutput,
    LLMRequest,
    MemoryResponseCache,
    ProviderChain,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RetryPolicy,
    Usage,
    messages,
)
from brandloom.providers.llm.anthropic import AnthropicProvider
from brandloom.providers.llm.fake_server import (
    FakeLLMServer,
    hang,
    malformed,
    rate_limited,
    refuse,
    reply,
    server_error,
)
from brandloom.providers.llm.openai_compat import OpenAIProvider

SCHEMA = {
    "type": "object",
    "properties": {
        "content": {
            "type": "object",
            "properties": {"subject": {"type": "string"}},
            "required": ["subject"],
        }
    },
    "required": ["content"],
}
GOOD = {"content": {"subject": "Spring sale"}}


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as srv:
        yield srv


class Sleeps:
    """An injected sleep: records each pause, waits none."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def request(schema: Any = None, **kw: Any) -> LLMRequest:
    return LLMRequest(
        model="",  # each chain entry says its model
        system="You write marketing copy.",
        messages=messages(kw.pop("prompt", "Write a subject line.")),
        schema=schema,
        max_output_tokens=kw.pop("max_output_tokens", 200),
        **kw,
    )


def openai(server: FakeLLMServer, **kw: Any) -> OpenAIProvider:
    return OpenAIProvider(
        api_key="sk-test", base_url=server.base_url + "/v1", timeout=kw.pop("timeout", 5.0), **kw
    )


def anthropic(server: FakeLLMServer, **kw: Any) -> AnthropicProvider:
    return AnthropicProvider(
        api_key="sk-ant-test", base_url=server.base_url, timeout=kw.pop("timeout", 5.0), **kw
    )


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(scenario())


def chain_of(*entries: ChainEntry, **kw: Any) -> ProviderChain:
    kw.setdefault("sleep", Sleeps())
    kw.setdefault("random", lambda: 0.5)
    return ProviderChain(list(entries), **kw)


def wires(server: FakeLLMServer) -> list[str]:
    return [r.wire for r in server.requests]


# -- retries --------------------------------------------------------------------------------


def test_429_retry_after_is_honoured(server: FakeLLMServer) -> None:
    server.script(rate_limited(retry_after=7), reply(GOOD))
    sleeps = Sleeps()

    async def go() -> Any:
        chain = chain_of(ChainEntry(openai(server), "gpt-4o-mini"), sleep=sleeps)
        try:
            return await chain.complete(request(SCHEMA))
        finally:
            await chain.aclose()

    response = run(go)
    assert response.data == GOOD
    assert len(server.requests) == 2  # one per attempt: the SDK itself never retried
    [pause] = sleeps.pauses
    assert pause >= 7  # at least what the server asked (backoff alone would be 0.25)


def test_retry_after_beyond_the_cap_falls_back_at_once(server: FakeLLMServer) -> None:
    server.script(rate_limited(retry_after=600), reply(GOOD))
    sleeps = Sleeps()

    async def go() -> Any:
        chain = chain_of(
            ChainEntry(openai(server), "gpt-4o-mini"),
            ChainEntry(anthropic(server), "claude-3-5-haiku-latest"),
            sleep=sleeps,
        )
        return await chain.complete(request(SCHEMA))

    response = run(go)
    assert response.provider == "anthropic" and response.data == GOOD
    assert wires(server) == ["openai", "anthropic"]
    assert sleeps.pauses == []  # nobody waited ten minutes


def test_500_is_retried_then_succeeds(server: FakeLLMServer) -> None:
    server.script(server_error(500), reply(GOOD))
    sleeps = Sleeps()

    async def go() -> Any:
        chain = chain_of(
            ChainEntry(anthropic(server), "claude-sonnet-4-0"),
            sleep=sleeps,
            random=lambda: 1.0,
            policy=RetryPolicy(base_delay=0.5),
        )
        return await chain.complete(request(SCHEMA))

    assert run(go).data == GOOD
    assert len(server.requests) == 2
    assert sleeps.pauses == [0.5]  # full jitter: uniform up to base_delay (random() = 1.0 here)


def test_backoff_grows_exponentially_up_to_the_cap(server: FakeLLMServer) -> None:
    server.script(*[server_error(503)] * 5)
    sleeps = Sleeps()

    async def go() -> Any:
        chain = chain_of(
            ChainEntry(openai(server), "gpt-4o-mini"),
            sleep=sleeps,
            random=lambda: 1.0,
            policy=RetryPolicy(attempts=5, base_delay=1, max_delay=5),
        )
        return await chain.complete(request())

    with pytest.raises(ProviderError, match="after 5 attempts"):
        run(go)
    assert sleeps.pauses == [1, 2, 4, 5]
    assert len(server.requests) == 5


def test_a_400_is_not_retried(server: FakeLLMServer) -> None:
    server.script(refuse(400, "bad schema"), reply(GOOD))

    async def go() -> Any:
        chain = chain_of(
            ChainEntry(openai(server), "gpt-4o-mini"),
            ChainEntry(anthropic(server), "claude-sonnet-4-0"),
        )
        return await chain.complete(request(SCHEMA))

    assert run(go).provider == "anthropic"
    assert wires(server) == ["openai", "anthropic"]


def test_timeouts_are_retried_then_fall_back_to_the_second_provider(
    server: FakeLLMServer,
) -> None:
    server.script(hang(3), hang(3), hang(3), reply(GOOD))
    sleeps = Sleeps()

    async def go() -> Any:
        chain = chain_of(
            ChainEntry(openai(server, timeout=0.2), "gpt-4o-mini"),
            ChainEntry(anthropic(server), "claude-sonnet-4-0"),
            sleep=sleeps,
        )
        return await chain.complete(request(SCHEMA))

    response = run(go)
    assert response.provider == "anthropic" and response.data == GOOD
    assert wires(server) == ["openai", "openai", "openai", "anthropic"]
    assert len(sleeps.pauses) == 2  # between the three attempts, none after the last


# -- invalid output -------------------------------------------------------------------------


def test_malformed_then_schema_breaking_is_invalid_output_naming_the_path(
    server: FakeLLMServer,
) -> None:
    server.script(malformed(), reply({"content": {"subject": 42}}, output_tokens=30))
    seen: list[Usage] = []

    async def go() -> Any:
        chain = chain_of(
            ChainEntry(openai(server), "gpt-4o-mini"),
            invalid_output_retries=1,
            on_usage=lambda entry, usage: seen.append(usage),
        )
        try:
            return await chain.complete(request(SCHEMA))
        finally:
            assert chain.usage.calls == 2  # rejected answers still spent tokens

    with pytest.raises(InvalidOutput) as caught:
        run(go)
    assert "content.subject: 42 is not of type 'string'" in str(caught.value)
    assert "openai/gpt-4o-mini" in str(caught.value)
    assert len(server.requests) == 2  # the answer, then one more try
    assert [u.output_tokens for u in seen] == [34, 30]


def test_invalid_output_falls_back_to_the_next_provider(server: FakeLLMServer) -> None:
    server.script(malformed(), malformed(), reply(GOOD))

    async def go() -> Any:
        chain = chain_of(
            ChainEntry(openai(server, stream=True), "gpt-4o-mini"),
            ChainEntry(anthropic(server, stream=True), "claude-sonnet-4-0"),
        )
        return await chain.complete(request(SCHEMA))

    response = run(go)
    assert response.provider == "anthropic" and response.data == GOOD
    assert wires(server) == ["openai", "openai", "anthropic"]


# -- circuit breaking -----------------------------------------------------------------------


def test_the_circuit_opens_skips_the_provider_and_half_opens_after_the_cool_down(
    server: FakeLLMServer,
) -> None:
    clock = Clock()
    breakers = CircuitBreakers(failure_threshold=3, reset_after=30, clock=clock)
    server.script(*[server_error(500)] * 3)

    async def go() -> None:
        primary = openai(server)
        chain = chain_of(
            ChainEntry(primary, "gpt-4o-mini"),
            breakers=breakers,
            policy=RetryPolicy(attempts=1),
        )
        breaker = breakers.for_provider(primary)
        for _ in range(3):  # three failed calls: the third opens the circuit
            with pytest.raises(ProviderError):
                await chain.complete(request())
        assert breaker.state == "open"
        with pytest.raises(ProviderUnavailable, match="circuit open"):
            await chain.complete(request())
        assert len(server.requests) == 3  # the open circuit sent nothing

        clock.now += 29
        with pytest.raises(ProviderUnavailable, match="circuit open"):
            await chain.complete(request())
        assert len(server.requests) == 3

        clock.now += 2  # past the cool-down: one trial call goes out, and fails
        server.script(server_error(502))
        with pytest.raises(ProviderError, match="HTTP 502"):
            await chain.complete(request())
        assert breaker.state == "open"  # the failed trial opened it again, for 30 s more
        assert len(server.requests) == 4
        with pytest.raises(ProviderUnavailable, match="circuit open"):
            await chain.complete(request())

        clock.now += 31  # the next trial succeeds: closed again
        response = await chain.complete(request())
        assert response.text
        assert breaker.state == "closed" and breaker.failures == 0
        assert len(server.requests) == 5

    run(go)


def test_an_open_circuit_goes_to_the_next_provider(server: FakeLLMServer) -> None:
    clock = Clock()
    breakers = CircuitBreakers(failure_threshold=1, reset_after=30, clock=clock)
    server.script(server_error(500))

    async def go() -> Any:
        chain = chain_of(
            ChainEntry(openai(server), "gpt-4o-mini"),
            ChainEntry(anthropic(server), "claude-sonnet-4-0"),
            breakers=breakers,
            policy=RetryPolicy(attempts=1),
        )
        first = await chain.complete(request())  # openai fails (opens), anthropic answers
        second = await chain.complete(request())  # openai skipped without a request
        return first, second

    first, second = run(go)
    assert first.provider == second.provider == "anthropic"
    assert wires(server) == ["openai", "anthropic", "anthropic"]


def test_circuits_are_per_provider_and_base_url(server: FakeLLMServer) -> None:
    breakers = CircuitBreakers()
    a = openai(server)
    b = OpenAIProvider(api_key="k", base_url="http://127.0.0.1:9/v1", timeout=1)
    assert breakers.for_provider(a) is breakers.for_provider(openai(server))
    assert breakers.for_provider(a) is not breakers.for_provider(b)


# -- fallback order and the final error -----------------------------------------------------


def test_fallback_follows_the_chain_order_and_lists_every_reason(server: FakeLLMServer) -> None:
    server.script(server_error(500), refuse(401), rate_limited(retry_after=300))

    async def go() -> Any:
        chain = chain_of(
            ChainEntry(openai(server, name="primary"), "gpt-4o"),
            ChainEntry(anthropic(server, name="secondary"), "claude-sonnet-4-0"),
            ChainEntry(openai(server, name="tertiary", stream=True), "gpt-4.1-mini"),
            policy=RetryPolicy(attempts=1),
        )
        return await chain.complete(request())

    with pytest.raises(ProviderUnavailable) as caught:
        run(go)
    message = str(caught.value)
    assert wires(server) == ["openai", "anthropic", "openai"]
    assert message.index("primary/gpt-4o") < message.index("secondary/claude-sonnet-4-0")
    assert message.index("secondary/") < message.index("tertiary/gpt-4.1-mini")
    assert "HTTP 500" in message and "refused the key" in message and "HTTP 429" in message
    assert [f["provider"] for f in caught.value.details["failures"]] == [
        "primary/gpt-4o",
        "secondary/claude-sonnet-4-0",
        "tertiary/gpt-4.1-mini",
    ]


def test_the_third_provider_answers_when_the_first_two_fail(server: FakeLLMServer) -> None:
    server.script(server_error(500), server_error(503), reply(GOOD))

    async def go() -> Any:
        chain = chain_of(
            ChainEntry(openai(server, name="primary"), "gpt-4o"),
            ChainEntry(anthropic(server, name="secondary"), "claude-sonnet-4-0"),
            ChainEntry(openai(server, name="tertiary", stream=True), "gpt-4.1-mini"),
            policy=RetryPolicy(attempts=1),
        )
        return await chain.complete(request(SCHEMA))

    response = run(go)
    assert (response.provider, response.model, response.data) == ("tertiary", "gpt-4.1-mini", GOOD)
    assert [r.body["model"] for r in server.requests] == [
        "gpt-4o",
        "claude-sonnet-4-0",
        "gpt-4.1-mini",
    ]


def test_when_every_provider_times_out_the_error_is_a_timeout(server: FakeLLMServer) -> None:
    server.script(hang(3), hang(3))

    async def go() -> Any:
        chain = chain_of(
            ChainEntry(openai(server, timeout=0.2), "gpt-4o-mini"),
            ChainEntry(anthropic(server, timeout=0.2), "claude-sonnet-4-0"),
            policy=RetryPolicy(attempts=1),
        )
        return await chain.complete(request())

    with pytest.raises(ProviderTimeout, match="no provider could answer"):
        run(go)


def test_when_every_provider_rate_limits_the_error_carries_the_shortest_wait(
    server: FakeLLMServer,
) -> None:
    server.script(rate_limited(retry_after=90), rate_limited(retry_after=75))

    async def go() -> Any:
        chain = chain_of(
            ChainEntry(openai(server), "gpt-4o-mini"),
            ChainEntry(anthropic(server), "claude-sonnet-4-0"),
        )
        return await chain.complete(request())

    with pytest.raises(RateLimited) as caught:
        run(go)
    assert caught.value.retry_after == 75


# -- cache ----------------------------------------------------------------------------------


def test_a_cache_hit_sends_nothing_and_costs_nothing(server: FakeLLMServer) -> None:
    cache = MemoryResponseCache(max_entries=10)
    server.script(reply(GOOD, input_tokens=100, output_tokens=50))

    async def go() -> Any:
        chain = chain_of(ChainEntry(openai(server), "gpt-4o-mini"), cache=cache)
        first = await chain.complete(request(SCHEMA))
        second = await chain.complete(request(SCHEMA))
        other = await chain.complete(request(SCHEMA, prompt="Another brief."))
        return chain, first, second, other

    chain, first, second, other = run(go)
    assert len(server.requests) == 2  # the repeat was answered from the cache
    assert not first.cached and second.cached and not other.cached
    assert second.data == first.data == GOOD and second.text == first.text
    assert second.usage == Usage() and second.usage.calls == 0
    assert chain.cache_hits == 1
    assert chain.usage.calls == 2 and chain.usage.input_tokens == 100 + 12


def test_the_cache_key_includes_provider_endpoint_and_model(server: FakeLLMServer) -> None:
    cache = MemoryResponseCache()

    async def go() -> None:
        a = chain_of(ChainEntry(openai(server), "gpt-4o-mini"), cache=cache)
        b = chain_of(ChainEntry(openai(server), "gpt-4o"), cache=cache)
        c = chain_of(ChainEntry(anthropic(server), "claude-sonnet-4-0"), cache=cache)
        for chain in (a, b, c, a, b, c):
            await chain.complete(request())

    run(go)
    assert len(server.requests) == 3
    assert len(cache) == 3


def test_a_directory_cache_survives_a_new_chain_and_ignores_corrupt_files(
    server: FakeLLMServer, tmp_path: Path
) -> None:
    cache = DirectoryResponseCache(tmp_path / "llm")

    async def go() -> Any:
        first = await chain_of(ChainEntry(openai(server), "gpt-4o-mini"), cache=cache).complete(
            request(SCHEMA)
        )
        again = await chain_of(
            ChainEntry(openai(server), "gpt-4o-mini"),
            cache=DirectoryResponseCache(tmp_path / "llm"),
        ).complete(request(SCHEMA))
        return first, again

    first, again = run(go)
    assert again.cached and again.data == first.data
    assert len(server.requests) == 1
    files = list((tmp_path / "llm").rglob("*"))
    [entry] = [f for f in files if f.is_file()]
    assert entry.suffix == ".json" and not entry.name.startswith(".")  # no temp file left

    entry.write_bytes(b'{"text": "half a fi')  # a torn or corrupt file: a miss, not an error
    third = run(
        lambda: chain_of(ChainEntry(openai(server), "gpt-4o-mini"), cache=cache).complete(
            request(SCHEMA)
        )
    )
    assert not third.cached
    assert len(server.requests) == 2


# -- budgets and cost -----------------------------------------------------------------------


def test_the_budget_stops_a_call_before_it_is_sent_and_does_not_fall_back(
    server: FakeLLMServer,
) -> None:
    # gpt-4o: $10 per million output tokens; 2,000 output tokens could cost $0.02 > $0.01.
    budget = Budget(limit_usd=0.01)

    async def go() -> Any:
        chain = chain_of(
            ChainEntry(openai(server), "gpt-4o"),
            ChainEntry(anthropic(server), "claude-3-5-haiku"),
            budget=budget,
        )
        return await chain.complete(request(max_output_tokens=2000))

    with pytest.raises(BudgetExceeded, match=r"limit of \$0\.0100"):
        run(go)
    assert server.requests == []  # neither provider saw a request
    assert budget.reserved == (0.0, 0)


def test_a_token_budget_counts_what_was_spent(server: FakeLLMServer) -> None:
    budget = Budget(limit_tokens=600)
    server.script(reply(text="one", input_tokens=100, output_tokens=100))

    async def go() -> None:
        chain = chain_of(ChainEntry(openai(server), "llama3.1"), budget=budget)
        await chain.complete(request(max_output_tokens=300))  # estimate ~310: fits in 600
        assert budget.spent.input_tokens + budget.spent.output_tokens == 200
        with pytest.raises(BudgetExceeded, match="600 tokens"):
            await chain.complete(request(max_output_tokens=450))  # 200 + ~460 > 600

    run(go)
    assert len(server.requests) == 1


def test_concurrent_calls_reserve_their_estimate(server: FakeLLMServer) -> None:
    # Each call could cost up to $0.006 (gpt-4o, 600 output tokens): two fit in $0.013, three
    # do not, even though nothing has been spent yet when the third is checked.
    server.latency = 0.05
    budget = Budget(limit_usd=0.013)

    async def go() -> list[Any]:
        chain = chain_of(ChainEntry(openai(server), "gpt-4o"), budget=budget)
        return await asyncio.gather(
            *[chain.complete(request(max_output_tokens=600)) for _ in range(3)],
            return_exceptions=True,
        )

    results = run(go)
    assert sum(isinstance(r, BudgetExceeded) for r in results) == 1
    assert len(server.requests) == 2
    assert budget.reserved == (0.0, 0)
    expected = 2 * (12 * 2.50 + 34 * 10.00) / 1e6  # what the two calls really cost
    assert budget.spent.cost_usd == pytest.approx(expected)


def test_cost_accounting_with_a_known_price(server: FakeLLMServer) -> None:
    server.script(
        reply(text="a", input_tokens=1000, output_tokens=500),
        reply(text="b", input_tokens=2000, output_tokens=100),
    )
    recorded: list[tuple[str, Usage]] = []

    async def go() -> ProviderChain:
        chain = chain_of(
            ChainEntry(openai(server), "gpt-4o-mini-2024-07-18"),
            on_usage=lambda entry, usage: recorded.append((entry.label, usage)),
        )
        await chain.complete(request())
        await chain.complete(request())
        return chain

    chain = run(go)
    # gpt-4o-mini (the dated snapshot is priced as its family): $0.15 in, $0.60 out per 1M.
    first = (1000 * 0.15 + 500 * 0.60) / 1e6
    second = (2000 * 0.15 + 100 * 0.60) / 1e6
    assert [u.cost_usd for _, u in recorded] == [pytest.approx(first), pytest.approx(second)]
    assert [label for label, _ in recorded] == ["openai/gpt-4o-mini-2024-07-18"] * 2
    assert chain.usage.calls == 2
    assert (chain.usage.input_tokens, chain.usage.output_tokens) == (3000, 600)
    assert chain.usage.cost_usd == pytest.approx(first + second)


def test_a_budget_over_an_unpriced_local_model_counts_tokens_only(server: FakeLLMServer) -> None:
    budget = Budget(limit_usd=0.0)  # nothing to spend: yet a model nobody priced is not refused

    async def go() -> Any:
        chain = chain_of(ChainEntry(openai(server), "llama3.1:8b"), budget=budget)
        return await chain.complete(request())

    response = run(go)
    assert response.usage.cost_usd is None
    assert budget.spent.cost_usd == 0.0 and budget.spent.calls == 1


# -- the parts on their own -----------------------------------------------------------------


def test_retry_policy_pauses() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=20, max_retry_after=60)
    error = ProviderError("x", retryable=True)
    assert [policy.delay(n, error, lambda: 1.0) for n in (1, 2, 3, 7, 8)] == [0.5, 1, 2, 20, 20]
    assert policy.delay(3, error, lambda: 0.25) == 0.5  # full jitter: a share of the ceiling
    assert policy.delay(1, RateLimited("x", retry_after=3), lambda: 0.0) == 3
    assert policy.delay(1, RateLimited("x", retry_after=61), lambda: 0.0) is None
    assert RetryPolicy(jitter="none").backoff(2) == 1.0


def test_the_breaker_lets_one_trial_through_at_a_time() -> None:
    from brandloom.providers.llm import CircuitBreaker

    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, reset_after=10, clock=clock)
    breaker.record_failure()
    assert breaker.allow() and breaker.state == "closed"
    breaker.record_success()  # success resets the count: failures must be consecutive
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    assert breaker.retry_in() == 10
    clock.now += 10
    assert breaker.allow() and breaker.state == "half_open"
    assert not breaker.allow()  # the trial is in flight: everyone else still skips
    breaker.release()  # the trial ended without a verdict (cancelled)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


def test_budget_reserve_release_record() -> None:
    budget = Budget(limit_usd=1.0, spent=Usage(1, 10, 10, 0.5))
    held = budget.reserve(Usage(1, 100, 100, 0.4))
    with pytest.raises(BudgetExceeded):
        budget.check(Usage(1, 1, 1, 0.2))  # 0.5 spent + 0.4 held + 0.2 > 1.0
    budget.record(Usage(1, 100, 20, 0.1), reserved=held)
    assert budget.reserved == (0.0, 0)
    assert budget.spent.cost_usd == pytest.approx(0.6)
    budget.check(Usage(1, 1, 1, 0.4))
    budget.release(budget.reserve(Usage(1, 1, 1, 0.4)))
    assert budget.reserved == (0.0, 0)


def test_memory_cache_evicts_the_least_recently_used() -> None:
    cache = MemoryResponseCache(max_entries=2)
    cache.put("a", {"text": "a"})
    cache.put("b", {"text": "b"})
    assert cache.get("a") == {"text": "a"}  # a is now the most recent
    cache.put("c", {"text": "c"})
    assert cache.get("b") is None and cache.get("a") and cache.get("c")


def test_directory_cache_refuses_keys_that_are_not_digests(tmp_path: Path) -> None:
    cache = DirectoryResponseCache(tmp_path)
    with pytest.raises(ValueError):
        cache.put("../../etc/passwd", {"text": "x"})
    assert cache.get("ab" * 32) is None


def test_retries_stopped_by_the_circuit_report_the_real_failure(server: FakeLLMServer) -> None:
    server.script(server_error(502), server_error(502))

    async def go() -> Any:
        chain = chain_of(
            ChainEntry(openai(server), "gpt-4o-mini"),
            breakers=CircuitBreakers(failure_threshold=2, clock=Clock()),
        )
        return await chain.complete(request())

    with pytest.raises(ProviderError, match=r"HTTP 502.*the circuit opened"):
        run(go)
    assert len(server.requests) == 2  # the third attempt never went out
