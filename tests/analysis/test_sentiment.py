"""Sentiment (8 languages): real tweets, normalization, shapes and ranges, offline loading, the
emotion-encoder component and its pinned encoder."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brandloom.analysis import artifacts
from brandloom.analysis.emotion import SHARED_STATES, EmotionModel, OnnxHead
from brandloom.analysis.sentiment import (
    CLASSES,
    LANGUAGES,
    N_EMOTIONS,
    NAME,
    SentimentModel,
    language_model_key,
    prepare,
)
from tests.analysis.offline import run_offline

# (language, clearly positive tweet, clearly negative tweet)
TWEETS = [
    (
        "ar",
        "الحمد لله فزنا بالمباراة، يوم رائع وسعيد جدا ❤️ شكرا للجميع",
        "خدمة سيئة جدا وموظفين فاشلين، أسوأ تجربة في حياتي 😡",
    ),
    (
        "en",
        "I love this new album so much, best day ever! Thank you ❤️😍",
        "Worst customer service ever. I hate this company, totally disgusting 😡",
    ),
    (
        "fr",
        "Merci pour ce magnifique concert, j'ai adoré ! Bravo à tous 😍",
        "Quelle honte, c'est nul et scandaleux. Je suis vraiment déçu et en colère 😡",
    ),
    (
        "de",
        "Danke für den tollen Abend, war wirklich super schön! 😍",
        "So ein Mist, total enttäuscht und wütend. Einfach nur schlecht 😡",
    ),
    (
        "hi",
        "bahut badhiya movie thi yaar, maza aa gaya! love you salman bhai ❤️",
        "bakwas movie, bilkul bekar aur ghatiya. paisa barbaad ho gaya 😡",
    ),
    (
        "it",
        "Grazie mille, che bella giornata! Sono felicissimo 😍",
        "Che schifo, governo di incapaci. Una vergogna totale 😡",
    ),
    (
        "pt",
        "Que dia lindo, estou muito feliz! Amo vocês demais ❤️",
        "Que ódio, que vergonha, governo horrível e ridículo 😡",
    ),
    (
        "es",
        "¡Qué bonito día! Muchas gracias a todos, os quiero mucho ❤️",
        "Qué asco de gobierno, una vergüenza, estoy harto de tanta mentira 😡",
    ),
]


@pytest.fixture(scope="module")
def model() -> SentimentModel:
    return SentimentModel.load()


def test_classes_and_languages(model: SentimentModel) -> None:
    assert model.classes_ == ["negative", "neutral", "positive"] == list(CLASSES)
    assert sorted(model.by_language_) == sorted(LANGUAGES.values())
    assert set(LANGUAGES) == {"ar", "en", "fr", "de", "hi", "it", "pt", "es"}


def test_load_is_cached(model: SentimentModel) -> None:
    assert SentimentModel.load() is model


# Weak languages (see the model card): Hindi (romanized, code-mixed, noisy labels) and Arabic
# outside the dialects and topics of its training tweets. For them only the scores' order is
# checked.
WEAK = {"ar", "hi"}


@pytest.mark.parametrize(("language", "positive", "negative"), TWEETS)
def test_real_tweets(model: SentimentModel, language: str, positive: str, negative: str) -> None:
    good, bad = model.analyze([positive, negative], [language, language])
    assert good["score"] > bad["score"]
    if language in WEAK:
        return
    assert good["probabilities"]["positive"] > bad["probabilities"]["positive"]
    assert bad["probabilities"]["negative"] > good["probabilities"]["negative"]
    assert good["label"] == "positive", good
    assert bad["label"] == "negative", bad
    # clearly worded tweets land away from 0 (the fine-tuned encoder, which reads English word
    # pieces, pulls some non-English negatives towards it: this Italian one scores about -0.15,
    # as the fine-tuned layers alone call it positive)
    assert good["score"] > 0.1 > -0.1 > bad["score"]


def test_pooled_model_reads_unknown_languages(model: SentimentModel) -> None:
    texts = [positive for _, positive, _ in TWEETS] + [negative for _, _, negative in TWEETS]
    scores = [r["score"] for r in model.analyze(texts)]  # no language given
    assert np.mean(scores[:8]) > 0.2 and np.mean(scores[8:]) < -0.2
    # A code without a dedicated model (Dutch) takes the same path as None.
    dutch = model.predict_proba(texts[:2], ["nl", "nl"])
    unknown = model.predict_proba(texts[:2])
    np.testing.assert_allclose(dutch, unknown)


def test_language_codes_are_normalized() -> None:
    assert language_model_key("pt-BR") == "portuguese"
    assert language_model_key("EN") == "english"
    assert language_model_key("zh") is None
    assert language_model_key(None) is None
    assert language_model_key("") is None


def test_language_changes_the_model(model: SentimentModel) -> None:
    text = TWEETS[2][1]
    french = model.predict_proba([text], ["fr"])
    pooled = model.predict_proba([text], [None])
    assert not np.allclose(french, pooled)


def test_score_is_positive_minus_negative(model: SentimentModel) -> None:
    for result in model.analyze([TWEETS[1][1], "The meeting is at 3pm."], ["en", "en"]):
        p = result["probabilities"]
        assert result["score"] == pytest.approx(p["positive"] - p["negative"])
        assert result["label"] == max(p, key=p.__getitem__)
        assert sum(p.values()) == pytest.approx(1.0)


def test_prepare() -> None:
    assert prepare("@bob sooooo goooood :) http://t.co/x") == "@user sooo goood emo_smile http"
    assert prepare("great😍😍😍😍 :( <3") == "great 😍 😍 😍 emo_frown emo_heart"
    assert prepare("f(x): a), b)") == "f(x): a), b)"
    text = "RT @user: c'est génial!!!! 😂 :D https://x.y/z"
    assert prepare(prepare(text)) == prepare(text)


def test_languages_must_match_texts(model: SentimentModel) -> None:
    with pytest.raises(ValueError):
        model.predict_proba(["a", "b"], ["en"])


def test_empty_batch(model: SentimentModel) -> None:
    assert model.predict_proba([]).shape == (0, 3)
    assert model.analyze([]) == []


def test_edge_texts(model: SentimentModel) -> None:
    texts = ["", "   ", "😂😂😂", "!!!", "x" * 100_000, "Hola 你好 مرحبا привет 👋"]
    proba = model.predict_proba(texts, ["es", None, "en", "fr", "de", "ar"])
    assert proba.shape == (6, 3)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.text(max_size=300),
            st.one_of(st.none(), st.sampled_from(["ar", "en", "fr", "de", "hi", "it", "xx"])),
        ),
        max_size=4,
    )
)
def test_any_text_gives_probabilities(pairs: list[tuple[str, str | None]]) -> None:
    model = SentimentModel.load()
    texts = [text for text, _ in pairs]
    results = model.analyze(texts, [language for _, language in pairs])
    assert len(results) == len(texts)
    for result in results:
        assert result["label"] in CLASSES
        assert -1.0 <= result["score"] <= 1.0
        assert all(0.0 <= p <= 1.0 for p in result["probabilities"].values())


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=200))
def test_prepare_is_idempotent(text: str) -> None:
    assert prepare(prepare(text)) == prepare(text)


def test_loads_offline_without_scikit_learn() -> None:
    code = """
        from brandloom.analysis.sentiment import SentimentModel

        result = SentimentModel.load().analyze(["I love it, best day ever!"], ["en"])[0]
        print(result["label"])
    """
    assert run_offline(code, blocked=("sklearn", "scipy")) == "positive"


def test_shipped_files_are_small() -> None:
    assert artifacts.artifact_path(NAME).stat().st_size < 10_000_000
    # The fine-tuned encoder ships only its upper layers (it continues from the emotion
    # encoder's shared ones, and so ships no word-piece table either).
    assert artifacts.artifact_path(NAME, ".onnx").stat().st_size < 7_000_000
    card = artifacts.artifact_path(NAME, ".md").read_text(encoding="utf-8")
    assert "python scripts/train/sentiment.py" in card and "research-use" in card
    assert "emotion.goemotions.v1" in card and "SHA-256" in card


def test_given_logits_match_computed_ones(model: SentimentModel) -> None:
    texts = [TWEETS[1][1], TWEETS[1][2], TWEETS[2][1], "ok"]
    languages = ["en", "en", "fr", None]
    logits, head = model.encode(texts)
    assert logits.shape == (4, N_EMOTIONS) and head.shape == (4, 3)
    np.testing.assert_allclose(logits, EmotionModel.load().encoder_.logits(texts))
    given = {"emotion_logits": logits, "head_logits": head}
    np.testing.assert_allclose(
        model.predict_proba(texts, languages, **given), model.predict_proba(texts, languages)
    )
    labels = [r["label"] for r in model.analyze(texts, languages, **given)]
    assert labels == [r["label"] for r in model.analyze(texts, languages)]


def test_encoder_components_move_english(model: SentimentModel) -> None:
    # English leans on the emotion encoder most: neutral-looking logits must change its answer;
    # so must a fine-tuned encoder that sees nothing.
    text = [TWEETS[1][1]]
    logits, head = model.encode(text)
    real = model.predict_proba(text, ["en"])
    flat = model.predict_proba(
        text, ["en"], emotion_logits=np.zeros((1, N_EMOTIONS)), head_logits=head
    )
    assert model.encoder_weight_["english"] > 0.0
    assert not np.allclose(real, flat)
    assert real[0, 2] > flat[0, 2]
    blind = model.predict_proba(text, ["en"], emotion_logits=logits, head_logits=np.zeros((1, 3)))
    assert 0.0 < model.head_weight_ < 1.0
    assert real[0, 2] > blind[0, 2]


def test_the_fine_tuned_encoder_reads_positive_and_negative(model: SentimentModel) -> None:
    _, head = model.encode(["I love this, best day ever!", "This is awful, I hate it."])
    assert head[0].argmax() == 2 and head[1].argmax() == 0


def test_logits_must_match_texts(model: SentimentModel) -> None:
    head = np.zeros((1, 3))
    with pytest.raises(ValueError):
        model.predict_proba(
            ["a", "b"], ["en", "en"], emotion_logits=np.zeros((1, N_EMOTIONS)), head_logits=head
        )
    with pytest.raises(ValueError):
        model.predict_proba(["a"], ["en"], emotion_logits=np.zeros((1, 27)), head_logits=head)
    with pytest.raises(ValueError):
        model.predict_proba(
            ["a"], ["en"], emotion_logits=np.zeros((1, N_EMOTIONS)), head_logits=np.zeros((1, 2))
        )


def _shipped_with(encoder_meta: dict[str, object] | None) -> artifacts.Artifact:
    shipped = artifacts.load(NAME)
    meta = dict(shipped.meta)
    if encoder_meta is None:
        del meta["encoder"]
    else:
        meta["encoder"] = encoder_meta
    return artifacts.Artifact(name=NAME, meta=meta, arrays=shipped.arrays)


def test_another_emotion_encoder_is_refused() -> None:
    encoder = dict(artifacts.load(NAME).meta["encoder"])
    assert encoder["artifact"] == "emotion.goemotions.v1"
    assert len(encoder["onnx_sha256"]) == 64
    encoder["onnx_sha256"] = "0" * 64
    with pytest.raises(artifacts.ArtifactError, match="trained on another emotion encoder"):
        SentimentModel.from_artifact(_shipped_with(encoder))
    with pytest.raises(artifacts.ArtifactError, match="rebuild it"):
        SentimentModel.from_artifact(_shipped_with(None))


def test_another_fine_tuned_encoder_is_refused() -> None:
    shipped = artifacts.load(NAME)
    meta = dict(shipped.meta)
    meta["head"] = {**meta["head"], "onnx_sha256": "0" * 64}
    with pytest.raises(artifacts.ArtifactError, match="rebuild both"):
        SentimentModel.from_artifact(
            artifacts.Artifact(name=NAME, meta=meta, arrays=shipped.arrays)
        )
    del meta["head"]
    with pytest.raises(artifacts.ArtifactError, match="no fine-tuned encoder"):
        SentimentModel.from_artifact(
            artifacts.Artifact(name=NAME, meta=meta, arrays=shipped.arrays)
        )


def test_the_head_continues_from_the_shared_states(model: SentimentModel) -> None:
    encoder = EmotionModel.load().encoder_
    texts = ["Thanks so much, loved it!", "meh"]
    states = encoder.shared_states(texts)
    assert [s.shape[1] for s in states] == [384, 384] and len(states[0]) > len(states[1])
    _, head = model.encode(texts)
    path = artifacts.artifact_path(NAME, ".onnx")
    alone = OnnxHead(path)
    for state, expected in zip(states, head, strict=True):
        mask = np.ones((1, len(state)), dtype=np.int64)
        np.testing.assert_allclose(alone.logits(state[None], mask)[0], expected, rtol=1e-6)


def test_a_head_must_read_the_shared_states() -> None:
    encoder_path = artifacts.artifact_path("emotion.goemotions.v1", ".onnx")
    with pytest.raises(ValueError, match=SHARED_STATES):
        OnnxHead(encoder_path)  # an encoder reads word-piece ids, not the shared states


def test_the_shipped_encoder_outputs_the_shared_states() -> None:
    import onnxruntime

    path = artifacts.artifact_path("emotion.goemotions.v1", ".onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [output.name for output in session.get_outputs()] == ["logits", SHARED_STATES]
