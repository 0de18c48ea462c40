"""Anthropic's Messages API, through the official SDK.

Structured output is one tool whose ``input_schema`` is the request's schema, forced with
``tool_choice``: the ``tool_use`` block's input is the answer. As with every provider, the SDK's
own retries are off (``max_retries=0``): the reliability layer owns retries.
"""

from __future__ import annotations

from typing import Any

import anthropic
import orjson
from anthropic import AsyncAnthropic
from anthropic.types import MessageParam, ToolChoiceToolParam, ToolParam

from brandloom.providers.llm import pricing, schema
from brandloom.providers.llm.base import (
    LLMRequest,
    LLMResponse,
    ProviderError,
    Usage,
)
from brandloom.providers.llm.hosted import PLACEHOLDER_KEY, HostedProvider

ANTHROPIC_BASE_URL = "https://api.anthropic.com"


class _Answer:
    """What one call returned: the text blocks, the forced tool's input (raw JSON text when
    streamed, a parsed value otherwise) and the token counts."""

    __slots__ = ("input_tokens", "output_tokens", "text", "tool_input", "tool_json")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.tool_input: Any = None
        self.tool_json: list[str] | None = None
        self.input_tokens = 0
        self.output_tokens = 0


class AnthropicProvider(HostedProvider):
    """Claude through the Messages API (or a server that speaks it at ``base_url``).

    The key and URL come from the caller; nothing here reads the environment. ``stream=True``
    reads the answer as server-sent events (the raw Messages stream, so the tool input is
    parsed once, whole, by the same code as a plain answer). The SDK takes no sampling
    temperature (``request.temperature`` is not sent).
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None = None,
        default_model: str = "claude-sonnet-4-0",
        timeout: float = 60.0,
        stream: bool = False,
        prices: pricing.PriceOverride | None = None,
        name: str = "anthropic",
    ) -> None:
        super().__init__(
            name=name,
            api_key=api_key,
            base_url=base_url,
            default_base_url=ANTHROPIC_BASE_URL,
            default_model=default_model,
            timeout=timeout,
            stream=stream,
            prices=prices,
            missing_key=(
                "no Anthropic API key: set ANTHROPIC_API_KEY, or give the base URL of a "
                "compatible server that needs none"
            ),
        )
        self._client = AsyncAnthropic(
            # An explicit key: the SDK then reads no credential from the environment or disk.
            api_key=api_key or PLACEHOLDER_KEY,
            base_url=self.base_url,
            timeout=timeout,
            max_retries=0,
        )

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """One message; with ``request.schema``, the forced tool's input, validated
        (:class:`InvalidOutput` otherwise)."""
        model = request.model or self.default_model
        try:
            if self.stream:
                answer = await self._streamed(request, model)
            else:
                answer = await self._single(request, model)
        except anthropic.APIError as err:
            raise self._error(err) from err
        tokens = (answer.input_tokens, answer.output_tokens)
        usage = Usage(1, *tokens, pricing.cost(model, *tokens, override=self.prices))
        text = "".join(answer.text)
        data = None
        if request.schema is not None:
            if answer.tool_json is not None:  # streamed: the input's JSON text, whole
                text = "".join(answer.tool_json) or "{}"
                data = schema.parse(text, request.schema, usage=usage)
            elif isinstance(answer.tool_input, str):  # a compatible server's JSON-as-string
                text = answer.tool_input
                data = schema.parse(text, request.schema, usage=usage)
            elif answer.tool_input is not None:
                text = orjson.dumps(answer.tool_input).decode()
                data = schema.check(answer.tool_input, request.schema, usage=usage)
            else:  # the model answered in prose (or a fenced block) instead of the tool
                data = schema.parse(text, request.schema, usage=usage)
        return LLMResponse(text=text, data=data, usage=usage, provider=self.name, model=model)

    def _params(self, request: LLMRequest, model: str) -> dict[str, Any]:
        messages: list[MessageParam] = []
        for m in request.messages:
            if m.role == "assistant":
                messages.append({"role": "assistant", "content": m.content})
            else:
                messages.append({"role": "user", "content": m.content})
        params: dict[str, Any] = {
            "model": model,
            "max_tokens": request.max_output_tokens,
            "messages": messages,
        }
        if request.system:
            params["system"] = request.system
        if request.schema is not None:
            tool: ToolParam = {
                "name": request.schema_name,
                "description": "Give the answer as this tool's input.",
                "input_schema": dict(request.schema),
            }
            choice: ToolChoiceToolParam = {"type": "tool", "name": request.schema_name}
            params["tools"] = [tool]
            params["tool_choice"] = choice
        return params

    async def _single(self, request: LLMRequest, model: str) -> _Answer:
        message = await self._client.messages.create(**self._params(request, model))
        answer = _Answer()
        for block in message.content:
            if block.type == "text":
                answer.text.append(block.text)
            elif block.type == "tool_use" and block.name == request.schema_name:
                answer.tool_input = block.input
        usage = getattr(message, "usage", None)  # a lax compatible server may leave it out
        if usage is not None:
            answer.input_tokens = usage.input_tokens or 0
            answer.output_tokens = usage.output_tokens or 0
        return answer

    async def _streamed(self, request: LLMRequest, model: str) -> _Answer:
        stream = await self._client.messages.create(**self._params(request, model), stream=True)
        answer = _Answer()
        tool_index: int | None = None
        async with stream:
            async for event in stream:
                if event.type == "message_start":
                    answer.input_tokens = event.message.usage.input_tokens
                    answer.output_tokens = event.message.usage.output_tokens
                elif event.type == "content_block_start":
                    block = event.content_block
                    if block.type == "tool_use" and block.name == request.schema_name:
                        tool_index = event.index
                        answer.tool_json = []
                    elif block.type == "text" and block.text:
                        answer.text.append(block.text)
                elif event.type == "content_block_delta":
                    delta = event.delta
                    if delta.type == "text_delta":
                        answer.text.append(delta.text)
                    elif delta.type == "input_json_delta" and event.index == tool_index:
                        assert answer.tool_json is not None
                        answer.tool_json.append(delta.partial_json)
                elif event.type == "message_delta":
                    # Cumulative counts: they replace what message_start said.
                    answer.output_tokens = event.usage.output_tokens
                    if event.usage.input_tokens is not None:
                        answer.input_tokens = event.usage.input_tokens
        return answer

    def _error(self, err: anthropic.APIError) -> ProviderError:
        return self._sdk_error(err, anthropic)
