"""Sentiment of short social-media texts in eight languages: negative, neutral or positive.

The model was trained on UMSAB (the XLM-T tweet-sentiment benchmark: Arabic, English, French,
German, Hindi, Italian, Portuguese, Spanish). Each of those languages has its own NBSVM (the
presence of word and character n-grams, each scaled by its naive-Bayes log-count ratio per class,
and a logistic regression per class: at run time one linear model), blended with one pooled TF-IDF
logistic regression trained on all eight at once; the pooled model shares what the languages have
in common (emoji, emoticons, punctuation, cognates, English loanwords). A third voice reads the 28
emotion logits of the shipped emotion encoder (``emotion.goemotions.v1``): a small logistic
regression per language (and one pooled), mixed in with a per-language weight. A text in another
language, or of unknown language, is read by the pooled models (and the fine-tuned encoder below)
alone: that path is untested.

The fourth voice is MiniLM fine-tuned on the tweets themselves: 3 transformer layers and a
head (``sentiment.umsab.v2.onnx``, int8) that continue from the emotion encoder's hidden states
after its first 3 layers (``emotion.SHARED_STATES``). The word-piece table and those lower layers
ship once and run once per text for emotions and both sentiment voices. Its probabilities are
mixed with the rest with one weight for every language.

The encoder outputs may be passed in (``emotion_logits``, ``head_logits``; ``encode`` computes
both) by a caller that already ran it, so that each text is encoded once; otherwise they are
computed here. The artifact records the SHA-256 of the emotion encoder it was trained on and of its
own ONNX file, and loading refuses any other.

``score`` is P(positive) - P(negative), from -1 (clearly negative) to +1 (clearly positive); a
neutral text scores near 0. A long text is judged on its first ``MAX_CHARS`` characters.

Nothing is read at import time: ``SentimentModel.load()`` opens the artifact on first use and keeps
it for the process.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from brandloom.analysis import artifacts
from brandloom.analysis.features import LinearModel, softmax

NAME = "sentiment.umsab.v2"
N_EMOTIONS = 28  # the emotion encoder's output width (GoEmotions labels)
CLASSES: tuple[str, ...] = ("negative", "neutral", "positive")

# ISO 639-1 code -> the language the dedicated model was trained on.
LANGUAGES: dict[str, str] = {
    "ar": "arabic",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "hi": "hindi",
    "it": "italian",
    "pt": "portuguese",
}

# Tweets are short; a longer text is judged on its beginning, which bounds the cost per text.
MAX_CHARS = 5_000

_URL = re.compile(r"https?://\S*|www\.\S+")
_USER = re.compile(r"@\w+")
_ELONGATED = re.compile(r"(.)\1{3,}", re.DOTALL)
_EMOJI = re.compile(
    "([\U0001f000-\U0001faff\u2600-\u27bf\u2190-\u21ff\u2b00-\u2bff\u2300-\u23ff\u2764\u2665])"
)
# Emoticons become words (their polarity is learned from the data, not written here).
_EMOTICONS: tuple[tuple[str, str], ...] = (
    ("emo_cry", r":'-?\(+"),
    ("emo_heart", r"<3+"),
    ("emo_laugh", r"[:;=]-?D+\b|(?<!\w)[xX8]-?D+\b"),
    ("emo_wink", r";-?[)\]]+"),
    ("emo_smile", r"[:=]-?[)\]]+|(?<!\w)8-?\)+|(?<![\w(])\(+-?[:=](?!\w)"),
    ("emo_frown", r"[:=]-?[(\[]+|(?<!\w)[)\]]+-?[:=](?!\w)"),
    ("emo_tongue", r"[:;=]-?[pP]\b"),
    ("emo_skeptic", r"[:=]-?[/\\](?![/\\])"),
)
_EMOTICON = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _EMOTICONS))


def prepare(text: str) -> str:
    """The text as the model reads it (training applies the same function).

    Links and user mentions become placeholders, letters repeated for emphasis are cut to
    three, emoji stand apart from words, emoticons become words such as ``emo_smile``, and
    runs of whitespace become one space. Preparing a prepared text changes nothing.
    """
    text = text[:MAX_CHARS].replace("\ufe0f", "")
    text = _URL.sub(" http ", text)
    text = _USER.sub(" @user ", text)
    text = _ELONGATED.sub(r"\1\1\1", text)
    text = _EMOTICON.sub(lambda m: f" {m.lastgroup} ", text)
    text = _EMOJI.sub(r" \1 ", text)
    return " ".join(text.split())


def language_model_key(language: str | None) -> str | None:
    """The dedicated model for an ISO 639-1 code (``"pt-BR"`` -> ``"portuguese"``), or None."""
    if not language:
        return None
    return LANGUAGES.get(language.strip().lower().replace("_", "-").split("-", 1)[0])


def encoder_sha256(name: str) -> str:
    """SHA-256 of the installed ``<name>.onnx`` (hashed once per process)."""
    return _sha256_of(str(artifacts.artifact_path(name, ".onnx")))


@cache
def _sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class SentimentModel:
    """Per-language n-gram linear models blended with a pooled multilingual one, plus a
    logistic regression on the emotion encoder's logits and the fine-tuned encoder."""

    classes_: list[str]
    pooled_: LinearModel
    by_language_: dict[str, LinearModel]
    pooled_weight_: dict[str, float]
    bias_: dict[str, np.ndarray]
    encoder_name_: str
    encoder_coef_: dict[str, np.ndarray]
    encoder_intercept_: dict[str, np.ndarray]
    encoder_weight_: dict[str, float]
    head_weight_: float
    meta_: dict[str, Any]

    @classmethod
    def from_artifact(cls, artifact: artifacts.Artifact) -> SentimentModel:
        """Rebuild from the ``.npz`` state."""
        meta = artifact.meta
        model = cls()
        model.classes_ = [str(c) for c in meta["classes"]]
        if model.classes_ != list(CLASSES):
            raise artifacts.ArtifactError(f"{artifact.name}: classes {model.classes_}")
        model.pooled_ = LinearModel.from_state(meta["pooled"], artifact.arrays, "pooled")
        model.by_language_ = {
            language: LinearModel.from_state(state, artifact.arrays, f"lang.{language}")
            for language, state in meta["languages"].items()
        }
        model.pooled_weight_ = {k: float(v) for k, v in meta["pooled_weight"].items()}
        model.bias_ = {
            key: np.asarray(value, dtype=np.float64) for key, value in meta["bias"].items()
        }
        encoder = meta.get("encoder")
        if not isinstance(encoder, dict):
            raise artifacts.ArtifactError(
                f"{artifact.name} has no emotion-encoder component; rebuild it with "
                "`python scripts/train/sentiment.py`"
            )
        model.encoder_name_ = str(encoder["artifact"])
        if encoder_sha256(model.encoder_name_) != encoder["onnx_sha256"]:
            raise artifacts.ArtifactError(
                f"{artifact.name} was trained on another emotion encoder than the installed "
                f"{model.encoder_name_}.onnx; rebuild it with `python scripts/train/sentiment.py`"
            )
        model.encoder_weight_ = {k: float(v) for k, v in encoder["weight"].items()}
        model.encoder_coef_ = {}
        model.encoder_intercept_ = {}
        for key in model.encoder_weight_:
            coef = artifact.arrays[f"encoder.{key}.coef"].astype(np.float64)
            if coef.shape != (N_EMOTIONS, len(CLASSES)):
                raise artifacts.ArtifactError(f"{artifact.name}: encoder.{key} is {coef.shape}")
            model.encoder_coef_[key] = coef
            model.encoder_intercept_[key] = artifact.arrays[f"encoder.{key}.intercept"].astype(
                np.float64
            )
        head = meta.get("head")
        if not isinstance(head, dict) or head.get("artifact") != artifact.name:
            raise artifacts.ArtifactError(f"{artifact.name} has no fine-tuned encoder component")
        if encoder_sha256(artifact.name) != head["onnx_sha256"]:
            raise artifacts.ArtifactError(
                f"{artifact.name}.onnx is not the file {artifact.name}.npz was built with; "
                "rebuild both with `python scripts/train/sentiment.py`"
            )
        model.head_weight_ = float(head["weight"])
        model.meta_ = meta
        return model

    @classmethod
    def load(cls) -> SentimentModel:
        """The shipped model, opened once per process."""
        return artifacts.opened_once(NAME, lambda: cls.from_artifact(artifacts.load(NAME)))

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(emotion_logits (n, 28), head_logits (n, 3))``: one run of the emotion encoder
        this model was trained on, with the fine-tuned sentiment layers continuing from its
        shared hidden states. ``EmotionModel.predict_proba`` takes the first as its
        ``encoder_logits``."""
        # Imported here: the encoder (onnxruntime) loads only when sentiment needs it.
        from brandloom.analysis.emotion import EmotionModel, OnnxHead

        name = self.meta_["head"]["artifact"]
        head = artifacts.opened_once(
            (name, "head"), lambda: OnnxHead(artifacts.artifact_path(name, ".onnx"))
        )
        # The encoder reads 128 word pieces at most; cutting first bounds the tokenizer's cost.
        logits, heads = EmotionModel.load().encoder_.outputs(
            [text[:MAX_CHARS] for text in texts], [head]
        )
        return logits, heads[0]

    def predict_proba(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        *,
        emotion_logits: np.ndarray | None = None,
        head_logits: np.ndarray | None = None,
    ) -> np.ndarray:
        """``(len(texts), 3)`` probabilities in ``classes_`` order (negative, neutral,
        positive). ``languages`` holds one ISO 639-1 code (or None) per text; texts in a
        language without a dedicated model are read by the pooled models alone.
        ``emotion_logits`` and ``head_logits`` are ``encode(texts)`` of the same (unprepared)
        texts, computed here when either is not given."""
        texts = list(texts)
        prepared = [prepare(text) for text in texts]
        if languages is None:
            languages = [None] * len(prepared)
        if len(languages) != len(prepared):
            raise ValueError(f"{len(prepared)} texts but {len(languages)} languages")
        out = np.zeros((len(prepared), len(CLASSES)), dtype=np.float64)
        if not prepared:
            return out
        if emotion_logits is None or head_logits is None:
            emotion_logits, head_logits = self.encode(texts)
        logits = np.asarray(emotion_logits, dtype=np.float64)
        if logits.shape != (len(prepared), N_EMOTIONS):
            raise ValueError(
                f"emotion_logits must be ({len(prepared)}, {N_EMOTIONS}), got {logits.shape}"
            )
        tuned = np.asarray(head_logits, dtype=np.float64)
        if tuned.shape != (len(prepared), len(CLASSES)):
            raise ValueError(
                f"head_logits must be ({len(prepared)}, {len(CLASSES)}), got {tuned.shape}"
            )
        keys = [language_model_key(language) for language in languages]
        pooled = softmax(self.pooled_.decision_function(prepared))
        for key in set(keys):
            rows = [i for i, k in enumerate(keys) if k == key]
            proba = pooled[rows]
            encoder_key = "pooled"
            if key is not None and key in self.by_language_:
                own = softmax(self.by_language_[key].decision_function([prepared[i] for i in rows]))
                weight = self.pooled_weight_[key]
                proba = weight * proba + (1.0 - weight) * own
                encoder_key = key
            share = self.encoder_weight_[encoder_key]
            if share > 0.0:
                encoded = softmax(
                    logits[rows] @ self.encoder_coef_[encoder_key]
                    + self.encoder_intercept_[encoder_key]
                )
                proba = (1.0 - share) * proba + share * encoded
            out[rows] = _shift(proba, self.bias_[key if key in self.bias_ else "pooled"])
        share = self.head_weight_
        return (1.0 - share) * out + share * softmax(tuned)

    def analyze(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        *,
        emotion_logits: np.ndarray | None = None,
        head_logits: np.ndarray | None = None,
    ) -> list[dict[str, Any]]:
        """Per text: ``label`` (the most probable class), ``score`` = P(positive) - P(negative)
        in [-1, 1], and ``probabilities`` per class. The logits as in ``predict_proba``."""
        proba = self.predict_proba(
            texts, languages, emotion_logits=emotion_logits, head_logits=head_logits
        )
        results: list[dict[str, Any]] = []
        for row in proba:
            results.append(
                {
                    "label": self.classes_[int(np.argmax(row))],
                    "score": float(np.clip(row[2] - row[0], -1.0, 1.0)),
                    "probabilities": {c: float(p) for c, p in zip(self.classes_, row, strict=True)},
                }
            )
        return results


def _shift(proba: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Probabilities with a per-class log-odds offset (tuned for balanced decisions)."""
    shifted = proba * np.exp(bias)
    return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))
