"""The analysis against closed forms, a million-draw Monte Carlo, and simulated peeking."""

from __future__ import annotations

import math

import numpy as np
import pytest

from brandloom.errors import ValidationFailed
from brandloom.prediction.experiments import (
    KEEP_RUNNING,
    Arm,
    ExperimentInputError,
    always_valid_p_value,
    analyze,
    beta_quantile,
    compare_posteriors,
    sample_size,
)


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _p_b_beats_a(a_a: int, b_a: int, a_b: int, b_b: int) -> float:
    """P(p_B > p_A) for Beta posteriors with integer ``a_b`` (Evan Miller's closed form)."""
    return math.fsum(
        math.exp(
            _log_beta(a_a + i, b_b + b_a)
            - math.log(b_b + i)
            - _log_beta(1 + i, b_b)
            - _log_beta(a_a, b_a)
        )
        for i in range(a_b)
    )


def _loss_of_choosing_b(a_a: int, b_a: int, a_b: int, b_b: int) -> float:
    """E[(p_A - p_B)+], exactly: E[p_A 1{p_A > p_B}] = E[p_A] P(Beta(a_A + 1, b_A) > p_B)."""
    mean_a, mean_b = a_a / (a_a + b_a), a_b / (a_b + b_b)
    return mean_a * _p_b_beats_a(a_b, b_b, a_a + 1, b_a) - mean_b * _p_b_beats_a(
        a_b + 1, b_b, a_a, b_a
    )


POSTERIOR_PAIRS = [
    (2, 3, 4, 2),
    (1, 1, 1, 1),
    (11, 91, 15, 87),
    (1, 1001, 3, 999),
    (101, 9901, 121, 9881),
    (201, 19801, 230, 19772),
    (1001, 99001, 1101, 98901),
]


@pytest.mark.parametrize(("a_a", "b_a", "a_b", "b_b"), POSTERIOR_PAIRS)
def test_probability_to_be_best_matches_the_closed_form(
    a_a: int, b_a: int, a_b: int, b_b: int
) -> None:
    prob_best, _ = compare_posteriors([a_a, a_b], [b_a, b_b])
    exact = _p_b_beats_a(a_a, b_a, a_b, b_b)
    assert prob_best[1] == pytest.approx(exact, abs=1e-6)
    assert sum(prob_best) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(("a_a", "b_a", "a_b", "b_b"), POSTERIOR_PAIRS)
def test_expected_loss_matches_the_closed_form(a_a: int, b_a: int, a_b: int, b_b: int) -> None:
    _, loss = compare_posteriors([a_a, a_b], [b_a, b_b])
    assert loss[1] == pytest.approx(_loss_of_choosing_b(a_a, b_a, a_b, b_b), rel=1e-5, abs=1e-10)
    assert loss[0] == pytest.approx(_loss_of_choosing_b(a_b, b_b, a_a, b_a), rel=1e-5, abs=1e-10)


def test_far_apart_arms_lose_the_difference_of_their_means() -> None:
    # Their posteriors do not overlap: choosing the worse one loses E[p_B] - E[p_A] for sure.
    prob_best, loss = compare_posteriors([2, 500, 3], [1000, 600, 1000])
    assert prob_best == pytest.approx([0.0, 1.0, 0.0], abs=1e-12)
    assert loss[0] == pytest.approx(500 / 1100 - 2 / 1002, rel=1e-4)
    assert loss[2] == pytest.approx(500 / 1100 - 3 / 1003, rel=1e-4)
    assert loss[1] < 1e-12


def test_identical_arms_share_the_probability_to_be_best() -> None:
    prob_best, loss = compare_posteriors([31.0] * 4, [970.0] * 4)
    assert prob_best == pytest.approx([0.25] * 4, abs=1e-9)
    assert loss == pytest.approx([loss[0]] * 4, rel=1e-9)


@pytest.mark.parametrize(
    "counts",
    [
        [(1000, 20), (1000, 25), (1000, 31)],
        [(400, 12), (900, 30), (2500, 70), (150, 6)],
        [(5000, 50), (5000, 52), (20, 0), (5000, 61)],
    ],
)
def test_three_and_four_arms_match_a_million_draw_monte_carlo(
    counts: list[tuple[int, int]],
) -> None:
    alphas = [1.0 + c for _, c in counts]
    betas = [1.0 + n - c for n, c in counts]
    prob_best, loss = compare_posteriors(alphas, betas)

    rng = np.random.default_rng(20240611)
    draws = rng.beta(alphas, betas, size=(1_000_000, len(counts)))
    mc_best = np.bincount(draws.argmax(axis=1), minlength=len(counts)) / len(draws)
    mc_loss = (draws.max(axis=1)[:, None] - draws).mean(axis=0)

    assert prob_best == pytest.approx(mc_best.tolist(), abs=0.01)
    # Standard errors of the means are below 1e-5 here: 2e-4 is a wide margin, and the
    # losses differ between arms by far more than that.
    assert loss == pytest.approx(mc_loss.tolist(), abs=2e-4)


@pytest.mark.parametrize(("a", "b"), [(0.5, 0.5), (3.0, 7.0), (21.0, 981.0), (10_001.0, 990_001.0)])
def test_credible_interval_is_the_exact_beta_quantiles(a: float, b: float) -> None:
    stats = pytest.importorskip("scipy.stats")
    for q in (1e-6, 0.025, 0.5, 0.975, 1 - 1e-6):
        assert beta_quantile(a, b, q) == pytest.approx(stats.beta.ppf(q, a, b), rel=1e-9)


@pytest.mark.parametrize("q", [0.001, 0.025, 0.5, 0.975, 0.999])
def test_quantiles_of_one_sided_betas_are_closed_forms(q: float) -> None:
    # Beta(a, 1) has CDF x^a; Beta(1, b) has CDF 1 - (1 - x)^b.
    assert beta_quantile(7.0, 1.0, q) == pytest.approx(q ** (1 / 7), rel=1e-12)
    assert beta_quantile(1.0, 501.0, q) == pytest.approx(1 - (1 - q) ** (1 / 501), rel=1e-10)


def test_analysis_reports_posterior_means_and_intervals() -> None:
    result = analyze([Arm("A", 1000, 20), Arm("B", 1000, 30)], prior=(0.5, 0.5))
    a, b = result.variants
    assert a.posterior_mean == pytest.approx(20.5 / 1001)
    assert b.posterior_mean == pytest.approx(30.5 / 1001)
    assert a.ci_low == pytest.approx(beta_quantile(20.5, 980.5, 0.025))
    assert a.ci_high == pytest.approx(beta_quantile(20.5, 980.5, 0.975))
    assert a.ci_low < a.posterior_mean < a.ci_high
    assert b.prob_best == pytest.approx(1 - a.prob_best)
    assert b.prob_best > 0.9


def test_to_data_has_exactly_the_contract_keys() -> None:
    data = analyze([Arm("control", 500, 10), Arm("new", 500, 14)]).to_data()
    assert set(data) == {
        "variants",
        "decision",
        "reason",
        "enough_data",
        "prior",
        "thresholds",
        "sequential",
    }
    assert [set(v) for v in data["variants"]] == [
        {
            "variant",
            "impressions",
            "clicks",
            "ctr",
            "posterior_mean",
            "ci_low",
            "ci_high",
            "prob_best",
            "expected_loss",
        }
    ] * 2
    assert data["prior"] == [1.0, 1.0]
    assert data["thresholds"] == {
        "prob_best": 0.95,
        "loss": 0.01,
        "alpha": 0.05,
        "min_impressions": 100,
    }
    assert data["sequential"]["control"] == "control"
    assert [c["variant"] for c in data["sequential"]["comparisons"]] == ["new"]


def test_a_clear_winner_is_declared() -> None:
    result = analyze([Arm("A", 1000, 20), Arm("B", 1000, 60)])
    assert result.decision == "B"
    assert result.winner == "B"
    assert result.enough_data
    assert "expected loss" in result.reason and "1.0%" in result.reason


def test_close_arms_keep_running() -> None:
    result = analyze([Arm("A", 10_000, 200), Arm("B", 10_000, 210)])
    assert result.decision == KEEP_RUNNING
    assert result.winner is None
    assert result.enough_data
    assert "below 95.0%" in result.reason


def test_the_relative_loss_threshold_can_hold_a_likely_winner_back() -> None:
    arms = [Arm("A", 5000, 100), Arm("B", 5000, 125)]
    loose = analyze(arms)
    assert loose.decision == "B"
    b = loose.variants[1]
    assert b.prob_best >= 0.95
    # B's expected loss is about 0.23 % of its CTR: under 1 %, over 0.1 %.
    assert 0.001 * b.posterior_mean < b.expected_loss < 0.01 * b.posterior_mean
    strict = analyze(arms, loss_threshold=0.001)
    assert strict.decision == KEEP_RUNNING
    assert "expected loss" in strict.reason and "0.1%" in strict.reason


def test_three_arms_can_name_a_winner_that_is_not_the_control() -> None:
    arms = [Arm("control", 4000, 80), Arm("b", 4000, 85), Arm("c", 4000, 160)]
    result = analyze(arms)
    assert result.decision == "c"
    assert result.variants[2].prob_best > 0.99
    rows = {row["variant"]: row for row in result.sequential["comparisons"]}
    assert result.sequential["alpha_per_comparison"] == pytest.approx(0.025)
    assert rows["c"]["significant"] and not rows["b"]["significant"]


def test_not_enough_data_keeps_running_whatever_the_posteriors_say() -> None:
    result = analyze([Arm("A", 1000, 10), Arm("B", 60, 20)])
    assert result.variants[1].prob_best > 0.999
    assert result.decision == KEEP_RUNNING
    assert not result.enough_data
    assert result.reason.startswith("Not enough data yet")
    assert "'B' (60)" in result.reason


def test_an_arm_without_impressions_has_no_ctr_yet() -> None:
    result = analyze([Arm("A", 0, 0), Arm("B", 0, 0)])
    assert result.variants[0].ctr is None
    assert result.variants[0].prob_best == pytest.approx(0.5)
    assert result.sequential["comparisons"][0]["p_value"] == 1.0
    assert not result.enough_data


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"name": "hero", "impressions": -1, "clicks": 0}, "arm 'hero': impressions"),
        ({"name": "hero", "impressions": 10, "clicks": 11}, "arm 'hero': clicks (11) exceed"),
        (
            {"name": "hero", "impressions": 10, "clicks": 5, "conversions": 6},
            "arm 'hero': conversions (6) exceed clicks",
        ),
        ({"name": "hero", "impressions": 10, "clicks": -2}, "arm 'hero': clicks must not be"),
        ({"name": "hero", "impressions": 10.5, "clicks": 1}, "arm 'hero': impressions must be"),
        ({"name": "", "impressions": 1, "clicks": 0}, "non-empty string"),
    ],
)
def test_invalid_arms_name_the_arm_and_field(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(ExperimentInputError) as caught:
        Arm(**kwargs)  # type: ignore[arg-type]
    assert needle in str(caught.value)
    assert isinstance(caught.value, ValidationFailed)
    assert caught.value.code == "experiment.invalid_input"


def test_numpy_counts_are_accepted_as_whole_numbers() -> None:
    arm = Arm("A", np.int64(100), np.int32(3))  # type: ignore[arg-type]
    assert arm.impressions == 100 and type(arm.impressions) is int


def test_analysis_rejects_bad_experiments() -> None:
    with pytest.raises(ExperimentInputError, match="at least 2 arms"):
        analyze([Arm("A", 10, 1)])
    with pytest.raises(ExperimentInputError, match="appears twice"):
        analyze([Arm("A", 10, 1), Arm("A", 10, 2)])
    with pytest.raises(ExperimentInputError, match="prior"):
        analyze([Arm("A", 10, 1), Arm("B", 10, 2)], prior=(0.0, 1.0))
    with pytest.raises(ExperimentInputError, match="prob_best_threshold"):
        analyze([Arm("A", 10, 1), Arm("B", 10, 2)], prob_best_threshold=1.0)


# --- always-valid p-values under continuous monitoring -------------------------------------


def _peeked_counts(
    rng: np.random.Generator, *, runs: int, peeks: int, step: int, rates: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative clicks of both arms at every peek (``step`` impressions per arm between)."""
    clicks = np.stack(
        [rng.binomial(step, rate, size=(runs, peeks)) for rate in rates], axis=-1
    ).cumsum(axis=1)
    impressions = np.arange(1, peeks + 1) * step
    return impressions, clicks


def test_always_valid_p_values_keep_the_type_one_error_under_continuous_peeking() -> None:
    alpha = 0.05
    rng = np.random.default_rng(42)
    # 400 A/A tests at 5 % CTR, looked at after every 100 impressions per arm, 100 times.
    n, clicks = _peeked_counts(rng, runs=400, peeks=100, step=100, rates=(0.05, 0.05))
    p = always_valid_p_value(n[None, :], clicks[..., 0], n[None, :], clicks[..., 1])
    msprt_false_alarms = float((p.min(axis=1) <= alpha).mean())

    rate_a, rate_b = clicks[..., 0] / n, clicks[..., 1] / n
    pooled = (rate_a + rate_b) / 2
    z = (rate_b - rate_a) / np.sqrt(pooled * (1 - pooled) * 2 / n)
    naive_false_alarms = float((np.abs(z) > 1.959964).any(axis=1).mean())

    assert msprt_false_alarms <= alpha
    # Peeking a fixed-sample z-test 100 times stops a null test far more often than 5 %.
    assert naive_false_alarms > 3 * alpha


def test_always_valid_p_values_detect_a_real_lift() -> None:
    rng = np.random.default_rng(7)
    n, clicks = _peeked_counts(rng, runs=200, peeks=100, step=100, rates=(0.05, 0.07))
    p = always_valid_p_value(n[None, :], clicks[..., 0], n[None, :], clicks[..., 1])
    assert float((p.min(axis=1) <= 0.05).mean()) > 0.9


def test_the_mixture_likelihood_ratio_has_its_closed_form() -> None:
    n_c, x_c, n_v, x_v, tau_rel = 4000, 100, 4000, 140, 0.2
    pooled = (x_c + x_v) / (n_c + n_v)
    v = pooled * (1 - pooled) * (1 / n_c + 1 / n_v)
    tau2 = (tau_rel * pooled) ** 2
    d = x_v / n_v - x_c / n_c
    lr = math.sqrt(v / (v + tau2)) * math.exp(tau2 * d * d / (2 * v * (v + tau2)))
    p = always_valid_p_value(n_c, x_c, n_v, x_v, mixing_sd=tau_rel)
    assert float(p) == pytest.approx(min(1.0, 1 / lr), rel=1e-12)


def test_analysis_keeps_the_running_minimum_of_p_values() -> None:
    arms = [Arm("A", 3000, 60), Arm("B", 3000, 95)]
    fresh = analyze(arms).sequential["comparisons"][0]["p_value"]
    assert fresh == pytest.approx(float(always_valid_p_value(3000, 60, 3000, 95)))
    earlier = analyze(arms, previous_p_values={"B": fresh / 10}).sequential
    assert earlier["comparisons"][0]["p_value"] == pytest.approx(fresh / 10)
    later = analyze(arms, previous_p_values={"B": 0.9}).sequential
    assert later["comparisons"][0]["p_value"] == pytest.approx(fresh)


# --- sample size ----------------------------------------------------------------------------


def test_sample_size_matches_r_power_prop_test() -> None:
    # R: power.prop.test(p1 = .50, p2 = .75, power = .90)  =>  n = 76.7 per group.
    assert sample_size(0.5, 0.5, power=0.9) == 77


def test_sample_size_closed_form_and_bonferroni() -> None:
    # The textbook formula at 2 % baseline, +10 % relative, alpha 5 %, power 80 %.
    p1, p2 = 0.02, 0.022
    pbar = (p1 + p2) / 2
    z_a, z_b = 1.959963984540054, 0.8416212335729143
    n = z_a * math.sqrt(2 * pbar * (1 - pbar)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    expected = math.ceil(n**2 / (p2 - p1) ** 2)
    assert sample_size(0.02, 0.10) == expected
    # Three arms: two comparisons with the control, each at alpha / 2.
    assert sample_size(0.02, 0.10, arms=3) == sample_size(0.02, 0.10, alpha=0.025)
    assert sample_size(0.02, 0.10, arms=3) > expected


def test_sample_size_rejects_impossible_inputs() -> None:
    with pytest.raises(ExperimentInputError, match="relative_mde"):
        sample_size(0.6, 1.0)
    with pytest.raises(ExperimentInputError, match="baseline_ctr"):
        sample_size(0.0, 0.1)
    with pytest.raises(ExperimentInputError, match="arms"):
        sample_size(0.1, 0.1, arms=1)
