"""What the SDK-backed providers share: their settings, the key kept out of every message,
closing the client, and turning the SDK's errors into ours.

Both official SDKs (``openai``, ``anthropic``) are generated from the same toolkit and raise
the same error classes under the same names (``APITimeoutError``, ``APIConnectionError``,
``APIStatusError``), so one mapping serves both.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from brandloom.providers.llm import pricing
from brandloom.providers.llm.base import (
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    error_for_status,
    redact,
)

PLACEHOLDER_KEY = "no-key"  # sent to a local server that needs no key (the SDKs want one)


class HostedProvider:
    """The settings of a provider reached through an SDK client (``_client``)."""

    _client: Any

    def __init__(
        self,
        *,
        name: str,
        api_key: str | None,
        base_url: str | None,
        default_base_url: str,
        default_model: str,
        timeout: float,
        stream: bool,
        prices: pricing.PriceOverride | None,
        missing_key: str,
    ) -> None:
        if not api_key and not base_url:
            raise ProviderUnavailable(missing_key)
        self.name = name
        self.default_model = default_model
        self.base_url = (base_url or default_base_url).rstrip("/")
        self.timeout = timeout
        self.stream = stream
        self.prices = pricing.price_table(prices)
        self._key = api_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self._client.close()

    def _sdk_error(self, err: Exception, sdk: ModuleType) -> ProviderError:
        """``err``, raised by ``sdk``, as our error (the key redacted from its message)."""
        message = redact(str(getattr(err, "message", err)), self._key)
        if isinstance(err, sdk.APITimeoutError):
            return ProviderTimeout(f"{self.name} timed out after {self.timeout:g} s")
        if isinstance(err, sdk.APIConnectionError):
            return ProviderUnavailable(
                f"{self.name} unreachable at {self.base_url}: {message}", retryable=True
            )
        if isinstance(err, sdk.APIStatusError):
            return error_for_status(self.name, err.status_code, message, err.response.headers)
        # An error event inside a stream: the server failed mid-answer.
        return ProviderError(f"{self.name} failed: {message}", retryable=True)
