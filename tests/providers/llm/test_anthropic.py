"""AnthropicProvider over a real socket: the official SDK against the scripted server."""

from __future__ import annotations

import asyncio
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

KEY = "sk-ant-SECRET-0123456789"
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


def request(schema: Any = None, **kw: Any) -> LLMRequest:
    return LLMRequest(
        model=kw.pop("model", "claude-sonnet-4-20250514"),
        system="You write marketing copy.",
        messages=messages("Write a subject line."),
        schema=schema,
        schema_name="email",
        max_output_tokens=300,
        **kw,
    )


def call(server: FakeLLMServer, req: LLMRequest, **options: Any) -> Any:
    async def go() -> Any:
        provider = AnthropicProvider(
            api_key=options.pop("api_key", KEY),
            base_url=server.base_url,
            timeout=options.pop("timeout", 5.0),
            **options,
        )
        try:
            return await provider.complete(req)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def failure(server: FakeLLMServer, req: LLMRequest, **options: Any) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        call(server, req, **options)
    return caught.value


@pytest.mark.parametrize("stream", [False, True])
def test_free_text_answer_with_usage_and_cost(server: FakeLLMServer, stream: bool) -> None:
    text = "Spring is here — and so is 20% off everything in the store."
    server.script(reply(text=text, input_tokens=1000, output_tokens=500))
    response = call(server, request(), stream=stream)
    assert response.text == text
    assert response.provider == "anthropic"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (1000, 500)
    # claude-sonnet-4-20250514 is priced as its family, claude-sonnet-4 ($3 / $15).
    assert response.usage.cost_usd == pytest.approx((1000 * 3 + 500 * 15) / 1e6)
    [sent] = server.requests
    assert sent.path == "/v1/messages"
    assert sent.body["system"] == "You write marketing copy."
    assert sent.body["messages"] == [{"role": "user", "content": "Write a subject line."}]
    assert sent.body["max_tokens"] == 300
    assert "tools" not in sent.body
    assert sent.stream is stream


@pytest.mark.parametrize("stream", [False, True])
def test_structured_output_is_one_forced_tool(server: FakeLLMServer, stream: bool) -> None:
    server.script(reply(GOOD))
    response = call(server, request(SCHEMA), stream=stream)
    assert response.data == GOOD  # from the tool_use block (streamed: input_json_delta pieces)
    [sent] = server.requests
    [tool] = sent.body["tools"]
    assert tool["name"] == "email"
    assert tool["input_schema"] == SCHEMA
    assert sent.body["tool_choice"] == {"type": "tool", "name": "email"}


@pytest.mark.parametrize("stream", [False, True])
def test_schema_breaking_tool_input_names_the_path(server: FakeLLMServer, stream: bool) -> None:
    server.script(reply({"content": {"subject": ["not", "a", "string"]}}))
    err = failure(server, request(SCHEMA), stream=stream)
    assert isinstance(err, InvalidOutput)
    assert "content.subject: ['not', 'a', 'string'] is not of type 'string'" in str(err)
    assert err.usage is not None and err.usage.calls == 1


@pytest.mark.parametrize("stream", [False, True])
def test_malformed_json_is_invalid_output(server: FakeLLMServer, stream: bool) -> None:
    # Plain: the model answered prose instead of the tool; streamed: broken tool input JSON.
    server.script(malformed('{"content": {"subject": "unterminated'))
    err = failure(server, request(SCHEMA), stream=stream)
    assert isinstance(err, InvalidOutput)
    assert "not JSON" in str(err)


@pytest.mark.parametrize("stream", [False, True])
def test_429_reads_retry_after_and_the_sdk_sends_one_request(
    server: FakeLLMServer, stream: bool
) -> None:
    server.script(rate_limited(retry_after=12))
    err = failure(server, request(), stream=stream)
    assert isinstance(err, RateLimited)
    assert err.retry_after == 12
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [500, 529])
def test_5xx_is_retryable(server: FakeLLMServer, status: int) -> None:
    server.script(server_error(status))
    err = failure(server, request())
    assert type(err) is ProviderError and err.retryable
    assert len(server.requests) == 1


def test_400_is_final(server: FakeLLMServer) -> None:
    server.script(refuse(400, "tools.0.input_schema: unsupported keyword"))
    err = failure(server, request(SCHEMA))
    assert type(err) is ProviderError and not err.retryable


def test_a_refused_key_is_unavailable_and_never_echoed(server: FakeLLMServer) -> None:
    server.script(refuse(401, f"invalid x-api-key {KEY}"))
    err = failure(server, request())
    assert isinstance(err, ProviderUnavailable) and not err.retryable
    assert KEY not in str(err) and KEY not in repr(err)


def test_timeout(server: FakeLLMServer) -> None:
    server.script(hang(3.0))
    err = failure(server, request(), timeout=0.2)
    assert isinstance(err, ProviderTimeout)
    assert len(server.requests) == 1


def test_no_key_and_no_base_url_names_the_variable(monkeypatch: Any) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-the-environment")
    with pytest.raises(ProviderUnavailable, match="ANTHROPIC_API_KEY"):
        AnthropicProvider(api_key=None, timeout=1.0)


def test_a_compatible_server_without_a_key(server: FakeLLMServer, monkeypatch: Any) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-the-environment")
    call(server, request(), api_key=None)
    [sent] = server.requests
    assert "sk-ant-from-the-environment" not in str(sent.headers)
