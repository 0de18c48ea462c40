"""The engagement model: the shipped artifact's behaviour, per-workspace calibration, the
training path on planted data, and serialization."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brandloom.analysis import artifacts
from brandloom.prediction.model import (
    MIN_ARM_IMPRESSIONS,
    MIN_EXPERIMENTS,
    NAME,
    Arm,
    EngagementModel,
    ExperimentResult,
    Prediction,
)

# Upworthy-style headlines (a specific person, a curiosity gap, an emotional payoff) against
# flat descriptions of the same story, all in title case so capitalization does not decide.
STYLE_PAIRS = [
    ("You Won't Believe What This Teacher Said To Her Students", "Teacher Speaks To Students"),
    ("Watch What Happens When A Little Girl Meets Her Hero", "Girl Meets Hero"),
    (
        "What This Nurse Saw Changed How She Thinks About Health Care",
        "Nurse Has View On Health Care",
    ),
    (
        "Here's Why Millions Of People Are Sharing This Photo Of Their Grandmother",
        "Photo Of Grandmother",
    ),
]

HEADLINES = [
    "This Dad Has A Message For His Daughter. It Made Me Cry.",
    "A Message From A Dad",
    "9 Charts That Explain The Wage Gap",
    "Why Are So Many Kids Going Hungry In The Richest Country On Earth?",
    "Scientists explain climate change in two minutes",
    "",
    "ok",
]


@pytest.fixture(scope="module")
def model() -> EngagementModel:
    return EngagementModel.load()


# ---------------------------------------------------------------- the shipped model


def test_shipped_model_loads_once_and_scores(model: EngagementModel) -> None:
    assert EngagementModel.load() is model
    predictions = model.predict(HEADLINES)
    assert len(predictions) == len(HEADLINES)
    for prediction in predictions:
        assert isinstance(prediction, Prediction)
        assert math.isfinite(prediction.score)
        assert prediction.uncertainty > 0
        # Lifts of CTR in log-odds: a headline is not predicted to double or halve clicks.
        assert abs(prediction.score) < 1.0
    assert model.basis == "global prior"
    assert model.meta_["figures"]["accuracy"]["significant pairs"]["accuracy"] > 0.6


def test_predictions_are_deterministic_and_independent_of_batchmates(
    model: EngagementModel,
) -> None:
    together = model.predict(HEADLINES)
    again = model.predict(HEADLINES)
    alone = [model.predict([text])[0] for text in HEADLINES]
    assert together == again
    for a, b in zip(together, alone, strict=True):
        assert a.score == pytest.approx(b.score, abs=1e-12)
        assert a.uncertainty == pytest.approx(b.uncertainty, abs=1e-12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=120), st.text(max_size=120))
def test_win_probability_is_a_symmetric_probability(a: str, b: str) -> None:
    model = EngagementModel.load()
    forward = model.win_probability(a, b)
    backward = model.win_probability(b, a)
    assert 0.0 < forward < 1.0
    assert forward + backward == pytest.approx(1.0, abs=1e-12)
    assert model.win_probability(a, a) == 0.5


def test_rank_orders_by_mean_win_probability(model: EngagementModel) -> None:
    ranked = model.rank(HEADLINES)
    assert sorted(index for index, _ in ranked) == list(range(len(HEADLINES)))
    probabilities = [p for _, p in ranked]
    assert probabilities == sorted(probabilities, reverse=True)
    matrix = model.win_matrix(HEADLINES)
    assert np.allclose(matrix + matrix.T, 1.0)
    best, p_best = ranked[0]
    others = [j for j in range(len(HEADLINES)) if j != best]
    assert p_best == pytest.approx(float(np.mean(matrix[best, others])))
    scores = model.scores(HEADLINES)
    assert best == int(np.argmax(scores))
    assert model.rank([]) == []
    assert model.rank(["alone"]) == [(0, 0.5)]


@pytest.mark.parametrize(("better", "flat"), STYLE_PAIRS)
def test_learned_style_preference_holds_in_every_bootstrap_refit(
    model: EngagementModel, better: str, flat: str
) -> None:
    # Not a wish: on Upworthy's within-test contrasts the specific, curiosity-gap headline
    # beat its flat sibling, and every bootstrap refit of the shipped model agrees.
    raw = model.raw_scores([better, flat])
    assert raw.shape[1] == 1 + model.n_bootstrap
    assert np.all(raw[0] > raw[1])
    assert model.win_probability(better, flat) > 0.6


# ---------------------------------------------------------------- per-workspace calibration


def _experiments(model: EngagementModel, n: int, *, agree: bool) -> list[ExperimentResult]:
    """``n`` two-arm experiments whose winner is the arm the model prefers (or the other)."""
    out = []
    for i in range(n):
        a = f"Story number {i} about the town library and what happened next"
        b = f"Why {i} Neighbours Could Not Stop Talking About The Town Library"
        first_better = model.scores([a, b])[0] > model.scores([a, b])[1]
        a_wins = first_better == agree
        out.append(
            ExperimentResult(
                (
                    Arm(a, 2_000, 60 if a_wins else 40),
                    Arm(b, 2_000, 40 if a_wins else 60),
                )
            )
        )
    return out


def test_below_the_threshold_the_global_prior_is_kept(model: EngagementModel) -> None:
    experiments = _experiments(model, MIN_EXPERIMENTS - 1, agree=True)
    assert model.with_results(experiments) is model
    # Experiments that do not qualify do not count towards the threshold.
    thin = [
        ExperimentResult((Arm("a b c", MIN_ARM_IMPRESSIONS - 1, 30), Arm("d e f", 5_000, 90))),
        ExperimentResult((Arm("same text", 5_000, 90), Arm("same text", 5_000, 80))),
        ExperimentResult((Arm("g h i", 5_000, 90), Arm("j k l", 5_000, 80)), completed=False),
    ]
    adjusted = model.with_results(experiments + thin)
    assert adjusted is model
    assert adjusted.basis == "global prior"


def test_enough_results_recalibrate_the_win_probabilities(model: EngagementModel) -> None:
    a, b = STYLE_PAIRS[0]
    p_global = model.win_probability(a, b)

    agreeing = model.with_results(_experiments(model, MIN_EXPERIMENTS, agree=True))
    assert agreeing is not model
    assert agreeing.basis == f"calibrated on {MIN_EXPERIMENTS} results"
    assert agreeing.win_probability(a, b) > p_global  # its winners trust the model more

    contradicting = model.with_results(_experiments(model, MIN_EXPERIMENTS + 5, agree=False))
    assert contradicting.basis == f"calibrated on {MIN_EXPERIMENTS + 5} results"
    p_contradicted = contradicting.win_probability(a, b)
    assert 0.5 <= p_contradicted < p_global  # never reversed, only less trusted

    # Scores are the global model's; the global model itself is untouched.
    assert agreeing.predict([a]) == model.predict([a])
    assert model.win_probability(a, b) == p_global
    assert model.basis == "global prior"
    # A later, shorter history falls back to the global prior.
    assert agreeing.with_results([]).basis == "global prior"
    assert agreeing.with_results([]).win_probability(a, b) == pytest.approx(p_global)


# ---------------------------------------------------------------- serialization


def test_artifact_round_trip(model: EngagementModel) -> None:
    calibrated = model.with_results(_experiments(model, MIN_EXPERIMENTS, agree=True))
    for original in (model, calibrated):
        data = original.to_artifact().to_bytes()
        restored = EngagementModel.from_artifact(
            artifacts.Artifact.from_bytes(data, expected_name=NAME)
        )
        assert restored.predict(HEADLINES) == original.predict(HEADLINES)
        assert restored.basis == original.basis
        a, b = STYLE_PAIRS[1]
        assert restored.win_probability(a, b) == original.win_probability(a, b)


def test_an_artifact_from_another_encoder_is_refused(model: EngagementModel) -> None:
    artifact = model.to_artifact()
    meta = dict(artifact.meta)
    meta["encoder"] = {**meta["encoder"], "onnx_sha256": "0" * 64}
    forged = artifacts.Artifact(name=artifact.name, meta=meta, arrays=artifact.arrays)
    with pytest.raises(artifacts.ArtifactError, match="another emotion encoder"):
        EngagementModel.from_artifact(forged)


# ---------------------------------------------------------------- training path


def _planted(seed: int = 7) -> tuple[list[str], list[str], list[int], list[int]]:
    """Tests of three headlines each. "unbelievable" lifts a headline's CTR by 0.4 in
    log-odds within its test; tests about kittens have three times the CTR of tests about
    puppies, a level every headline of the test shares (no within-test contrast)."""
    rng = np.random.default_rng(seed)
    filler = ["story", "day", "town", "people", "news", "family", "school", "friend", "river"]
    texts: list[str] = []
    groups: list[str] = []
    impressions: list[int] = []
    clicks: list[int] = []
    for t in range(160):
        topic = "kittens" if t % 2 else "puppies"
        base = math.log(0.03 / 0.97) + (math.log(3) if topic == "kittens" else 0.0)
        for k in range(3):
            words = " ".join(rng.choice(filler, size=4, replace=False))
            planted = k == 0 or (k == 1 and t % 3 == 0)
            text = f"{topic} {words}" + (" unbelievable" if planted else "")
            rate = 1 / (1 + math.exp(-(base + (0.4 if planted else 0.0))))
            texts.append(text)
            groups.append(f"test-{t}")
            impressions.append(5_000)
            clicks.append(int(rng.binomial(5_000, rate)))
    return texts, groups, impressions, clicks


def test_fit_learns_within_test_contrasts_not_test_levels() -> None:
    texts, groups, impressions, clicks = _planted()
    model = EngagementModel(alpha=1.0, use_encoder=False, n_bootstrap=4).fit(
        texts, groups, impressions, clicks
    )
    lift = model.scores(["news day town unbelievable"])[0] - model.scores(["news day town"])[0]
    topic = model.scores(["kittens news day town"])[0] - model.scores(["puppies news day town"])[0]
    assert lift > 0.2  # the planted within-test effect is found
    assert abs(topic) < 0.05  # the across-test CTR level (log 3 ~ 1.1) is not
    assert model.win_probability("river story unbelievable", "river story") > 0.55
    assert model.temperature_ > 0
    assert all(p.uncertainty > 0 for p in model.predict(texts[:5]))
    assert model.meta_["training"]["tests"] == 160

    again = EngagementModel(alpha=1.0, use_encoder=False, n_bootstrap=4).fit(
        texts, groups, impressions, clicks
    )
    assert again.predict(texts[:10]) == model.predict(texts[:10])  # seeded: reproducible
    restored = EngagementModel.from_artifact(
        artifacts.Artifact.from_bytes(model.to_artifact("engagement.test.v1").to_bytes())
    )
    assert restored.predict(texts[:10]) == model.predict(texts[:10])


def test_fit_skips_tests_without_a_text_contrast() -> None:
    with pytest.raises(ValueError, match="two distinct texts"):
        EngagementModel(use_encoder=False).fit(
            ["same", "same", "other"], ["t1", "t1", "t2"], [100, 100, 100], [5, 6, 7]
        )
