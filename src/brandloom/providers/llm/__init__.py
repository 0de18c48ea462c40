"""LLM providers: one :class:`Provider` protocol, SDK-backed implementations (OpenAI and
compatible servers, Anthropic), and the reliability wrapper the product calls them through
(:class:`ProviderChain`: retries, circuit breaking, fallbacks, caching, budgets).

The SDK-backed providers are imported on first use: the ``anthropic`` and ``openai`` packages
take about a second to import, which a process that never calls an LLM should not pay.
The scripted test server lives in ``brandloom.providers.llm.fake_server``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from brandloom.providers.llm.base import (
    ZERO_USAGE,
    BudgetExceeded,
    InvalidOutput,
    LLMRequest,
    LLMResponse,
    Message,
    Provider,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    Usage,
    messages,
    user,
)
from brandloom.providers.llm.pricing import (
    PRICES,
    Price,
    PriceOverride,
    PriceTable,
    cost,
    price_of,
    price_table,
)
from brandloom.providers.llm.reliability import (
    Budget,
    ChainEntry,
    CircuitBreaker,
    CircuitBreakers,
    DirectoryResponseCache,
    MemoryResponseCache,
    ProviderChain,
    ResponseCache,
    RetryPolicy,
)

if TYPE_CHECKING:
    from brandloom.providers.llm.anthropic import AnthropicProvider
    from brandloom.providers.llm.openai_compat import OpenAIProvider

_LAZY = {
    "OpenAIProvider": "brandloom.providers.llm.openai_compat",
    "AnthropicProvider": "brandloom.providers.llm.anthropic",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "PRICES",
    "ZERO_USAGE",
    "AnthropicProvider",
    "Budget",
    "BudgetExceeded",
    "ChainEntry",
    "CircuitBreaker",
    "CircuitBreakers",
    "DirectoryResponseCache",
    "InvalidOutput",
    "LLMRequest",
    "LLMResponse",
    "MemoryResponseCache",
    "Message",
    "OpenAIProvider",
    "Price",
    "PriceOverride",
    "PriceTable",
    "Provider",
    "ProviderChain",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "ResponseCache",
    "RetryPolicy",
    "Usage",
    "cost",
    "messages",
    "price_of",
    "price_table",
    "user",
]
