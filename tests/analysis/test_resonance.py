"""Resonance: emotion probabilities and motivator scores against a brief's targets."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.analysis.motivators import MOTIVATORS, motivators
from brandloom.analysis.resonance import EMOTIONS, TARGETS, UnknownTargetError, resonance
from brandloom.errors import BrandloomError

QUIET = {label: 0.01 for label in EMOTIONS}


def test_targets_are_the_emotion_labels_and_the_motivators() -> None:
    assert len(EMOTIONS) == 28
    assert frozenset(EMOTIONS) | frozenset(MOTIVATORS) == TARGETS
    assert len(TARGETS) == 28 + 10 - 1  # "curiosity" is both


def test_a_clear_emotion_scores_high_and_a_faint_one_low() -> None:
    emotions = {**QUIET, "excitement": 0.72, "joy": 0.25, "anger": 0.02}
    result = resonance(["excitement", "joy", "anger"], emotions=emotions, motivators={})
    assert result["targets"] == {"excitement": 1.0, "joy": 0.5, "anger": 0.04}
    assert result["score"] == pytest.approx((1.0 + 0.5 + 0.04) / 3, abs=1e-4)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Last chance: 30% off ends tonight!"),
        ("de", "Letzte Chance: 30 % Rabatt – nur noch heute!"),
        ("es", "Última oportunidad: 30 % de descuento, ¡termina esta noche!"),
        ("fr", "Dernière chance : -30 % jusqu'à minuit !"),
        ("it", "Ultima occasione: 30% di sconto, solo oggi!"),
        ("pt", "Última chance: 30% de desconto só hoje!"),
    ],
)
def test_motivator_targets_take_the_lexicon_scores(language: str, text: str) -> None:
    found = motivators(text, language)
    result = resonance(["urgency", "value", "trust"], emotions=QUIET, motivators=found)
    assert result["targets"] == {
        "urgency": found["urgency"]["score"],
        "value": found["value"]["score"],
        "trust": 0.0,
    }
    assert result["targets"]["urgency"] > 0.75 and result["targets"]["value"] > 0.5
    on_brief = resonance(["urgency", "value"], emotions=QUIET, motivators=found)["score"]
    off_brief = resonance(["belonging", "trust"], emotions=QUIET, motivators=found)["score"]
    assert on_brief > 0.6 > 0.0 == off_brief


def test_curiosity_combines_the_emotion_and_the_lexicon_as_a_noisy_or() -> None:
    found = motivators("Discover the secret behind our new collection.", "en")
    lexical = found["curiosity"]["score"]
    assert lexical > 0.5
    emotional = 0.2  # -> 0.4 after the 0.5 "clearly expressed" mapping
    result = resonance(["curiosity"], emotions={"curiosity": emotional}, motivators=found)
    assert result["targets"]["curiosity"] == pytest.approx(1 - (1 - 0.4) * (1 - lexical), abs=1e-4)
    # each alone
    assert resonance(["curiosity"], emotions={}, motivators=found)["score"] == lexical
    only_emotion = resonance(["curiosity"], emotions={"curiosity": 0.2}, motivators={})
    assert only_emotion["score"] == pytest.approx(0.4)


def test_target_names_are_read_leniently_and_counted_once() -> None:
    found = motivators("Don't miss out: almost sold out!", "en")
    result = resonance(
        ["Fear of missing out", "fear-of-missing-out", " JOY "],
        emotions={"joy": 0.5},
        motivators=found,
    )
    assert list(result["targets"]) == ["fear_of_missing_out", "joy"]
    assert result["targets"]["joy"] == 1.0


def test_an_unknown_target_is_a_422_naming_it_with_a_suggestion() -> None:
    with pytest.raises(UnknownTargetError) as raised:
        resonance(["urgency", "excitment"], emotions=QUIET, motivators={})
    error = raised.value
    assert isinstance(error, BrandloomError)
    assert error.code == "analysis.unknown_target" and error.status == 422
    assert "`excitment`" in error.message and "did you mean `excitement`?" in error.message
    assert error.details == {"target": "excitment", "suggestion": "excitement"}
    with pytest.raises(UnknownTargetError, match="`zzz`; targets are"):
        resonance(["zzz"], emotions=QUIET, motivators={})


def test_no_targets_and_odd_inputs() -> None:
    assert resonance([], emotions=QUIET, motivators={}) == {"score": 0.0, "targets": {}}
    # a lone string is one target, not a list of letters
    assert list(resonance("joy", emotions={"joy": 1.0}, motivators={})["targets"]) == ["joy"]
    weird = {"joy": math.nan, "anger": 7.0, "fear": -1.0, "love": "high"}
    result = resonance(
        ["joy", "anger", "fear", "love", "value"],
        emotions=weird,  # type: ignore[arg-type]
        motivators={"value": {"score": None}},
    )
    assert result["targets"] == {"joy": 0.0, "anger": 1.0, "fear": 0.0, "love": 0.0, "value": 0.0}


@settings(max_examples=100, deadline=None)
@given(
    targets=st.lists(st.sampled_from(sorted(TARGETS)), max_size=12),
    probabilities=st.dictionaries(
        st.sampled_from(EMOTIONS), st.floats(min_value=0.0, max_value=1.0), max_size=28
    ),
    scores=st.dictionaries(
        st.sampled_from(MOTIVATORS), st.floats(min_value=0.0, max_value=1.0), max_size=10
    ),
)
def test_scores_stay_within_zero_and_one(
    targets: list[str], probabilities: dict[str, float], scores: dict[str, float]
) -> None:
    found = {name: {"score": value, "evidence": []} for name, value in scores.items()}
    result = resonance(targets, emotions=probabilities, motivators=found)
    assert set(result) == {"score", "targets"}
    assert set(result["targets"]) == set(targets)
    assert all(0.0 <= value <= 1.0 for value in result["targets"].values())
    assert 0.0 <= result["score"] <= 1.0
