"""Predicted performance of a text: which of several headlines, subject lines or posts will win.

``EngagementModel`` scores a text with its expected engagement *relative to a typical sibling*:
the predicted lift of its click-through rate in log-odds (``log(p / (1 - p))``) over the
average headline of the training data, so ``+0.05`` reads as about 5 % more clicks than a typical
alternative. Only differences between texts shown to the same audience carry meaning: the model
learned from within-test contrasts (which package of an A/B test beat its siblings, Upworthy
2013-2015), never from CTR levels across tests, which mostly measure the topic and the day.

How (see the model card ``engagement.upworthy.v1.md`` for data, figures and limits):

- Features: TF-IDF word 1-2-grams and char_wb 2-5-grams, a few text statistics (length, ``?``,
  ``you``, digits, quotes...) and the 28 raw logits of the shipped emotion encoder
  (``emotion.goemotions.v1``), both standardized.
- Fit: a weighted ridge regression on *within-test de-meaned* features and targets (a fixed
  effect per test): the target is each text's smoothed log-odds CTR, its weight the inverse of
  its sampling variance plus a between-text variance ``tau2``. Solved by preconditioned
  conjugate gradients on numpy: no scikit-learn at fit or run time.
- Uncertainty: ``n_bootstrap`` refits on tests resampled with replacement. Their spread is the
  text's model uncertainty; the out-of-bag predictions give the out-of-sample residual variance,
  so ``uncertainty**2`` averages to the out-of-sample squared error of ``score``.
- Win probabilities: ``sigmoid(temperature * (score_a - score_b))``, the temperature fitted on
  out-of-bag pairs to the observed winner of an Upworthy-sized A/B test (package against
  package, a few thousand impressions per arm). Symmetric by construction.
- Per workspace: ``with_results`` refits the temperature on a workspace's own completed
  experiments (a MAP estimate around the global one) once there are enough of them.

Nothing is read at import time: ``EngagementModel.load()`` opens the artifact on first use.
"""

from __future__ import annotations

import copy
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from brandloom.analysis import artifacts
from brandloom.analysis.artifacts import Artifact
from brandloom.analysis.features import SparseRows, Tfidf, sigmoid

NAME = "engagement.upworthy.v1"
ENCODER = "emotion.goemotions.v1"
N_EMOTIONS = 28

# Per-workspace learning starts only from this many completed experiments whose every arm was
# shown at least this often: below them a workspace's winners are mostly noise (the observed
# winner of a 1,000-impression arm pair flips on a handful of clicks), and the global model is
# the better guess.
MIN_EXPERIMENTS = 30
MIN_ARM_IMPRESSIONS = 1_000

# A longer text is judged on its beginning; bounds the cost of one prediction.
MAX_CHARS = 2_000

_WORDS = re.compile(r"\w+(?:'\w+)?")

# Text statistics, each counted (capped at 3) per text. English cues: the model was trained on
# English headlines.
_CUES: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, flags)
    for name, pattern, flags in [
        ("second_person", r"\b(?:you|your|you're|yours|yourself)\b", re.IGNORECASE),
        ("first_person", r"\b(?:i|me|my|i'm|i've|mine)\b", re.IGNORECASE),
        ("we", r"\b(?:we|our|us|we're)\b", re.IGNORECASE),
        ("this", r"\b(?:this|these)\b", re.IGNORECASE),
        ("question", r"\?", 0),
        ("exclamation", r"!", 0),
        ("colon", r":", 0),
        ("quote", r"['\"“”‘’]\w", 0),
        ("digit", r"\d+", 0),
        ("starts_with_digit", r"^\W*\d", 0),
        ("wh_word", r"\b(?:what|why|how|when|who|which)\b", re.IGNORECASE),
        ("negation", r"\b(?:not|no|never|don't|can't|won't|isn't|didn't)\b", re.IGNORECASE),
        ("superlative", r"\b(?:ever|best|worst|most|greatest)\b", re.IGNORECASE),
        ("video", r"\b(?:video|watch|watching|minutes?|seconds?)\b", re.IGNORECASE),
        ("dash", r" [-–—] ", 0),
        ("ellipsis", r"\.\.\.|…", 0),
        ("sentence_break", r"[.!?]\s+\S", 0),
        ("all_caps_word", r"\b[A-Z]{2,}\b", 0),
        ("asterisk", r"\*", 0),
    ]
}
STATISTICS: tuple[str, ...] = (
    "log_chars",
    "log_words",
    "mean_word_length",
    "capitalized_share",
    *_CUES,
)


@dataclass(frozen=True)
class Prediction:
    """A text's expected engagement relative to a typical sibling.

    ``score``: predicted lift of the click-through rate in log-odds over the average headline of
    the training data (0 = typical; +0.05 ~ 5 % more clicks). ``uncertainty``: the standard
    deviation of the text's true lift around ``score``, same scale (model spread plus the
    out-of-sample error)."""

    score: float
    uncertainty: float


@dataclass(frozen=True)
class Arm:
    """One arm of a finished experiment: the text shown and what it got."""

    text: str
    impressions: int
    clicks: int


@dataclass(frozen=True)
class ExperimentResult:
    """A workspace's experiment: its arms (two or more texts shown to one audience)."""

    arms: tuple[Arm, ...]
    completed: bool = True

    def qualifies(self) -> bool:
        """Counts towards per-workspace learning: completed, at least two distinct texts, and
        every arm shown at least ``MIN_ARM_IMPRESSIONS`` times."""
        return (
            self.completed
            and len({arm.text for arm in self.arms}) >= 2
            and all(arm.impressions >= MIN_ARM_IMPRESSIONS for arm in self.arms)
        )


def text_statistics(texts: Sequence[str]) -> np.ndarray:
    """``(len(texts), len(STATISTICS))`` raw text statistics (unstandardized)."""
    out = np.zeros((len(texts), len(STATISTICS)), dtype=np.float64)
    for row, text in enumerate(texts):
        text = text[:MAX_CHARS]
        words = _WORDS.findall(text)
        n_words = max(1, len(words))
        out[row, 0] = math.log1p(len(text))
        out[row, 1] = math.log1p(len(words))
        out[row, 2] = sum(len(word) for word in words) / n_words
        out[row, 3] = sum(1 for word in words if word[:1].isupper()) / n_words
        for column, pattern in enumerate(_CUES.values(), start=4):
            out[row, column] = min(3, len(pattern.findall(text)))
    return out


def emotion_logits(texts: Sequence[str]) -> np.ndarray:
    """``(len(texts), 28)`` raw logits of the shipped emotion encoder (a feature block)."""
    # Imported here: the encoder (onnxruntime) loads only when a prediction needs it.
    from brandloom.analysis.emotion import EmotionModel

    if not texts:
        return np.zeros((0, N_EMOTIONS), dtype=np.float64)
    logits = EmotionModel.load().encoder_.logits([text[:MAX_CHARS] for text in texts])
    return np.asarray(logits, dtype=np.float64)


def _encoder_sha256() -> str:
    from brandloom.analysis.sentiment import encoder_sha256

    return encoder_sha256(ENCODER)


class EngagementModel:
    """Expected engagement of a text from within-test A/B contrasts (see the module docstring).

    Parameters: ``alpha`` (ridge penalty), ``tau2`` (between-text variance of true log-odds lifts
    added to each text's sampling variance in its weight, so a text with many clicks does not
    drown the others), vocabulary caps, ``dense_scale`` (how much the standardized statistics and
    encoder logits weigh against the TF-IDF block under the one penalty), ``use_encoder``,
    ``n_bootstrap`` (refits for the uncertainty and the out-of-bag calibration),
    ``random_state``.
    """

    def __init__(
        self,
        *,
        alpha: float = 100.0,
        tau2: float = 0.02,
        word_features: int = 20_000,
        char_features: int = 30_000,
        min_df: int = 2,
        dense_scale: float = 1.0,
        use_encoder: bool = True,
        n_bootstrap: int = 8,
        random_state: int = 20240601,
        tol: float = 1e-5,
        max_iter: int = 2_000,
    ) -> None:
        self.alpha = alpha
        self.tau2 = tau2
        self.word_features = word_features
        self.char_features = char_features
        self.min_df = min_df
        self.dense_scale = dense_scale
        self.use_encoder = use_encoder
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state
        self.tol = tol
        self.max_iter = max_iter

    vectorizers_: list[Tfidf]
    sparse_coef_: np.ndarray  # (n_tfidf, 1 + n_bootstrap): column 0 the full fit
    dense_coef_: np.ndarray  # (n_dense, 1 + n_bootstrap)
    dense_mean_: np.ndarray
    dense_std_: np.ndarray
    offset_: float  # raw score of the average training text
    scale_: float  # out-of-bag slope: raw score differences -> observed log-odds differences
    noise_var_: float  # out-of-sample error variance not explained by the bootstrap spread
    temperature_: float
    global_temperature_: float
    results_: int  # qualifying workspace experiments behind temperature_ (0: global)
    encoder_sha256_: str | None
    meta_: dict[str, Any]

    # ------------------------------------------------------------------ training

    def fit(
        self,
        texts: Sequence[str],
        groups: Sequence[str],
        impressions: Sequence[float],
        clicks: Sequence[float],
        *,
        sample_weight: Sequence[float] | None = None,
        emotion: np.ndarray | None = None,
    ) -> EngagementModel:
        """Learn from A/B packages: one row per package, ``groups`` the test it belongs to.

        Packages of one test that share a text are pooled (many tests vary only the image);
        tests with fewer than two distinct texts carry no text contrast and are skipped.
        ``sample_weight`` scales each package's weight (e.g. to down-weight a period with known
        randomization problems); ``emotion``: the encoder's logits of ``texts`` when the caller
        has them (benchmarks reuse them across folds)."""
        rows = len(texts)
        if not (len(groups) == len(impressions) == len(clicks) == rows):
            raise ValueError("texts, groups, impressions and clicks differ in length")
        weights = np.ones(rows) if sample_weight is None else np.asarray(sample_weight, float)
        units = _pool(texts, groups, impressions, clicks, weights)
        if units.n_groups == 0:
            raise ValueError("no test has two distinct texts: nothing to learn from")
        unit_emotion = None
        if self.use_encoder and emotion is not None:
            unit_emotion = np.asarray(emotion, dtype=np.float64)[units.first_row]

        self.vectorizers_ = [
            _fit_tfidf(units.texts, "word", (1, 2), self.min_df, self.word_features),
            _fit_tfidf(units.texts, "char_wb", (2, 5), self.min_df, self.char_features),
        ]
        self.encoder_sha256_ = _encoder_sha256() if self.use_encoder else None
        raw_dense = self._raw_dense(units.texts, unit_emotion)
        self.dense_mean_ = raw_dense.mean(axis=0)
        self.dense_std_ = raw_dense.std(axis=0)
        self.dense_std_[self.dense_std_ < 1e-9] = 1.0
        sparse = self._sparse(units.texts)
        dense = self._standardize(raw_dense)

        target = np.log((units.clicks + 0.5) / (units.impressions - units.clicks + 0.5))
        variance = 1.0 / (units.clicks + 0.5) + 1.0 / (units.impressions - units.clicks + 0.5)
        unit_weight = units.weight / (variance + self.tau2)

        solve = _RidgeProblem(sparse, dense, target, unit_weight, units.group, self.alpha)
        full = solve(None, self.tol, self.max_iter)
        columns = [full]
        rng = np.random.default_rng(self.random_state)
        out_of_bag = np.zeros(len(target))
        out_of_bag_n = np.zeros(len(target))
        for _ in range(self.n_bootstrap):
            counts = np.bincount(
                rng.integers(0, units.n_groups, units.n_groups), minlength=units.n_groups
            ).astype(np.float64)
            beta = solve.refit(counts[units.group], full, self.tol, self.max_iter)
            columns.append(beta)
            unseen = counts[units.group] == 0
            out_of_bag[unseen] += solve.raw_scores(beta)[unseen]
            out_of_bag_n[unseen] += 1
        coef = np.stack(columns, axis=1)
        n_sparse = sparse.n_cols
        self.sparse_coef_ = coef[:n_sparse].astype(np.float32)
        self.dense_coef_ = coef[n_sparse:].astype(np.float32)

        raw = self._raw_scores(sparse, dense)
        self.offset_ = float(np.average(raw[:, 0], weights=unit_weight))
        self.results_ = 0
        self.meta_ = {
            "training": {
                "packages": rows,
                "texts": len(units.texts),
                "tests": units.n_groups,
            }
        }
        seen = out_of_bag_n > 0
        if self.n_bootstrap >= 2 and _tests_with_two(units.group[seen]) >= 10:
            spread = raw[:, 1:].std(axis=1, ddof=1)
            self._calibrate(
                units,
                np.where(seen, out_of_bag / np.maximum(out_of_bag_n, 1), np.nan),
                target,
                variance,
                unit_weight,
                spread,
                texts,
                groups,
                impressions,
                clicks,
            )
        else:  # too little to calibrate on: raw scores, a unit temperature, no noise term
            self.scale_, self.noise_var_ = 1.0, 0.0
            self.temperature_ = self.global_temperature_ = 1.0
        return self

    def _calibrate(
        self,
        units: _Units,
        out_of_bag: np.ndarray,
        target: np.ndarray,
        variance: np.ndarray,
        weight: np.ndarray,
        spread: np.ndarray,
        texts: Sequence[str],
        groups: Sequence[str],
        impressions: Sequence[float],
        clicks: Sequence[float],
    ) -> None:
        """Scale, noise variance and temperature from the out-of-bag predictions."""
        seen = ~np.isnan(out_of_bag)
        group, w = units.group[seen], weight[seen]
        predicted = _demean(np.nan_to_num(out_of_bag)[seen], w, group)
        observed = _demean(target[seen], w, group)
        slope = float(np.sum(w * predicted * observed) / max(np.sum(w * predicted**2), 1e-12))
        self.scale_ = min(max(slope, 0.25), 4.0)
        error = observed - self.scale_ * predicted
        # Removing a test's weighted mean shrinks a unit's error: with independent errors of
        # variance s_i, Var(e_i - mean) = s_i (1 - 2 w_i / W) + sum_j w_j^2 s_j / W^2. Applied
        # to the sampling variances (known) and to a common noise variance (wanted).
        total = np.bincount(group, weights=w)[group]
        share = w / total
        sampling_var = variance[seen]
        sampling = (
            sampling_var * (1 - 2 * share)
            + np.bincount(group, weights=w**2 * sampling_var)[group] / total**2
        )
        shrink = 1 - 2 * share + np.bincount(group, weights=w**2)[group] / total**2
        spread_var = (self.scale_ * spread[seen]) ** 2
        mean_square = float(np.sum(w * (error**2 - sampling)) / np.sum(w * shrink))
        self.noise_var_ = max(mean_square - float(np.average(spread_var, weights=w)), 1e-6)

        # The temperature: the observed winner of package pairs (different texts) in the
        # out-of-bag tests, against their out-of-bag score difference.
        score_of = {
            (units.group_names[units.group[i]], units.texts[i]): out_of_bag[i]
            for i in np.flatnonzero(seen)
        }
        diffs, wins = _package_pairs(texts, groups, impressions, clicks, score_of)
        self.temperature_ = self.global_temperature_ = _fit_temperature(
            self.scale_ * diffs, wins, np.ones(len(wins)), prior=None
        )

    # ------------------------------------------------------------------ prediction

    def predict(
        self, texts: Sequence[str], *, emotion: np.ndarray | None = None
    ) -> list[Prediction]:
        """Score and uncertainty of each text (see ``Prediction`` for the units)."""
        raw = self.raw_scores(texts, emotion=emotion)
        score = self.scale_ * (raw[:, 0] - self.offset_)
        if raw.shape[1] > 2:
            spread = self.scale_ * raw[:, 1:].std(axis=1, ddof=1)
        else:
            spread = np.zeros(len(score))
        uncertainty = np.sqrt(self.noise_var_ + spread**2)
        return [
            Prediction(score=float(s), uncertainty=float(u))
            for s, u in zip(score, uncertainty, strict=True)
        ]

    def scores(self, texts: Sequence[str], *, emotion: np.ndarray | None = None) -> np.ndarray:
        """``predict``'s scores alone, as an array."""
        raw = self.raw_scores(texts, emotion=emotion)
        return np.asarray(self.scale_ * (raw[:, 0] - self.offset_))

    def raw_scores(self, texts: Sequence[str], *, emotion: np.ndarray | None = None) -> np.ndarray:
        """``(len(texts), 1 + n_bootstrap)`` unscaled linear scores: the full fit, then each
        bootstrap refit."""
        texts = [text[:MAX_CHARS] for text in texts]
        dense = self._standardize(self._raw_dense(texts, emotion))
        return self._raw_scores(self._sparse(texts), dense)

    def win_probability(self, a: str, b: str) -> float:
        """Probability that ``a`` gets the higher click-through rate when tested against ``b``
        (calibrated on A/B tests of a few thousand impressions per arm). ``p(a, b) + p(b, a)``
        is 1, and a text against itself gets 0.5."""
        if a == b:
            return 0.5
        score = self.scores([a, b])
        return float(sigmoid(np.asarray([self.temperature_ * (score[0] - score[1])]))[0])

    def win_matrix(self, texts: Sequence[str]) -> np.ndarray:
        """``P[i, j]``: probability that text ``i`` beats text ``j`` (0.5 on the diagonal)."""
        score = self.scores(texts)
        matrix = sigmoid(self.temperature_ * (score[:, None] - score[None, :]))
        np.fill_diagonal(matrix, 0.5)
        return matrix

    def rank(self, texts: Sequence[str]) -> list[tuple[int, float]]:
        """Texts best first as ``(index, probability)``: the probability is the text's mean
        win probability against each of the others (a lone text gets 0.5). Ties keep input
        order."""
        texts = list(texts)
        if not texts:
            return []
        if len(texts) == 1:
            return [(0, 0.5)]
        matrix = self.win_matrix(texts)
        field = (matrix.sum(axis=1) - 0.5) / (len(texts) - 1)
        order = sorted(range(len(texts)), key=lambda i: (-field[i], i))
        return [(i, float(field[i])) for i in order]

    # ------------------------------------------------------------------ per workspace

    @property
    def basis(self) -> str:
        """``"global prior"``, or ``"calibrated on N results"`` after ``with_results``."""
        if self.results_ == 0:
            return "global prior"
        return f"calibrated on {self.results_} results"

    def with_results(self, experiments: Iterable[ExperimentResult]) -> EngagementModel:
        """This model recalibrated on a workspace's own experiments, or this very model while
        fewer than ``MIN_EXPERIMENTS`` qualify (``ExperimentResult.qualifies``).

        The scores stay those of the global model; what a workspace changes is how far a
        score difference is trusted: the win-probability temperature is refitted on the
        observed winners of its experiments' arm pairs (each experiment weighing one), as a
        MAP estimate under a normal prior centred on the global temperature (standard
        deviation: the global temperature), floored at 0 (a model that ranks a workspace's
        texts no better than chance gives it 0.5). Always starts from the global
        temperature, so calling it again with a longer history replaces, not compounds."""
        kept = [experiment for experiment in experiments if experiment.qualifies()]
        if len(kept) < MIN_EXPERIMENTS:
            return (
                self if self.results_ == 0 else self._with_temperature(self.global_temperature_, 0)
            )
        texts = sorted({arm.text for experiment in kept for arm in experiment.arms})
        score_of = dict(zip(texts, self.scores(texts).tolist(), strict=True))
        diffs: list[float] = []
        wins: list[float] = []
        weights: list[float] = []
        for experiment in kept:
            pairs = [
                (a, b)
                for i, a in enumerate(experiment.arms)
                for b in experiment.arms[i + 1 :]
                if a.text != b.text and a.clicks * b.impressions != b.clicks * a.impressions
            ]
            for a, b in pairs:
                diffs.append(score_of[a.text] - score_of[b.text])
                wins.append(1.0 if a.clicks * b.impressions > b.clicks * a.impressions else 0.0)
                weights.append(1.0 / len(pairs))
        temperature = _fit_temperature(
            np.asarray(diffs),
            np.asarray(wins),
            np.asarray(weights),
            prior=(self.global_temperature_, max(self.global_temperature_, 1e-3)),
        )
        return self._with_temperature(max(temperature, 0.0), len(kept))

    def _with_temperature(self, temperature: float, results: int) -> EngagementModel:
        model = copy.copy(self)  # shares the (read-only) arrays
        model.temperature_ = temperature
        model.results_ = results
        return model

    # ------------------------------------------------------------------ serialization

    def to_artifact(self, name: str = NAME, *, figures: dict[str, Any] | None = None) -> Artifact:
        """The learned state as an ``Artifact`` (``.npz`` arrays + JSON meta, no pickle)."""
        meta: dict[str, Any] = {
            "params": {
                "alpha": self.alpha,
                "tau2": self.tau2,
                "word_features": self.word_features,
                "char_features": self.char_features,
                "min_df": self.min_df,
                "dense_scale": self.dense_scale,
                "use_encoder": self.use_encoder,
                "n_bootstrap": self.n_bootstrap,
                "random_state": self.random_state,
            },
            "statistics": list(STATISTICS),
            "offset": self.offset_,
            "scale": self.scale_,
            "noise_var": self.noise_var_,
            "temperature": self.temperature_,
            "global_temperature": self.global_temperature_,
            "results": self.results_,
            "encoder": (
                {"artifact": ENCODER, "onnx_sha256": self.encoder_sha256_}
                if self.use_encoder
                else None
            ),
            "vectorizers": [],
            **self.meta_,
        }
        if figures is not None:
            meta["figures"] = figures
        arrays: dict[str, np.ndarray] = {
            "sparse_coef": self.sparse_coef_,
            "dense_coef": self.dense_coef_,
            "dense_mean": self.dense_mean_.astype(np.float64),
            "dense_std": self.dense_std_.astype(np.float64),
        }
        for i, vectorizer in enumerate(self.vectorizers_):
            v_meta, v_arrays = vectorizer.to_state(f"tfidf{i}")
            meta["vectorizers"].append(v_meta)
            arrays.update(v_arrays)
        return Artifact(name=name, meta=meta, arrays=arrays)

    @classmethod
    def from_artifact(cls, artifact: Artifact) -> EngagementModel:
        """Rebuild from ``to_artifact``'s state; refuses an artifact trained on another
        emotion encoder than the installed one."""
        meta = artifact.meta
        try:
            model = cls(**meta["params"])
            model.vectorizers_ = [
                Tfidf.from_state(v_meta, artifact.arrays, f"tfidf{i}")
                for i, v_meta in enumerate(meta["vectorizers"])
            ]
            model.sparse_coef_ = artifact.arrays["sparse_coef"].astype(np.float32)
            model.dense_coef_ = artifact.arrays["dense_coef"].astype(np.float32)
            model.dense_mean_ = artifact.arrays["dense_mean"].astype(np.float64)
            model.dense_std_ = artifact.arrays["dense_std"].astype(np.float64)
            model.offset_ = float(meta["offset"])
            model.scale_ = float(meta["scale"])
            model.noise_var_ = float(meta["noise_var"])
            model.temperature_ = float(meta["temperature"])
            model.global_temperature_ = float(meta["global_temperature"])
            model.results_ = int(meta["results"])
            statistics = list(meta["statistics"])
        except (KeyError, TypeError, ValueError) as exc:
            raise artifacts.ArtifactError(f"{artifact.name} is incomplete: {exc}") from exc
        if statistics != list(STATISTICS):
            raise artifacts.ArtifactError(
                f"{artifact.name} was trained on other text statistics; rebuild it with "
                "`python scripts/train/engagement.py`"
            )
        n_sparse = sum(v.n_features for v in model.vectorizers_)
        n_dense = len(STATISTICS) + (N_EMOTIONS if model.use_encoder else 0)
        if model.sparse_coef_.shape[0] != n_sparse or model.dense_coef_.shape[0] != n_dense:
            raise artifacts.ArtifactError(f"{artifact.name}: coefficients do not fit the features")
        encoder = meta.get("encoder")
        model.encoder_sha256_ = None
        if model.use_encoder:
            if not isinstance(encoder, dict) or encoder.get("artifact") != ENCODER:
                raise artifacts.ArtifactError(f"{artifact.name} names no emotion encoder")
            if _encoder_sha256() != encoder["onnx_sha256"]:
                raise artifacts.ArtifactError(
                    f"{artifact.name} was trained on another emotion encoder than the installed "
                    f"{ENCODER}.onnx; rebuild it with `python scripts/train/engagement.py`"
                )
            model.encoder_sha256_ = str(encoder["onnx_sha256"])
        model.meta_ = {key: value for key, value in meta.items() if key in ("training", "figures")}
        return model

    @classmethod
    def load(cls) -> EngagementModel:
        """The shipped model, opened once per process."""
        return artifacts.opened_once(NAME, lambda: cls.from_artifact(artifacts.load(NAME)))

    # ------------------------------------------------------------------ features

    def _raw_dense(self, texts: Sequence[str], emotion: np.ndarray | None) -> np.ndarray:
        blocks = [text_statistics(texts)]
        if self.use_encoder:
            logits = emotion_logits(texts) if emotion is None else np.asarray(emotion, float)
            if logits.shape != (len(texts), N_EMOTIONS):
                raise ValueError(f"emotion logits are {logits.shape}, not ({len(texts)}, 28)")
            blocks.append(logits)
        return np.hstack(blocks)

    def _standardize(self, raw: np.ndarray) -> np.ndarray:
        return np.asarray((raw - self.dense_mean_) / self.dense_std_ * self.dense_scale)

    def _sparse(self, texts: Sequence[str]) -> SparseRows:
        return SparseRows.hstack([v.transform(texts) for v in self.vectorizers_])

    def _raw_scores(self, sparse: SparseRows, dense: np.ndarray) -> np.ndarray:
        scores = sparse.dot(self.sparse_coef_) + dense @ self.dense_coef_.astype(np.float64)
        return np.asarray(scores, dtype=np.float64)


# ---------------------------------------------------------------------- training helpers


@dataclass
class _Units:
    """Distinct (test, text) units with pooled counts, in tests of two or more texts."""

    texts: list[str]
    group: np.ndarray  # index into group_names
    group_names: list[str]
    impressions: np.ndarray
    clicks: np.ndarray
    weight: np.ndarray
    first_row: np.ndarray  # a package row of each unit (to pick its features)

    @property
    def n_groups(self) -> int:
        return len(self.group_names)


def _pool(
    texts: Sequence[str],
    groups: Sequence[str],
    impressions: Sequence[float],
    clicks: Sequence[float],
    weights: np.ndarray,
) -> _Units:
    pooled: dict[tuple[str, str], list[float]] = {}
    first: dict[tuple[str, str], int] = {}
    for row, key in enumerate(zip(groups, texts, strict=True)):
        n, c = float(impressions[row]), float(clicks[row])
        if n <= 0 or c < 0 or c > n:
            continue
        acc = pooled.setdefault(key, [0.0, 0.0, 0.0])
        acc[0] += n
        acc[1] += c
        acc[2] += weights[row] * n
        first.setdefault(key, row)
    per_group = Counter(group for group, _ in pooled)
    names = sorted(group for group, count in per_group.items() if count >= 2)
    index = {name: i for i, name in enumerate(names)}
    keys = [key for key in pooled if key[0] in index]
    n_arr = np.asarray([pooled[k][0] for k in keys])
    return _Units(
        texts=[text[:MAX_CHARS] for _, text in keys],
        group=np.asarray([index[g] for g, _ in keys], dtype=np.int64),
        group_names=names,
        impressions=n_arr,
        clicks=np.asarray([pooled[k][1] for k in keys]),
        weight=np.asarray([pooled[k][2] for k in keys]) / np.maximum(n_arr, 1.0),
        first_row=np.asarray([first[k] for k in keys], dtype=np.int64),
    )


def _tests_with_two(group: np.ndarray) -> int:
    return int(np.sum(np.bincount(group) >= 2)) if len(group) else 0


def _fit_tfidf(
    texts: Sequence[str], analyzer: str, ngram_range: tuple[int, int], min_df: int, cap: int
) -> Tfidf:
    """A ``Tfidf`` fitted as scikit-learn's ``TfidfVectorizer(sublinear_tf=True, min_df=...,
    max_features=...)`` would be (smooth idf; the most frequent terms kept), in numpy."""
    vectorizer = Tfidf(analyzer=analyzer, ngram_range=ngram_range, sublinear_tf=True)
    document_frequency: Counter[str] = Counter()
    term_frequency: Counter[str] = Counter()
    for text in texts:
        counts = Counter(vectorizer.terms(text))
        term_frequency.update(counts)
        document_frequency.update(counts.keys())
    kept = [term for term, df in document_frequency.items() if df >= min_df and "\x00" not in term]
    kept.sort(key=lambda term: (-term_frequency[term], term))
    kept = sorted(kept[:cap])
    vectorizer.vocabulary_ = {term: i for i, term in enumerate(kept)}
    df = np.asarray([document_frequency[term] for term in kept], dtype=np.float64)
    vectorizer.idf_ = (np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0).astype(np.float32)
    return vectorizer


def _rmatvec(rows: SparseRows, values: np.ndarray) -> np.ndarray:
    """``rows.T @ values`` for one vector."""
    repeated = np.repeat(values, np.diff(rows.indptr))
    return np.bincount(rows.indices, weights=rows.data * repeated, minlength=rows.n_cols)


def _demean(values: np.ndarray, weight: np.ndarray, group: np.ndarray) -> np.ndarray:
    totals = np.bincount(group, weights=weight)
    means = np.bincount(group, weights=weight * values) / np.where(totals > 0, totals, 1.0)
    return np.asarray(values - means[group])


class _RidgeProblem:
    """``min_b  sum_i w_i (P y - P X b)_i^2 + alpha |b|^2`` where ``P`` removes each test's
    weighted mean (a fixed effect per test), solved by preconditioned conjugate gradients."""

    def __init__(
        self,
        sparse: SparseRows,
        dense: np.ndarray,
        target: np.ndarray,
        weight: np.ndarray,
        group: np.ndarray,
        alpha: float,
    ) -> None:
        self.sparse, self.dense, self.target = sparse, dense, target
        self.weight, self.group, self.alpha = weight, group, alpha
        self.n_sparse = sparse.n_cols

    def raw_scores(self, beta: np.ndarray) -> np.ndarray:
        return np.asarray(
            self.sparse.dot(beta[: self.n_sparse, None])[:, 0] + self.dense @ beta[self.n_sparse :]
        )

    def _back(self, values: np.ndarray) -> np.ndarray:
        return np.concatenate([_rmatvec(self.sparse, values), self.dense.T @ values])

    def __call__(self, start: np.ndarray | None, tol: float, max_iter: int) -> np.ndarray:
        return self.refit(np.ones(len(self.target)), start, tol, max_iter)

    def refit(
        self, multiplier: np.ndarray, start: np.ndarray | None, tol: float, max_iter: int
    ) -> np.ndarray:
        """Solve with each unit's weight multiplied (bootstrap counts), from ``start``."""
        w = self.weight * multiplier
        group = self.group

        def normal(beta: np.ndarray) -> np.ndarray:
            # X' W P X b: since P is W-self-adjoint and idempotent, P' W P = W P.
            scores = self.raw_scores(beta)
            return self._back(w * _demean(scores, w, group)) + self.alpha * beta

        rhs = self._back(w * _demean(self.target, w, group))
        squared = self.sparse.data**2 * np.repeat(w, np.diff(self.sparse.indptr))
        diagonal = np.concatenate(
            [
                np.bincount(self.sparse.indices, weights=squared, minlength=self.n_sparse),
                (w[:, None] * self.dense**2).sum(axis=0),
            ]
        )
        inverse = 1.0 / (diagonal + self.alpha)
        beta = np.zeros(len(rhs)) if start is None else start.copy()
        residual = rhs - normal(beta)
        z = inverse * residual
        direction = z.copy()
        rz = float(residual @ z)
        bound = tol * float(np.linalg.norm(rhs))
        for _ in range(max_iter):
            if float(np.linalg.norm(residual)) <= bound:
                break
            step_vector = normal(direction)
            step = rz / float(direction @ step_vector)
            beta += step * direction
            residual -= step * step_vector
            z = inverse * residual
            rz_next = float(residual @ z)
            direction = z + (rz_next / rz) * direction
            rz = rz_next
        return beta


def _package_pairs(
    texts: Sequence[str],
    groups: Sequence[str],
    impressions: Sequence[float],
    clicks: Sequence[float],
    score_of: dict[tuple[str, str], float],
) -> tuple[np.ndarray, np.ndarray]:
    """Score differences and observed wins (1: the first had the higher CTR) of package
    pairs with different texts inside a test, for tests in ``score_of``; CTR ties skipped."""
    by_group: dict[str, list[int]] = {}
    for row, group in enumerate(groups):
        if (group, texts[row][:MAX_CHARS]) in score_of and impressions[row] > 0:
            by_group.setdefault(group, []).append(row)
    diffs: list[float] = []
    wins: list[float] = []
    for group, rows in by_group.items():
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                if texts[a] == texts[b]:
                    continue
                left = clicks[a] * impressions[b]
                right = clicks[b] * impressions[a]
                if left == right:
                    continue
                diffs.append(
                    score_of[(group, texts[a][:MAX_CHARS])]
                    - score_of[(group, texts[b][:MAX_CHARS])]
                )
                wins.append(1.0 if left > right else 0.0)
    return np.asarray(diffs), np.asarray(wins)


def _fit_temperature(
    diffs: np.ndarray,
    wins: np.ndarray,
    weights: np.ndarray,
    *,
    prior: tuple[float, float] | None,
) -> float:
    """The ``t`` of ``P(win) = sigmoid(t * diff)`` (no intercept: symmetric) by Newton's method
    on the weighted log-loss, plus a normal prior ``(mean, sd)`` on ``t`` when given."""
    if len(diffs) == 0:
        return prior[0] if prior is not None else 1.0
    t = prior[0] if prior is not None else 0.0
    for _ in range(100):
        p = sigmoid(t * diffs)
        gradient = float(np.sum(weights * (p - wins) * diffs))
        hessian = float(np.sum(weights * p * (1 - p) * diffs**2))
        if prior is not None:
            gradient += (t - prior[0]) / prior[1] ** 2
            hessian += 1.0 / prior[1] ** 2
        if hessian <= 1e-12:
            break
        step = gradient / hessian
        t -= step
        if abs(step) < 1e-9 * max(1.0, abs(t)):
            break
    return float(t)
