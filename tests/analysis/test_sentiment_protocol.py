"""The sentiment training protocol: a fold's reported figure never comes from a choice made on it.

``scripts/train/sentiment.py`` scores each cross-validation fold with the blend choices made on
the other folds' out-of-fold predictions. These tests run that code on synthetic out-of-fold
probabilities (small grids keep them fast); the real build is ``make models``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

TRAIN = Path(__file__).resolve().parents[2] / "scripts" / "train"


@pytest.fixture(scope="module")
def training() -> Iterator[ModuleType]:
    sys.path.insert(0, str(TRAIN))
    try:
        import sentiment  # scripts/train/sentiment.py

        yield sentiment
    finally:
        sys.path.remove(str(TRAIN))


@pytest.fixture
def small_grids(training: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    grid = (0.0, 0.5, 1.0)
    monkeypatch.setattr(training, "WEIGHT_GRID", grid)
    monkeypatch.setattr(training, "BIAS_GRID", (-0.2, 0.0, 0.2))
    monkeypatch.setattr(training, "HEAD_GRID", grid)
    monkeypatch.setattr(
        training,
        "VARIANTS",
        {"ngrams_only": ((0.0,), False), "no_finetuned": (grid, False), "shipped": (grid, True)},
    )


def _data(training: ModuleType, n_per_language: int = 40) -> tuple[object, object, np.ndarray]:
    rng = np.random.default_rng(0)
    languages = sorted(training.NAMES)
    n = n_per_language * len(languages)
    rows = training.Rows(
        texts=[""] * n,
        y=[int(v) for v in rng.integers(0, 3, n)],
        lang=[languages[i % len(languages)] for i in range(n)],
        raw=[""] * n,
        logits=np.zeros((n, training.N_EMOTIONS)),
    )
    p = training.Probabilities(*(rng.dirichlet(np.ones(3), n) for _ in range(4)))
    tuned = rng.dirichlet(np.ones(3), n)
    return rows, p, tuned


@pytest.mark.usefixtures("small_grids")
def test_a_folds_choices_are_made_on_the_other_folds(training: ModuleType) -> None:
    rows, p, tuned = _data(training)
    assignment = np.arange(len(rows.y)) % 5
    cv = training.cross_validate(rows, p, tuned, assignment)
    for k in range(5):
        others = np.flatnonzero(assignment != k)
        expected = training.choose(
            rows.take(others.tolist()), p.take(others), tuned[others], (0.0, 0.5, 1.0), True
        )
        assert cv["shipped"]["choices_per_fold"][k] == training._choices_json(expected)
    assert all(c["head"] == 0.0 for c in cv["no_finetuned"]["choices_per_fold"])
    assert all(set(c["encoder"].values()) == {0.0} for c in cv["ngrams_only"]["choices_per_fold"])
    scores = cv["shipped"]["macro_f1"]
    assert set(scores) == set(training.NAMES) and cv["shipped"]["mean_macro_f1"] > 0.0


@pytest.mark.usefixtures("small_grids")
def test_a_folds_own_labels_do_not_move_its_choices(training: ModuleType) -> None:
    rows, p, tuned = _data(training)
    assignment = np.arange(len(rows.y)) % 5
    # Fold 0's labels become what the fine-tuned encoder says: if they leaked into fold 0's
    # choices, its weight would rise (as it does when chosen on every row).
    relabelled = training.Rows(
        texts=rows.texts,
        y=[int(tuned[i].argmax()) if assignment[i] == 0 else y for i, y in enumerate(rows.y)],
        lang=rows.lang,
        raw=rows.raw,
        logits=rows.logits,
    )
    before = training.cross_validate(rows, p, tuned, assignment)
    after = training.cross_validate(relabelled, p, tuned, assignment)
    assert after["shipped"]["choices_per_fold"][0] == before["shipped"]["choices_per_fold"][0]
    leaky = training.choose(relabelled, p, tuned, (0.0, 0.5, 1.0), True)
    assert leaky.head > before["shipped"]["choices_per_fold"][0]["head"]
    assert after["shipped"]["macro_f1"] != before["shipped"]["macro_f1"]


def test_the_nbsvm_is_one_linear_model_at_run_time(training: ModuleType) -> None:
    from brandloom.analysis.features import softmax

    texts = [
        "what a wonderful day, love it",
        "wonderful service, love the team",
        "love this, simply wonderful",
        "awful experience, hate it",
        "hate the awful queue",
        "awful, I hate this",
        "the shop opens at nine",
        "the meeting is at nine today",
        "the train leaves at nine",
    ]
    y = [2, 2, 2, 0, 0, 0, 1, 1, 1]
    component = training.PresenceComponent((1_000, 2_000)).fit(texts, y, np.ones(len(y)))
    linear = component.to_linear()  # naive-Bayes ratios folded into the weights, float16
    unseen = ["love it, wonderful", "I hate it, awful", "at nine today", ""]
    for batch in (texts, unseen):
        expected = component.predict_proba(batch)
        assert np.abs(softmax(linear.decision_function(batch)) - expected).max() < 1e-3
    assert list(component.predict_proba(unseen[:3]).argmax(axis=1)) == [2, 0, 1]
    # Presence, not counts: repeating a word does not move the scores.
    once, thrice = component.predict_proba(["love it", "love love love it"])
    np.testing.assert_allclose(once, thrice)


@pytest.mark.usefixtures("small_grids")
def test_encoder_weights_shrink_towards_one_shared_weight(
    training: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows, p, tuned = _data(training)
    grid = (0.0, 0.5, 1.0)
    monkeypatch.setattr(training, "ENCODER_SHRINK", 0.0)
    alone = training.choose(rows, p, tuned, grid, False).encoder
    assert len(set(alone.values())) > 1  # each language its own best on this noise
    monkeypatch.setattr(training, "ENCODER_SHRINK", 1e6)
    shared = training.choose(rows, p, tuned, grid, False).encoder
    assert len(set(shared.values())) == 1


def test_reference_baseline_scores_each_fold_with_a_model_that_never_saw_it(
    training: ModuleType,
) -> None:
    languages = sorted(training.NAMES)
    words = ("awful terrible", "tuesday report", "lovely wonderful")
    rng = np.random.default_rng(1)
    n = 30 * len(languages)
    labels = [int(v) for v in rng.integers(0, 3, n)]
    lang = [languages[i % len(languages)] for i in range(n)]
    assignment = np.arange(n) % 5
    # The label is in the words: learnable from the other folds.
    raw = [f"{words[label]} {i}" for i, label in enumerate(labels)]
    rows = training.Rows(raw, labels, lang, raw, np.zeros((n, training.N_EMOTIONS)))
    assert training.reference_baseline(rows, assignment) > 0.95
    # Each text is its own random string: only a model that saw the scored fold could fit it.
    raw = ["".join(rng.choice(list("qwxzjkv"), 12)) for _ in range(n)]
    rows = training.Rows(raw, labels, lang, raw, np.zeros((n, training.N_EMOTIONS)))
    assert training.reference_baseline(rows, assignment) < 0.6
