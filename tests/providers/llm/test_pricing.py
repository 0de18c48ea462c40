"""Prices per model family, dated snapshots, overrides, unknown models."""

from __future__ import annotations

import pytest

from brandloom.providers.llm import LLMRequest, Price, cost, messages, price_of
from brandloom.providers.llm.pricing import estimate, family


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("claude-sonnet-4-20250514", "claude-sonnet-4"),
        ("claude-sonnet-4-0", "claude-sonnet-4"),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
        ("claude-opus-4-1-20250805", "claude-opus-4-1"),
        ("GPT-4.1-nano", "gpt-4.1-nano"),
        ("o4-mini", "o4-mini"),
    ],
)
def test_family(model: str, expected: str) -> None:
    assert family(model) == expected
    assert price_of(model) is not None


def test_cost_of_a_known_model() -> None:
    assert cost("gpt-4o-mini-2024-07-18", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert cost("claude-opus-4", 1000, 1000) == pytest.approx(0.09)


def test_a_family_is_not_matched_by_prefix() -> None:
    # gpt-4o-mini-audio is another model, priced differently: unknown, not gpt-4o-mini.
    assert cost("gpt-4o-mini-audio-preview", 10, 10) is None


def test_unknown_and_local_models_cost_none_unless_overridden() -> None:
    assert cost("llama3.1:8b", 100, 100) is None
    override = {"llama3.1:8b": Price(0.0, 0.0), "gpt-4o": Price(1.0, 1.0)}
    assert cost("llama3.1:8b", 100, 100, override) == 0.0
    assert cost("gpt-4o-2024-08-06", 1_000_000, 0, override) == 1.0  # the override wins


def test_the_estimate_before_a_call() -> None:
    request = LLMRequest(
        model="gpt-4o", system="s" * 400, messages=messages("m" * 400), max_output_tokens=1000
    )
    usage = estimate(request)
    assert (usage.input_tokens, usage.output_tokens) == (200, 1000)
    assert usage.cost_usd == pytest.approx((200 * 2.5 + 1000 * 10) / 1e6)


def test_an_override_as_a_workspace_stores_it() -> None:
    from brandloom.providers.llm import price_table

    # One price for every model the provider serves (a self-hosted server, say).
    flat = price_table({"input_per_mtok": 0.5, "output_per_mtok": 1.5})
    assert cost("llama3.1:8b", 1_000_000, 1_000_000, flat) == 2.0
    assert cost("gpt-4o", 1_000_000, 0, flat) == 0.5  # the workspace's price wins
    assert price_table(Price(1, 2)) == {"*": Price(1, 2)}
    # Per model, in any of the accepted shapes.
    table = price_table({"a": Price(1, 1), "b": {"input_per_mtok": 2, "output_per_mtok": 3}})
    assert table == {"a": Price(1, 1), "b": Price(2, 3)}
    assert price_table({"c": [4, 5]}) == {"c": Price(4, 5)}
    assert cost("unlisted", 10, 10, table) is None
    with pytest.raises(ValueError, match="not a price"):
        price_table({"d": "cheap"})
