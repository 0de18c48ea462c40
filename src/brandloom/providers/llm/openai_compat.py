"""OpenAI's chat completions, through the official SDK: OpenAI itself, or any server that speaks
its wire protocol (Ollama, vLLM, llama.cpp server, LM Studio) at ``base_url``.

One call is one HTTP request: the SDK's own retries are off (``max_retries=0``) because the
reliability layer owns retries, and two retry loops would multiply each other.
"""

from __future__ import annotations

from typing import Any

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat

from brandloom.providers.llm import pricing, schema
from brandloom.providers.llm.base import (
    InvalidOutput,
    LLMRequest,
    LLMResponse,
    ProviderError,
    Usage,
    redact,
)
from brandloom.providers.llm.hosted import PLACEHOLDER_KEY, HostedProvider

OPENAI_BASE_URL = "https://api.openai.com/v1"
# Reasoning models take no sampling temperature (the API refuses one that is not 1).
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")

_Tokens = tuple[int, int] | None  # (input, output) as the server counted them, if it did


class OpenAIProvider(HostedProvider):
    """An OpenAI-compatible chat-completions endpoint.

    ``api_key`` and ``base_url`` come from the caller (settings or a workspace's stored key):
    nothing here reads the environment, and both are passed to the SDK explicitly so it does
    not either (it still picks up OPENAI_ORG_ID / OPENAI_PROJECT_ID headers if they are set).
    A ``base_url`` without a key is a local server (a placeholder key is sent); neither a key
    nor a base URL is a configuration error. ``stream=True`` reads the answer as server-sent
    events, the usage in a final chunk (for gateways that only stream, or to keep a long
    answer's connection busy). ``prices`` overrides the vendors' table for this provider:
    one price for every model it serves, or prices per model (:func:`pricing.price_table`).
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None = None,
        default_model: str = "gpt-4o-mini",
        timeout: float = 60.0,
        stream: bool = False,
        prices: pricing.PriceOverride | None = None,
        name: str = "openai",
    ) -> None:
        super().__init__(
            name=name,
            api_key=api_key,
            base_url=base_url,
            default_base_url=OPENAI_BASE_URL,
            default_model=default_model,
            timeout=timeout,
            stream=stream,
            prices=prices,
            missing_key=(
                "no OpenAI API key: set OPENAI_API_KEY, or give the base URL of an "
                "OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio) that needs none"
            ),
        )
        self._official = self.base_url == OPENAI_BASE_URL
        self._client = AsyncOpenAI(
            api_key=api_key or PLACEHOLDER_KEY,
            base_url=self.base_url,  # explicit, so OPENAI_BASE_URL in the environment is moot
            timeout=timeout,
            max_retries=0,
        )

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """One chat completion; with ``request.schema``, strict JSON-schema output, parsed and
        validated (:class:`InvalidOutput` otherwise)."""
        model = request.model or self.default_model
        try:
            if self.stream:
                text, tokens = await self._streamed(request, model)
            else:
                text, tokens = await self._single(request, model)
        except openai.APIError as err:
            raise self._error(err) from err
        if tokens is None:  # a compatible server that reports no usage: estimate, not zero
            tokens = (pricing.estimate_input_tokens(request), len(text) // 4)
        usage = Usage(1, tokens[0], tokens[1], pricing.cost(model, *tokens, override=self.prices))
        data = None
        if request.schema is not None:
            data = schema.parse(text, request.schema, usage=usage)
        return LLMResponse(text=text, data=data, usage=usage, provider=self.name, model=model)

    def _params(self, request: LLMRequest, model: str) -> dict[str, Any]:
        messages: list[ChatCompletionMessageParam] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        for message in request.messages:
            if message.role == "assistant":
                messages.append({"role": "assistant", "content": message.content})
            else:
                messages.append({"role": "user", "content": message.content})
        params: dict[str, Any] = {"model": model, "messages": messages}
        # OpenAI itself wants max_completion_tokens (max_tokens is refused by reasoning
        # models); compatible servers know max_tokens, not always the newer name.
        if self._official:
            params["max_completion_tokens"] = request.max_output_tokens
        else:
            params["max_tokens"] = request.max_output_tokens
        if not model.startswith(_REASONING_PREFIXES):
            params["temperature"] = request.temperature
        if request.schema is not None:
            response_format: ResponseFormat = {
                "type": "json_schema",
                "json_schema": {
                    "name": request.schema_name,
                    "schema": dict(request.schema),
                    "strict": True,
                },
            }
            params["response_format"] = response_format
        return params

    async def _single(self, request: LLMRequest, model: str) -> tuple[str, _Tokens]:
        completion = await self._client.chat.completions.create(**self._params(request, model))
        if not completion.choices:
            raise ProviderError(f"{self.name} answered no choices", retryable=True)
        message = completion.choices[0].message
        if message.refusal:
            raise _refused(self.name, message.refusal, self._key)
        usage = completion.usage
        tokens = None if usage is None else (usage.prompt_tokens, usage.completion_tokens)
        return message.content or "", tokens

    async def _streamed(self, request: LLMRequest, model: str) -> tuple[str, _Tokens]:
        stream = await self._client.chat.completions.create(
            **self._params(request, model), stream=True, stream_options={"include_usage": True}
        )
        parts: list[str] = []
        refusal: list[str] = []
        tokens: tuple[int, int] | None = None
        async with stream:
            async for chunk in stream:
                if chunk.choices:
                    delta = chunk.choices[0].delta
                    if delta.content:
                        parts.append(delta.content)
                    if delta.refusal:
                        refusal.append(delta.refusal)
                if chunk.usage is not None:
                    tokens = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        if refusal:
            raise _refused(self.name, "".join(refusal), self._key)
        return "".join(parts), tokens

    def _error(self, err: openai.APIError) -> ProviderError:
        return self._sdk_error(err, openai)


def _refused(provider: str, refusal: str, key: str | None) -> InvalidOutput:
    return InvalidOutput(f"{provider}: the model refused: {redact(refusal, key)}")
