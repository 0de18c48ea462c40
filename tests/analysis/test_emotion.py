"""Emotions (GoEmotions' 28 labels): real comments, shapes and ranges, offline loading."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brandloom.analysis import artifacts
from brandloom.analysis.emotion import LABELS, NAME, EmotionModel
from tests.analysis.offline import SRC, run_offline


@pytest.fixture(scope="module")
def model() -> EmotionModel:
    return EmotionModel.load()


def test_labels_are_goemotions_in_order(model: EmotionModel) -> None:
    assert len(LABELS) == 28
    assert LABELS[0] == "admiration" and LABELS[15] == "gratitude" and LABELS[27] == "neutral"
    assert model.labels_ == list(LABELS)
    assert model.thresholds_.shape == (28,)
    assert np.all((model.thresholds_ > 0) & (model.thresholds_ < 1))


def test_load_is_cached(model: EmotionModel) -> None:
    assert EmotionModel.load() is model


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thank you so much, this is wonderful!", {"gratitude"}),
        ("Thanks a lot for the quick reply, really appreciate it.", {"gratitude"}),
        ("I'm so sorry for your loss", {"sadness", "remorse", "caring"}),
        ("This makes me furious", {"anger", "annoyance"}),
        ("I love this song so much", {"love"}),
        ("Why would anyone do that? I don't get it", {"confusion", "curiosity"}),
        ("That's hilarious, I can't stop laughing", {"amusement"}),
        ("I'm really scared about the surgery tomorrow", {"fear", "nervousness"}),
        ("Congratulations on the new job, you deserve it!", {"admiration", "joy", "pride"}),
        ("The meeting is at 3pm in room 204.", {"neutral"}),
    ],
)
def test_real_comments(model: EmotionModel, text: str, expected: set[str]) -> None:
    labels = model.predict([text])[0]
    assert expected & set(labels), (text, labels)


def test_blend_and_its_halves(model: EmotionModel) -> None:
    texts = ["Thank you so much, this is wonderful!", "This makes me furious"]
    encoder = model.encoder_proba(texts)
    tfidf = model.tfidf_proba(texts)
    weight = model.encoder_weight_
    assert 0.0 <= weight <= 1.0
    np.testing.assert_allclose(
        model.predict_proba(texts), weight * encoder + (1 - weight) * tfidf, atol=1e-9
    )
    gratitude = LABELS.index("gratitude")
    anger = LABELS.index("anger")
    for proba in (encoder, tfidf):  # each half alone already ranks these right
        assert proba[0, gratitude] > proba[1, gratitude]
        assert proba[1, anger] > proba[0, anger]


def test_results_do_not_depend_on_the_batch(model: EmotionModel) -> None:
    texts = ["I love it", "Meh.", "This is the worst customer service I have ever had, ever.", ""]
    together = model.predict_proba(texts)
    alone = np.vstack([model.predict_proba([t]) for t in texts])
    # int8 activations are scaled per call: one text per call keeps batchmates out of it.
    np.testing.assert_allclose(together, alone, atol=1e-9)


def test_decide_uses_thresholds_then_argmax(model: EmotionModel) -> None:
    proba = np.zeros((2, 28))
    proba[0, LABELS.index("joy")] = 0.99
    proba[0, LABELS.index("love")] = 0.98
    proba[1, LABELS.index("fear")] = 1e-4  # over no threshold: the argmax alone
    decided = model.decide(proba)
    assert decided[0] == ["joy", "love"]
    assert decided[1] == ["fear"]


def test_empty_inputs(model: EmotionModel) -> None:
    assert model.predict_proba([]).shape == (0, 28)
    assert model.predict([]) == []
    proba = model.predict_proba([""])
    assert proba.shape == (1, 28) and np.all(np.isfinite(proba))
    assert len(model.predict([""])[0]) >= 1


@pytest.mark.parametrize(
    "text",
    [
        "x" * 100_000,
        "Great offer! " * 10_000,
        "🎉🔥😍🙏",
        "Merci beaucoup! Большое спасибо! 非常感谢! شكرا جزيلا",
        "\x00\u200b\ufeff\U0010ffff",
    ],
)
def test_odd_texts(model: EmotionModel, text: str) -> None:
    proba = model.predict_proba([text])
    assert proba.shape == (1, 28)
    assert np.all((proba >= 0) & (proba <= 1))
    assert set(model.predict([text])[0]) <= set(LABELS)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.text(max_size=300), max_size=5))
def test_any_unicode_gives_the_documented_shape(model: EmotionModel, texts: list[str]) -> None:
    proba = model.predict_proba(texts)
    assert proba.shape == (len(texts), 28)
    assert np.all(np.isfinite(proba)) and np.all((proba >= 0) & (proba <= 1))
    predicted = model.predict(texts)
    assert len(predicted) == len(texts)
    assert all(labels and set(labels) <= set(LABELS) for labels in predicted)


def test_import_loads_nothing() -> None:
    code = (
        "import sys, brandloom.analysis.emotion;"
        "assert 'onnxruntime' not in sys.modules, 'onnxruntime imported';"
        "assert 'tokenizers' not in sys.modules, 'tokenizers imported'"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": str(SRC)}
    )


def test_loads_offline_without_torch_or_scikit_learn() -> None:
    code = """
        from brandloom.analysis.emotion import EmotionModel

        print(EmotionModel.load().predict(["Thank you so much, this is wonderful!"])[0][0])
    """
    blocked = ("torch", "transformers", "sklearn", "scipy")
    assert run_offline(code, blocked=blocked) == "gratitude"


def test_shipped_files_are_small() -> None:
    total = sum(
        artifacts.artifact_path(NAME, suffix).stat().st_size
        for suffix in (".npz", ".onnx", ".tokenizer.json")
    )
    assert total < 30_000_000
    assert artifacts.artifact_path(NAME, ".md").is_file()
