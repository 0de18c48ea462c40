"""What a call costs: USD per million input and output tokens, per model.

The table holds list prices as published by the vendors (standard tier, no batch or cached-input
discounts) when this file was last edited; prices change, so a workspace can override any entry
(or price a self-hosted model) with its own. A model nobody priced costs ``None``: unknown, not
free.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from brandloom.providers.llm.base import LLMRequest, Usage


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens."""

    input_per_mtok: float
    output_per_mtok: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return round(
            (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1_000_000,
            8,
        )


PriceTable = Mapping[str, Price]
# What a workspace may give a provider: one price for every model it serves (a Price, or
# {"input_per_mtok": ..., "output_per_mtok": ...} as stored), or prices per model.
PriceOverride = Price | Mapping[str, Any]
ANY_MODEL = "*"

# As published by the vendors; override per workspace. Keys are model families: a dated
# snapshot (gpt-4o-mini-2024-07-18, claude-sonnet-4-20250514) or an alias (claude-sonnet-4-0,
# claude-3-5-haiku-latest) is priced as its family.
PRICES: dict[str, Price] = {
    # OpenAI
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-5": Price(1.25, 10.00),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-5-nano": Price(0.05, 0.40),
    "o3": Price(2.00, 8.00),
    "o3-mini": Price(1.10, 4.40),
    "o4-mini": Price(1.10, 4.40),
    # Anthropic
    "claude-opus-4": Price(15.00, 75.00),
    "claude-opus-4-1": Price(15.00, 75.00),
    "claude-sonnet-4": Price(3.00, 15.00),
    "claude-sonnet-4-5": Price(3.00, 15.00),
    "claude-3-7-sonnet": Price(3.00, 15.00),
    "claude-3-5-sonnet": Price(3.00, 15.00),
    "claude-haiku-4-5": Price(1.00, 5.00),
    "claude-3-5-haiku": Price(0.80, 4.00),
    "claude-3-haiku": Price(0.25, 1.25),
}

# A snapshot date (-2024-07-18, -20250514) or an alias tail (-latest, -0) after the family.
_SUFFIX = re.compile(r"(?:-\d{4}-\d{2}-\d{2}|-\d{8}|-latest|-0)$")


def family(model: str) -> str:
    """The family a model id is priced as: ``gpt-4o-mini-2024-07-18`` -> ``gpt-4o-mini``."""
    name = model.strip().lower()
    while True:
        shorter = _SUFFIX.sub("", name)
        if shorter == name:
            return name
        name = shorter


def price_table(prices: PriceOverride | None) -> dict[str, Price] | None:
    """An override as a table: one price for all models is filed under ``"*"``; a model's
    price may be a Price, ``{"input_per_mtok", "output_per_mtok"}`` or an (input, output)
    pair."""
    if prices is None:
        return None
    if isinstance(prices, Price) or "input_per_mtok" in prices or "output_per_mtok" in prices:
        return {ANY_MODEL: _as_price(prices)}
    return {model: _as_price(value) for model, value in prices.items()}


def _as_price(value: Any) -> Price:
    if isinstance(value, Price):
        return value
    if isinstance(value, Mapping):
        # A half-given price counts the missing side as free rather than failing every call.
        return Price(
            float(value.get("input_per_mtok", 0.0)), float(value.get("output_per_mtok", 0.0))
        )
    if isinstance(value, list | tuple) and len(value) == 2:
        return Price(float(value[0]), float(value[1]))
    raise ValueError(f"not a price: {value!r} (give input_per_mtok and output_per_mtok)")


def price_of(model: str, override: PriceTable | None = None) -> Price | None:
    """The model's price: the override first (exact id, family, then its price for any model),
    then the vendors' table."""
    fam = family(model)
    if override:
        found = override.get(model) or override.get(fam) or override.get(ANY_MODEL)
        if found is not None:
            return found
    return PRICES.get(model) or PRICES.get(fam)


def cost(
    model: str, input_tokens: int, output_tokens: int, override: PriceTable | None = None
) -> float | None:
    """USD for one call, or None when the model's price is unknown (a local model that nobody
    priced is unknown, not free)."""
    price = price_of(model, override)
    return None if price is None else price.cost(input_tokens, output_tokens)


def estimate_input_tokens(request: LLMRequest) -> int:
    """Input tokens, roughly (four characters a token, the usual rule for English): for a
    budget check before a call, and for servers that report no usage."""
    chars = len(request.system) + sum(len(m.content) for m in request.messages)
    if request.schema is not None:
        chars += len(orjson.dumps(request.schema))
    return max(1, chars // 4)


def estimate(request: LLMRequest, override: PriceTable | None = None) -> Usage:
    """The most a call can cost before it is sent: its input (estimated) and all of
    ``max_output_tokens``, at the request model's price (cost None when unknown)."""
    input_tokens = estimate_input_tokens(request)
    output_tokens = request.max_output_tokens
    price = cost(request.model, input_tokens, output_tokens, override)
    return Usage(1, input_tokens, output_tokens, price)
