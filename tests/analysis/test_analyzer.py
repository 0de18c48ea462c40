"""``analyze``: every analyser in one call, the documented shape for any text, no network."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brandloom.analysis.analyzer import AnalyzeOptions, analyze
from brandloom.analysis.motivators import MOTIVATORS
from brandloom.analysis.resonance import EMOTIONS

TOP_KEYS = {
    "language", "language_confidence", "sentiment", "emotions", "emotion_labels", "motivators",
    "readability", "spam_score", "spam_rules_score",
}  # fmt: skip


def _assert_shape(item: dict[str, object], *, culture: bool, resonance: bool) -> None:
    keys = TOP_KEYS | ({"culture"} if culture else set()) | ({"resonance"} if resonance else set())
    assert set(item) == keys
    assert item["language"] is None or isinstance(item["language"], str)
    assert 0.0 <= item["language_confidence"] <= 1.0  # type: ignore[operator]
    sentiment = item["sentiment"]
    assert sentiment["label"] in {"negative", "neutral", "positive"}  # type: ignore[index]
    assert -1.0 <= sentiment["score"] <= 1.0  # type: ignore[index]
    emotions = item["emotions"]
    assert list(emotions) == list(EMOTIONS)  # type: ignore[arg-type]
    assert all(0.0 <= p <= 1.0 for p in emotions.values())  # type: ignore[attr-defined]
    assert item["emotion_labels"] and set(item["emotion_labels"]) <= set(EMOTIONS)  # type: ignore[arg-type]
    assert set(item["motivators"]) == set(MOTIVATORS)  # type: ignore[arg-type]
    for motivator in item["motivators"].values():  # type: ignore[attr-defined]
        assert 0.0 <= motivator["score"] <= 1.0 and isinstance(motivator["evidence"], list)
    assert {"formula", "score", "grade", "words_per_sentence"} <= set(item["readability"])  # type: ignore[arg-type]
    assert 0.0 <= item["spam_score"] <= 1.0  # type: ignore[operator]
    assert item["spam_rules_score"] >= 0  # type: ignore[operator]


EXAMPLES = [
    ("en", "Thank you so much for being with us! Your gift is waiting."),
    ("de", "Vielen Dank für Ihre Treue! Ihr Geschenk wartet auf Sie."),
    ("es", "¡Muchas gracias por tu confianza! Tu regalo te espera."),
    ("fr", "Merci beaucoup pour votre fidélité ! Votre cadeau vous attend."),
    ("it", "Grazie mille per la tua fiducia! Il tuo regalo ti aspetta."),
    ("pt", "Muito obrigado pela sua confiança! O seu presente está à sua espera."),
    ("ja", "いつもご利用いただきありがとうございます。プレゼントをご用意しました。"),
    ("ar", "شكرا جزيلا لثقتكم! هديتكم في انتظاركم."),
]


def test_real_examples_in_several_languages() -> None:
    items = analyze([text for _, text in EXAMPLES])
    for (language, _), item in zip(EXAMPLES, items, strict=True):
        _assert_shape(item, culture=False, resonance=False)
        assert item["language"] == language
    english = items[0]
    assert english["sentiment"]["label"] == "positive"
    assert "gratitude" in english["emotion_labels"]


def test_locale_and_targets_add_culture_and_resonance() -> None:
    (item,) = analyze(
        ["Hallo, hast du schon unser Angebot gesehen? Nur heute!"],
        AnalyzeOptions(locale="de-DE", targets=("urgency", "Excitement")),
    )
    _assert_shape(item, culture=True, resonance=True)
    assert [f["code"] for f in item["culture"]] == ["culture.formality"]
    assert set(item["resonance"]["targets"]) == {"urgency", "excitement"}
    assert item["resonance"]["targets"]["urgency"] > 0.3


def test_empty_batch() -> None:
    assert analyze([]) == []


texts = st.one_of(
    st.text(max_size=200),
    st.just(""),
    st.text(alphabet="😀🎉🔥👍❤️", max_size=20),
    st.lists(
        st.sampled_from(["Hello", "Grüße", "你好", "مرحبا", "שלום", "नमस्ते", "สวัสดี", "1,5 €"])
    ).map(" ".join),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts, min_size=1, max_size=4))
def test_any_text_gets_the_documented_shape(batch: list[str]) -> None:
    items = analyze(batch, AnalyzeOptions(locale="fr-FR", targets=("trust",)))
    assert len(items) == len(batch)
    for item in items:
        _assert_shape(item, culture=True, resonance=True)


def test_a_100000_character_text() -> None:
    (item,) = analyze(["Our spring sale starts now. " * 3_600])
    _assert_shape(item, culture=False, resonance=False)
    assert item["language"] == "en"


# A fresh interpreter with no network and without the training-only libraries.
_OFFLINE = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network access attempted")
socket.socket.connect = refuse
socket.create_connection = refuse
for name in ("torch", "sklearn", "scipy", "transformers"):
    sys.modules[name] = None
from brandloom.analysis.analyzer import analyze, AnalyzeOptions
import json
print(json.dumps(analyze(["Last chance: 30% off ends tonight!"], AnalyzeOptions(locale="en-US"))))
"""


def test_every_model_loads_in_a_fresh_process_without_network() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _OFFLINE], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    (item,) = json.loads(done.stdout)
    assert item["language"] == "en"
    assert "urgency" in item["motivators"] and item["motivators"]["urgency"]["score"] > 0


def test_importing_the_analysis_package_loads_no_model() -> None:
    code = (
        "import sys\n"
        "import brandloom.analysis.analyzer, brandloom.documents.qa, brandloom.cli.app\n"
        "print(sorted(m for m in ('onnxruntime', 'tokenizers', 'py3langid.langid') "
        "if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("formality", ["casual", "FORMAL"])
def test_an_unknown_formality_is_refused(formality: str) -> None:
    from brandloom.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="formality"):
        AnalyzeOptions(formality=formality).checked()
