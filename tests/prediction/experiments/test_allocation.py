"""Traffic allocation (Thompson, Bayes-UCB, warm starts, floors) and deterministic assignment."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.prediction.experiments import (
    Arm,
    ExperimentInputError,
    allocate,
    assign,
    beta_quantile,
    compare_posteriors,
    posterior_parameters,
)

ARMS = [Arm("A", 2000, 40), Arm("B", 2000, 52), Arm("C", 2000, 45)]


@st.composite
def experiments(draw: st.DrawFn) -> list[Arm]:
    k = draw(st.integers(min_value=1, max_value=6))
    arms = []
    for i in range(k):
        impressions = draw(st.integers(min_value=0, max_value=50_000))
        clicks = draw(st.integers(min_value=0, max_value=impressions))
        arms.append(Arm(f"arm{i}", impressions, clicks))
    return arms


@settings(max_examples=60, deadline=None)
@given(
    arms=experiments(),
    method=st.sampled_from(["thompson", "ucb"]),
    floor_share=st.floats(min_value=0.0, max_value=1.0),
)
def test_weights_sum_to_one_and_respect_the_floor(
    arms: list[Arm], method: str, floor_share: float
) -> None:
    floor = floor_share / len(arms)
    weights = allocate(arms, method=method, floor=floor)  # type: ignore[arg-type]
    assert list(weights) == [arm.name for arm in arms]
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-12)
    assert min(weights.values()) >= floor - 1e-12


def test_thompson_weights_are_the_probabilities_to_be_best_above_the_floor() -> None:
    weights = allocate(ARMS, floor=0.05)
    alphas, betas = posterior_parameters(ARMS)
    prob_best, _ = compare_posteriors(alphas, betas)
    assert list(weights.values()) == pytest.approx([0.05 + 0.85 * p for p in prob_best])
    assert max(weights, key=weights.__getitem__) == "B"


def test_sampled_thompson_agrees_with_the_exact_one_and_is_seeded() -> None:
    exact = allocate(ARMS, floor=0.0)
    sampled = allocate(ARMS, floor=0.0, draws=200_000, seed=3)
    assert list(sampled.values()) == pytest.approx(list(exact.values()), abs=0.01)
    assert allocate(ARMS, floor=0.0, draws=2000, seed=3) == allocate(
        ARMS, floor=0.0, draws=2000, seed=3
    )


def test_thompson_moves_traffic_to_the_better_arm_over_batches() -> None:
    rng = np.random.default_rng(11)
    rates = {"A": 0.02, "B": 0.04}
    counts = {name: [0, 0] for name in rates}
    share_b = []
    for _ in range(30):
        arms = [Arm(name, n, c) for name, (n, c) in counts.items()]
        weights = allocate(arms, floor=0.05)
        share_b.append(weights["B"])
        for name, n in zip(rates, rng.multinomial(500, list(weights.values())), strict=True):
            counts[name][0] += int(n)
            counts[name][1] += int(rng.binomial(n, rates[name]))
    assert share_b[0] == pytest.approx(0.5)
    assert np.mean(share_b[-10:]) > 0.9
    assert counts["B"][0] > 3 * counts["A"][0]


def test_ucb_sends_the_batch_to_the_highest_bayes_ucb_index() -> None:
    weights = allocate(ARMS, method="ucb", floor=0.05)
    alphas, betas = posterior_parameters(ARMS)
    level = 1 - 1 / (6000 + 1)
    index = [beta_quantile(a, b, level) for a, b in zip(alphas, betas, strict=True)]
    best = ["A", "B", "C"][int(np.argmax(index))]
    assert weights[best] == pytest.approx(0.9)
    assert sorted(weights.values()) == pytest.approx([0.05, 0.05, 0.9])


def test_ucb_explores_an_arm_it_knows_little_about() -> None:
    weights = allocate([Arm("known", 5000, 150), Arm("new", 20, 0)], method="ucb", floor=0.0)
    assert weights == {"known": 0.0, "new": 1.0}


def test_without_data_both_methods_split_evenly() -> None:
    arms = [Arm("A", 0, 0), Arm("B", 0, 0), Arm("C", 0, 0), Arm("D", 0, 0)]
    for method in ("thompson", "ucb"):
        weights = allocate(arms, method=method)
        assert list(weights.values()) == pytest.approx([0.25] * 4)


@pytest.mark.parametrize("method", ["thompson", "ucb"])
def test_a_warm_start_shifts_early_traffic_to_the_predicted_better_arm(method: str) -> None:
    arms = [Arm("A", 100, 2), Arm("B", 100, 2)]
    cold = allocate(arms, method=method)  # type: ignore[arg-type]
    warm = allocate(
        arms,
        method=method,  # type: ignore[arg-type]
        prior_means={"A": 0.015, "B": 0.03},
        prior_strength=500,
    )
    assert cold == pytest.approx({"A": 0.5, "B": 0.5})
    assert warm["B"] > 0.8


def test_data_outweighs_a_wrong_warm_start() -> None:
    # The predictor favoured A; 40,000 impressions say B is better.
    arms = [Arm("A", 20_000, 300), Arm("B", 20_000, 420)]
    weights = allocate(arms, prior_means={"A": 0.03, "B": 0.015}, prior_strength=500)
    assert weights["B"] > 0.9


def test_a_warm_start_is_a_beta_prior_of_pseudo_impressions() -> None:
    alphas, betas = posterior_parameters(
        [Arm("A", 10, 1), Arm("B", 0, 0)], prior_means={"A": 0.1, "B": 0.2}, prior_strength=100
    )
    assert alphas == pytest.approx([1 + 1 + 10, 1 + 20])
    assert betas == pytest.approx([1 + 9 + 90, 1 + 80])


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"floor": 0.4}, "floor must lie in [0, 1/3]"),
        ({"method": "greedy"}, "method must be"),
        ({"prior_means": {"A": 0.1, "B": 0.1}, "prior_strength": 10}, "arm 'C'"),
        ({"prior_means": {"A": 0.1, "B": 0.1, "C": 0.1, "Z": 0.1}, "prior_strength": 10}, "'Z'"),
        ({"prior_means": {"A": 0.1, "B": 1.5, "C": 0.1}, "prior_strength": 10}, "arm 'B'"),
        ({"prior_strength": -1.0}, "prior_strength"),
        ({"draws": -5}, "draws"),
    ],
)
def test_allocation_rejects_bad_settings(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(ExperimentInputError) as caught:
        allocate(ARMS, **kwargs)  # type: ignore[arg-type]
    assert needle in str(caught.value)


# --- deterministic assignment ---------------------------------------------------------------


def test_assignment_is_deterministic_and_ignores_the_mapping_order() -> None:
    weights = {"A": 0.2, "B": 0.5, "C": 0.3}
    reordered = {"C": 0.3, "A": 0.2, "B": 0.5}
    keys = [f"contact-{i}" for i in range(500)]
    first = [assign(key, "exp-1", weights) for key in keys]
    assert first == [assign(key, "exp-1", weights) for key in keys]
    assert first == [assign(key, "exp-1", reordered) for key in keys]
    # Another experiment shuffles contacts independently.
    other = [assign(key, "exp-2", weights) for key in keys]
    assert first != other


def test_assignment_shares_follow_the_weights() -> None:
    weights = {"A": 0.1, "B": 0.6, "C": 0.3, "D": 0.0}
    n = 40_000
    counts = Counter(assign(f"user{i}@example.com", "exp-7", weights) for i in range(n))
    assert counts["D"] == 0
    for name in ("A", "B", "C"):
        assert counts[name] / n == pytest.approx(weights[name], abs=0.01)


def test_weights_need_not_be_normalized() -> None:
    weights = {"A": 1.0, "B": 3.0}
    halves = {"A": 0.25, "B": 0.75}
    keys = [str(i) for i in range(300)]
    assert [assign(k, "e", weights) for k in keys] == [assign(k, "e", halves) for k in keys]


def test_raising_one_weight_moves_contacts_only_toward_it() -> None:
    before = {"A": 0.5, "B": 0.5}
    after = {"A": 0.3, "B": 0.7}
    keys = [str(i) for i in range(2000)]
    moved = [
        (assign(k, "e", before), assign(k, "e", after))
        for k in keys
        if assign(k, "e", before) != assign(k, "e", after)
    ]
    assert moved and all(change == ("A", "B") for change in moved)


def test_assignment_rejects_bad_weights() -> None:
    with pytest.raises(ExperimentInputError, match="at least one"):
        assign("k", "e", {})
    with pytest.raises(ExperimentInputError, match="arm 'B'"):
        assign("k", "e", {"A": 1.0, "B": -0.1})
    with pytest.raises(ExperimentInputError, match="positive"):
        assign("k", "e", {"A": 0.0, "B": 0.0})
