"""OpenAIProvider over a real socket: the official SDK against the scripted server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from brandloom.providers.llm import (
    InvalidOutput,
    LLMRequest,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    messages,
)
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

KEY = "sk-test-SECRET-0123456789"
SCHEMA = {
    "type": "object",
    "properties": {
        "content": {
            "type": "object",
            "properties": {"subject": {"type": "string"}, "body": {"type": "string"}},
            "required": ["subject", "body"],
            "additionalProperties": False,
        }
    },
    "required": ["content"],
    "additionalProperties": False,
}
GOOD = {"content": {"subject": "Spring sale", "body": "Everything 20% off."}}


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as srv:
        yield srv


def request(schema: Any = None, **kw: Any) -> LLMRequest:
    return LLMRequest(
        model=kw.pop("model", "gpt-4o-mini"),
        system="You write marketing copy.",
        messages=messages("Write a subject line."),
        schema=schema,
        schema_name="email",
        max_output_tokens=kw.pop("max_output_tokens", 300),
        **kw,
    )


def call(server: FakeLLMServer, req: LLMRequest, **options: Any) -> Any:
    async def go() -> Any:
        provider = OpenAIProvider(
            api_key=options.pop("api_key", KEY),
            base_url=server.base_url + "/v1",
            timeout=options.pop("timeout", 5.0),
            **options,
        )
        try:
            return await provider.complete(req)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def failure(server: FakeLLMServer, req: LLMRequest, **options: Any) -> Exception:
    with pytest.raises(ProviderError) as caught:
        call(server, req, **options)
    return caught.value


@pytest.mark.parametrize("stream", [False, True])
def test_free_text_answer_with_usage_and_cost(server: FakeLLMServer, stream: bool) -> None:
    text = "Spring is here — and so is 20% off everything in the store."
    server.script(reply(text=text, input_tokens=1000, output_tokens=500))
    response = call(server, request(), stream=stream)
    assert response.text == text  # reassembled from several deltas when streamed
    assert response.data is None
    assert response.provider == "openai" and response.model == "gpt-4o-mini"
    assert (response.usage.calls, response.usage.input_tokens, response.usage.output_tokens) == (
        1,
        1000,
        500,
    )
    assert response.usage.cost_usd == pytest.approx((1000 * 0.15 + 500 * 0.60) / 1e6)
    [sent] = server.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body["messages"] == [
        {"role": "system", "content": "You write marketing copy."},
        {"role": "user", "content": "Write a subject line."},
    ]
    assert sent.body["temperature"] == 0.7
    assert sent.body["max_tokens"] == 300  # a compatible server: the classic parameter name
    if stream:
        assert sent.body["stream"] is True
        assert sent.body["stream_options"] == {"include_usage": True}
    else:
        assert "stream" not in sent.body


@pytest.mark.parametrize("stream", [False, True])
def test_structured_output_is_requested_strict_and_validated(
    server: FakeLLMServer, stream: bool
) -> None:
    server.script(reply(GOOD))
    response = call(server, request(SCHEMA), stream=stream)
    assert response.data == GOOD
    [sent] = server.requests
    assert sent.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "email", "schema": SCHEMA, "strict": True},
    }


def test_a_fenced_json_answer_is_unwrapped(server: FakeLLMServer) -> None:
    server.script(reply(GOOD, fence=True))
    response = call(server, request(SCHEMA))
    assert response.text.startswith("```json")
    assert response.data == GOOD


def test_schema_breaking_answer_names_the_path_and_keeps_the_usage(
    server: FakeLLMServer,
) -> None:
    server.script(reply({"content": {"subject": 7, "body": "x"}}, output_tokens=40))
    err = failure(server, request(SCHEMA))
    assert isinstance(err, InvalidOutput)
    assert "content.subject: 7 is not of type 'string'" in str(err)
    assert err.usage is not None and err.usage.output_tokens == 40


@pytest.mark.parametrize("stream", [False, True])
def test_malformed_json_is_invalid_output(server: FakeLLMServer, stream: bool) -> None:
    server.script(malformed('{"content": {"subject": "unterminated'))
    err = failure(server, request(SCHEMA), stream=stream)
    assert isinstance(err, InvalidOutput)
    assert "not JSON" in str(err)


@pytest.mark.parametrize("stream", [False, True])
def test_429_reads_retry_after_and_the_sdk_sends_one_request(
    server: FakeLLMServer, stream: bool
) -> None:
    server.script(rate_limited(retry_after=7))
    err = failure(server, request(), stream=stream)
    assert isinstance(err, RateLimited)
    assert err.retry_after == 7
    assert err.retryable
    assert len(server.requests) == 1  # max_retries=0: the SDK did not retry on its own


def test_429_retry_after_as_an_http_date(server: FakeLLMServer) -> None:
    server.script(rate_limited(retry_after="Fri, 01 Jan 2100 00:00:00 GMT"))
    err = failure(server, request())
    assert isinstance(err, RateLimited)
    assert err.retry_after is not None and err.retry_after > 365 * 86400


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_a_retryable_provider_error(server: FakeLLMServer, status: int) -> None:
    server.script(server_error(status, retry_after=2 if status == 503 else None))
    err = failure(server, request())
    assert type(err) is ProviderError
    assert err.retryable
    assert f"HTTP {status}" in str(err)
    assert err.retry_after == (2 if status == 503 else None)
    assert len(server.requests) == 1


def test_400_is_final(server: FakeLLMServer) -> None:
    server.script(refuse(400, "Invalid schema for response_format 'email'"))
    err = failure(server, request())
    assert type(err) is ProviderError
    assert not err.retryable
    assert "Invalid schema" in str(err)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_unavailable_and_never_echoed(server: FakeLLMServer, status: int) -> None:
    server.script(refuse(status, f"Incorrect API key provided: {KEY}."))
    err = failure(server, request())
    assert isinstance(err, ProviderUnavailable)
    assert not err.retryable
    assert "key" in str(err)
    assert KEY not in str(err) and KEY not in repr(err) and KEY not in str(err.details)


def test_the_key_is_redacted_from_any_server_message(server: FakeLLMServer) -> None:
    server.script(refuse(400, f"bad request from key {KEY}"))
    err = failure(server, request())
    assert KEY not in str(err)
    assert "[redacted]" in str(err)


def test_the_key_is_not_in_the_repr() -> None:
    provider = OpenAIProvider(api_key=KEY, timeout=1.0)
    assert KEY not in repr(provider)
    assert KEY not in str(vars(provider).get("base_url"))


def test_timeout(server: FakeLLMServer) -> None:
    server.script(hang(3.0))
    err = failure(server, request(), timeout=0.2)
    assert isinstance(err, ProviderTimeout)
    assert err.retryable
    assert len(server.requests) == 1


def test_unreachable_server_is_unavailable_and_retryable() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def go() -> None:
        provider = OpenAIProvider(api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", timeout=2)
        try:
            await provider.complete(request())
        finally:
            await provider.aclose()

    with pytest.raises(ProviderUnavailable) as caught:
        asyncio.run(go())
    assert caught.value.retryable
    assert KEY not in str(caught.value)


def test_no_key_and_no_base_url_names_the_variable() -> None:
    with pytest.raises(ProviderUnavailable, match="OPENAI_API_KEY"):
        OpenAIProvider(api_key=None, timeout=1.0)
    with pytest.raises(ProviderUnavailable, match="OPENAI_API_KEY"):
        OpenAIProvider(api_key="", base_url=None, timeout=1.0)


def test_a_local_server_needs_no_key(server: FakeLLMServer, monkeypatch: Any) -> None:
    # The SDK would fall back to the environment's key: it must not, and none is needed.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    response = call(server, request(model="llama3.1:8b"), api_key=None)
    assert response.usage.cost_usd is None  # a local model nobody priced: unknown, not free
    [sent] = server.requests
    assert "sk-from-the-environment" not in sent.headers["authorization"]


def test_a_workspace_price_override(server: FakeLLMServer) -> None:
    from brandloom.providers.llm import Price

    server.script(reply(text="ok", input_tokens=2_000_000, output_tokens=1_000_000))
    response = call(
        server, request(model="llama3.1:8b"), api_key=None, prices={"llama3.1:8b": Price(0.1, 0.2)}
    )
    assert response.usage.cost_usd == pytest.approx(0.4)
    # As a workspace stores it: one price for whatever model this provider serves.
    server.script(reply(text="ok", input_tokens=1_000_000, output_tokens=0))
    flat = {"input_per_mtok": 0.3, "output_per_mtok": 0.9}
    response = call(server, request(model="qwen2.5"), api_key=None, prices=flat)
    assert response.usage.cost_usd == pytest.approx(0.3)


def test_it_is_a_provider_and_speaks_openai_dialect_to_openai() -> None:
    from brandloom.providers.llm import Provider

    provider = OpenAIProvider(api_key=KEY, timeout=1.0)  # api.openai.com: nothing is sent here
    assert isinstance(provider, Provider)
    assert provider.base_url == "https://api.openai.com/v1"
    params = provider._params(request(), "gpt-4o")
    assert params["max_completion_tokens"] == 300 and "max_tokens" not in params
    assert params["temperature"] == 0.7
    # Reasoning models refuse a sampling temperature.
    assert "temperature" not in provider._params(request(), "o4-mini")
