"""Predicted performance: does the engagement model pick the A/B winner? Cross-validated.

    python benchmarks/eval_prediction.py [--data ../shared/data] [--folds 5] [--candidates]

Data: ``upworthy_headlines`` (Upworthy Research Archive, exploratory packages, the shared part):
one row per package (headline + image) of a headline A/B test (``clickability_test_id``).

Protocol:
- **Folds by test**: a test's packages are all in one fold (``sha256("fold:" + test id) % 5``;
  salted, because the shared/held-out split already used ``sha1(test id) % 5``). Per fold, the
  recipe (``EngagementModel()``, the shipped parameters) is fitted on the other folds and scores
  the packages of this one. Nothing here is tuned on: the shipped parameters were fixed first.
- **Training** uses every test, the 2013-26..2014-02 weeks included; **evaluation** skips the
  tests of test_week 201326-201402 (the archive's randomization problem).
- **Pairs**: every two packages of one test whose headlines differ (tests that vary only the
  image give none); a pair whose CTRs are equal has no winner and is left out. Pairwise
  accuracy: the higher-scored package had the higher CTR; equal scores count half.
- **Significant pair**: two-proportion z-test on clicks / impressions (pooled proportion),
  two-sided p < 0.05.
- **Novel-headline pairs**: neither headline (case and spacing folded) occurs anywhere in the
  training folds (Upworthy re-tested headlines, and a seen one is partly remembered).
- 95 % intervals: percentile bootstrap over validation tests (2,000 resamples, seeded).
- **Calibration**: the predicted P(first package's CTR is higher), which package is first
  decided by a hash of the pair (the file lists winners first), in 10 equal-width bins; Brier
  score; ECE = sum over bins of (share of pairs) x |mean predicted - observed frequency|. The
  model's win probability is calibrated on package pairs of all sizes, so it is the chance to
  win an Upworthy-sized test, not the chance to win a significant one.
- **Uncertainty check** (headline level: packages of one headline pooled per test): for pairs
  of headlines, z = (observed - predicted log-odds difference) / sqrt(u_a^2 + u_b^2 + sampling
  variances); calibrated uncertainties give sd(z) ~ 1 and |z| < 1.96 for ~95 %.
- Baseline: headline length in characters, its direction (longer or shorter wins) taken from
  the training folds.
- Speed: the shipped artifact, cold (a fresh process: import, load, first prediction with the
  emotion encoder opened) and ``predict`` throughput on distinct headlines.

``--candidates`` also cross-validates the alternatives compared before the recipe was fixed
(without bootstrap refits; the pairwise logistic and the across-test ridge need scikit-learn).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from brandloom.prediction.model import (  # noqa: E402
    EngagementModel,
    emotion_logits,
    text_statistics,
)

SEED = 20240601
WINDOW = (201326, 201402)  # test weeks with the archive's randomization problem
BOOTSTRAP = 2_000
BINS = 10
SIGNIFICANCE = 0.05


@dataclass
class Packages:
    texts: list[str]
    groups: list[str]
    impressions: np.ndarray
    clicks: np.ndarray
    week: np.ndarray

    @property
    def in_window(self) -> np.ndarray:
        return (self.week >= WINDOW[0]) & (self.week <= WINDOW[1])


def read(data: Path) -> Packages:
    path = data / "upworthy_headlines" / "upworthy_exploratory_shared.csv"
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    return Packages(
        texts=[row["headline"] for row in rows],
        groups=[row["clickability_test_id"] for row in rows],
        impressions=np.asarray([float(row["impressions"]) for row in rows]),
        clicks=np.asarray([float(row["clicks"]) for row in rows]),
        week=np.asarray([int(row["test_week"]) for row in rows]),
    )


def fold_of(test_id: str, folds: int) -> int:
    return int(hashlib.sha256(f"fold:{test_id}".encode()).hexdigest(), 16) % folds


def folded(text: str) -> str:
    return " ".join(text.casefold().split())


def flip(test_id: str, a: str, b: str) -> bool:
    """Which package of a pair comes first: a coin tossed by a hash of the pair (the file's
    row order is no coin: within a test it tends to list the winner first)."""
    low, high = sorted((a, b))
    digest = hashlib.sha256(f"{test_id}\x00{low}\x00{high}".encode()).digest()
    return (digest[0] & 1) == (a == high)


def p_value(n_a: float, c_a: float, n_b: float, c_b: float) -> float:
    """Two-sided two-proportion z-test with the pooled proportion."""
    pooled = (c_a + c_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return 1.0
    z = (c_a / n_a - c_b / n_b) / se
    return math.erfc(abs(z) / math.sqrt(2))


def all_emotion_logits(texts: Sequence[str]) -> np.ndarray:
    """The encoder's logits of every package, computed once per distinct text."""
    distinct = sorted(set(texts))
    logits = emotion_logits(distinct)
    index = {text: i for i, text in enumerate(distinct)}
    return logits[[index[text] for text in texts]]


# A scorer is fitted on the training rows and returns (scores of the validation rows,
# temperature for win probabilities or None, uncertainties or None).
Scorer = Callable[
    [Packages, np.ndarray, np.ndarray, np.ndarray],
    tuple[np.ndarray, float | None, np.ndarray | None],
]


def shipped_scorer(**params: Any) -> Scorer:
    def score(
        packages: Packages, train: np.ndarray, valid: np.ndarray, emotion: np.ndarray
    ) -> tuple[np.ndarray, float | None, np.ndarray | None]:
        model = EngagementModel(**params).fit(
            [packages.texts[i] for i in train],
            [packages.groups[i] for i in train],
            packages.impressions[train],
            packages.clicks[train],
            emotion=emotion[train],
        )
        predictions = model.predict([packages.texts[i] for i in valid], emotion=emotion[valid])
        scores = np.asarray([p.score for p in predictions])
        uncertainty = np.asarray([p.uncertainty for p in predictions])
        return scores, model.temperature_, uncertainty

    return score


def length_scorer(
    packages: Packages, train: np.ndarray, valid: np.ndarray, emotion: np.ndarray
) -> tuple[np.ndarray, float | None, np.ndarray | None]:
    """Headline length, signed by whether longer headlines won more often in training."""
    lengths = np.asarray([len(text) for text in packages.texts], dtype=np.float64)
    pairs = package_pairs(packages, train, lengths[train])
    accuracy = float(np.mean(np.where(pairs.diff == 0, 0.5, (pairs.diff > 0) == pairs.win)))
    sign = 1.0 if accuracy >= 0.5 else -1.0
    return sign * lengths[valid], None, None


@dataclass
class Pairs:
    test: np.ndarray  # index of the test (for the bootstrap)
    diff: np.ndarray  # score of the first minus the second
    win: np.ndarray  # 1: the first had the higher CTR
    significant: np.ndarray
    novel: np.ndarray
    prob: np.ndarray  # calibrated P(first wins); NaN when the scorer has none


def package_pairs(
    packages: Packages,
    rows: np.ndarray,
    scores: np.ndarray,
    *,
    temperature: float | None = None,
    seen: set[str] | None = None,
) -> Pairs:
    """Pairs of packages with different headlines inside each test among ``rows``."""
    by_test: dict[str, list[int]] = defaultdict(list)
    for position, row in enumerate(rows):
        by_test[packages.groups[row]].append(position)
    out: dict[str, list[float]] = defaultdict(list)
    for t, (_, positions) in enumerate(sorted(by_test.items())):
        for i, first in enumerate(positions):
            for second in positions[i + 1 :]:
                a, b = first, second
                ra, rb = rows[a], rows[b]
                ta, tb = packages.texts[ra], packages.texts[rb]
                if ta == tb:
                    continue
                if flip(packages.groups[ra], ta, tb):
                    a, b, ra, rb, ta, tb = b, a, rb, ra, tb, ta
                na, ca = packages.impressions[ra], packages.clicks[ra]
                nb, cb = packages.impressions[rb], packages.clicks[rb]
                if na <= 0 or nb <= 0 or ca * nb == cb * na:
                    continue
                out["test"].append(t)
                out["diff"].append(scores[a] - scores[b])
                out["win"].append(float(ca * nb > cb * na))
                out["significant"].append(float(p_value(na, ca, nb, cb) < SIGNIFICANCE))
                novel = seen is not None and folded(ta) not in seen and folded(tb) not in seen
                out["novel"].append(float(novel))
    diff = np.asarray(out["diff"])
    prob = (
        1.0 / (1.0 + np.exp(-temperature * diff))
        if temperature is not None
        else np.full(len(diff), np.nan)
    )
    return Pairs(
        test=np.asarray(out["test"], dtype=np.int64),
        diff=diff,
        win=np.asarray(out["win"]),
        significant=np.asarray(out["significant"], dtype=bool),
        novel=np.asarray(out["novel"], dtype=bool),
        prob=prob,
    )


def concat(parts: Sequence[Pairs]) -> Pairs:
    offset = 0
    tests = []
    for part in parts:
        tests.append(part.test + offset)
        offset += int(part.test.max()) + 1 if len(part.test) else 0
    return Pairs(
        test=np.concatenate(tests),
        diff=np.concatenate([p.diff for p in parts]),
        win=np.concatenate([p.win for p in parts]),
        significant=np.concatenate([p.significant for p in parts]),
        novel=np.concatenate([p.novel for p in parts]),
        prob=np.concatenate([p.prob for p in parts]),
    )


def accuracy_with_ci(pairs: Pairs, mask: np.ndarray) -> dict[str, Any]:
    """Pairwise accuracy (ties half) and its 95 % bootstrap interval over tests."""
    correct = np.where(pairs.diff == 0, 0.5, (pairs.diff > 0) == (pairs.win > 0.5))[mask]
    tests = pairs.test[mask]
    if len(correct) == 0:
        return {"n": 0, "tests": 0, "accuracy": float("nan"), "ci": [float("nan")] * 2}
    _, index = np.unique(tests, return_inverse=True)
    n_tests = int(index.max()) + 1
    sums = np.bincount(index, weights=correct, minlength=n_tests)
    counts = np.bincount(index, minlength=n_tests).astype(np.float64)
    rng = np.random.default_rng(SEED)
    draws = rng.integers(0, n_tests, size=(BOOTSTRAP, n_tests))
    resampled = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    low, high = np.percentile(resampled, [2.5, 97.5])
    return {
        "n": len(correct),
        "tests": n_tests,
        "accuracy": round(float(correct.mean()), 4),
        "ci": [round(float(low), 4), round(float(high), 4)],
    }


def calibration(prob: np.ndarray, win: np.ndarray) -> dict[str, Any]:
    edges = np.linspace(0.0, 1.0, BINS + 1)
    which = np.clip(np.digitize(prob, edges[1:-1]), 0, BINS - 1)
    table = []
    ece = 0.0
    for b in range(BINS):
        mask = which == b
        if not mask.any():
            continue
        mean_p, observed = float(prob[mask].mean()), float(win[mask].mean())
        ece += mask.mean() * abs(mean_p - observed)
        table.append(
            {
                "bin": [round(edges[b], 1), round(edges[b + 1], 1)],
                "n": int(mask.sum()),
                "predicted": round(mean_p, 3),
                "observed": round(observed, 3),
            }
        )
    return {
        "brier": round(float(np.mean((prob - win) ** 2)), 4),
        "ece": round(float(ece), 4),
        "table": table,
    }


def headline_level_check(
    packages: Packages, rows: np.ndarray, scores: np.ndarray, uncertainty: np.ndarray
) -> tuple[list[float], list[float]]:
    """(correct per headline pair, z per headline pair) with packages pooled per headline."""
    pooled: dict[tuple[str, str], list[float]] = {}
    for position, row in enumerate(rows):
        key = (packages.groups[row], packages.texts[row])
        acc = pooled.setdefault(key, [0.0, 0.0, scores[position], uncertainty[position]])
        acc[0] += packages.impressions[row]
        acc[1] += packages.clicks[row]
    by_test: dict[str, list[list[float]]] = defaultdict(list)
    for (test, _), acc in pooled.items():
        if acc[0] > 0:
            by_test[test].append(acc)
    correct: list[float] = []
    zs: list[float] = []
    for units in by_test.values():
        for i, a in enumerate(units):
            for b in units[i + 1 :]:
                ya = math.log((a[1] + 0.5) / (a[0] - a[1] + 0.5))
                yb = math.log((b[1] + 0.5) / (b[0] - b[1] + 0.5))
                va = 1 / (a[1] + 0.5) + 1 / (a[0] - a[1] + 0.5)
                vb = 1 / (b[1] + 0.5) + 1 / (b[0] - b[1] + 0.5)
                if a[1] * b[0] != b[1] * a[0]:
                    d = a[2] - b[2]
                    correct.append(0.5 if d == 0 else float((d > 0) == (ya > yb)))
                zs.append(((ya - yb) - (a[2] - b[2])) / math.sqrt(a[3] ** 2 + b[3] ** 2 + va + vb))
    return correct, zs


def cross_validate(
    packages: Packages, scorer: Scorer, folds: int, emotion: np.ndarray, *, verbose: bool = True
) -> dict[str, Any]:
    """Out-of-fold pairs and the figures they give."""
    fold = np.asarray([fold_of(g, folds) for g in packages.groups])
    evaluable = ~packages.in_window
    parts: list[Pairs] = []
    baseline_parts: list[Pairs] = []
    headline_correct: list[float] = []
    zs: list[float] = []
    temperatures: list[float] = []
    started = time.perf_counter()
    for k in range(folds):
        train = np.flatnonzero(fold != k)
        valid = np.flatnonzero((fold == k) & evaluable)
        seen = {folded(packages.texts[i]) for i in train}
        scores, temperature, uncertainty = scorer(packages, train, valid, emotion)
        parts.append(package_pairs(packages, valid, scores, temperature=temperature, seen=seen))
        base, _, _ = length_scorer(packages, train, valid, emotion)
        baseline_parts.append(package_pairs(packages, valid, base, seen=seen))
        if temperature is not None:
            temperatures.append(round(temperature, 3))
        if uncertainty is not None:
            correct, z = headline_level_check(packages, valid, scores, uncertainty)
            headline_correct.extend(correct)
            zs.extend(z)
        if verbose:
            print(f"  fold {k + 1}/{folds} done ({time.perf_counter() - started:.0f}s)", flush=True)
    pairs, baseline = concat(parts), concat(baseline_parts)
    everything = np.ones(len(pairs.diff), dtype=bool)
    subsets = {
        "all pairs": everything,
        "significant pairs": pairs.significant,
        "novel-headline pairs": pairs.novel,
        "novel-headline significant pairs": pairs.novel & pairs.significant,
    }
    result: dict[str, Any] = {
        "model": {name: accuracy_with_ci(pairs, mask) for name, mask in subsets.items()},
        "length": {name: accuracy_with_ci(baseline, mask) for name, mask in subsets.items()},
        "temperature_per_fold": temperatures,
        "seconds": round(time.perf_counter() - started, 1),
    }
    if temperatures:
        result["calibration"] = calibration(pairs.prob, pairs.win)
        result["calibration_significant"] = calibration(
            pairs.prob[pairs.significant], pairs.win[pairs.significant]
        )
    if zs:
        z = np.asarray(zs)
        result["headline_level_accuracy"] = round(float(np.mean(headline_correct)), 4)
        result["uncertainty"] = {
            "pairs": len(z),
            "sd_z": round(float(z.std()), 3),
            "within_1.96": round(float(np.mean(np.abs(z) < 1.96)), 3),
        }
    return result


def speed(n_texts: int, packages: Packages) -> dict[str, float]:
    """Cold start in a fresh process, then warm ``predict`` throughput."""
    probe = (
        "import time; t = time.perf_counter();"
        "from brandloom.prediction.model import EngagementModel;"
        "m = EngagementModel.load(); t1 = time.perf_counter();"
        "m.predict(['A first headline']); t2 = time.perf_counter();"
        "print(t1 - t, t2 - t1)"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    ).stdout.split()
    model = EngagementModel.load()
    texts = sorted(set(packages.texts))[:n_texts]
    model.predict(texts[:10])
    started = time.perf_counter()
    model.predict(texts)
    took = time.perf_counter() - started
    return {
        "load_s": round(float(output[0]), 3),
        "first_predict_s": round(float(output[1]), 3),
        "texts_per_s": round(len(texts) / took, 1),
        "texts": len(texts),
    }


def print_figures(title: str, figures: dict[str, Any]) -> None:
    print(f"\n{title} ({figures['seconds']:.0f}s)")
    print(f"  {'subset':<34} {'n pairs':>8} {'tests':>6}  {'model':>22}  {'length':>22}")
    for name, model in figures["model"].items():
        base = figures["length"][name]
        print(
            f"  {name:<34} {model['n']:>8} {model['tests']:>6}  "
            f"{model['accuracy']:.3f} [{model['ci'][0]:.3f}-{model['ci'][1]:.3f}]  "
            f"{base['accuracy']:>7.3f} [{base['ci'][0]:.3f}-{base['ci'][1]:.3f}]"
        )
    if "headline_level_accuracy" in figures:
        print(f"  headline-level pairs (packages pooled): {figures['headline_level_accuracy']:.3f}")
    if "calibration" in figures:
        print(f"  temperature per fold: {figures['temperature_per_fold']}")
        for key, label in (("calibration", "all pairs"), ("calibration_significant", "sig.")):
            cal = figures[key]
            print(f"  calibration, {label}: Brier {cal['brier']:.4f}  ECE {cal['ece']:.4f}")
        print(f"  {'P(first wins)':<14} {'pairs':>7} {'predicted':>10} {'observed':>9}")
        for row in figures["calibration"]["table"]:
            low, high = row["bin"]
            print(
                f"  {low:.1f}-{high:.1f}        {row['n']:>7} {row['predicted']:>10.3f} "
                f"{row['observed']:>9.3f}"
            )
    if "uncertainty" in figures:
        u = figures["uncertainty"]
        print(
            f"  uncertainty check ({u['pairs']} headline pairs): sd(z) {u['sd_z']:.3f}, "
            f"|z| < 1.96 for {u['within_1.96']:.3f} (calibrated: 1.0 and 0.95)"
        )


def candidates(packages: Packages, folds: int, emotion: np.ndarray) -> list[tuple[str, Scorer]]:
    """The alternatives compared before the shipped recipe was fixed."""
    window_off = np.where(packages.in_window, 0.0, 1.0)

    def without_window(
        packages: Packages, train: np.ndarray, valid: np.ndarray, emotion: np.ndarray
    ) -> tuple[np.ndarray, float | None, np.ndarray | None]:
        keep = train[window_off[train] > 0]
        return shipped_scorer(n_bootstrap=0)(packages, keep, valid, emotion)

    return [
        ("across-test ridge (TF-IDF, features not de-meaned)", across_test_ridge),
        (
            "within-test ridge, TF-IDF only",
            shipped_scorer(n_bootstrap=0, use_encoder=False, dense_scale=0.0),
        ),
        ("within-test ridge, + text statistics", shipped_scorer(n_bootstrap=0, use_encoder=False)),
        ("within-test ridge, + emotion logits (shipped)", shipped_scorer(n_bootstrap=0)),
        ("shipped, without the randomization-window tests", without_window),
        ("pairwise logistic on feature differences", pairwise_logistic),
    ]


def compare_candidates(packages: Packages, folds: int, emotion: np.ndarray) -> list[dict[str, Any]]:
    """Cross-validate every candidate; prints a line each and returns their figures."""
    out = []
    for name, scorer in candidates(packages, folds, emotion):
        result = cross_validate(packages, scorer, folds, emotion, verbose=False)
        all_pairs = result["model"]["all pairs"]
        sig = result["model"]["significant pairs"]
        novel = result["model"]["novel-headline significant pairs"]
        print(
            f"  candidate {name:<52} all {all_pairs['accuracy']:.3f}  "
            f"significant {sig['accuracy']:.3f} [{sig['ci'][0]:.3f}-{sig['ci'][1]:.3f}]  "
            f"novel sig. {novel['accuracy']:.3f}  ({result['seconds']:.0f}s)",
            flush=True,
        )
        out.append({"name": name, "all": all_pairs, "significant": sig, "novel_significant": novel})
    return out


def _sklearn_features(
    packages: Packages, train: np.ndarray, emotion: np.ndarray
) -> tuple[Any, Any]:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    vecs = [
        TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=20_000
        ),
        TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            sublinear_tf=True,
            min_df=2,
            max_features=30_000,
        ),
    ]
    texts = packages.texts
    for v in vecs:
        v.fit([texts[i] for i in train])
    dense = np.hstack([text_statistics(texts), emotion])
    mean, std = dense[train].mean(axis=0), dense[train].std(axis=0) + 1e-9
    matrix = hstack([*(v.transform(texts) for v in vecs), csr_matrix((dense - mean) / std)])
    return matrix.tocsr(), dense


def _log_odds(packages: Packages) -> tuple[np.ndarray, np.ndarray]:
    n, c = packages.impressions, packages.clicks
    y = np.log((c + 0.5) / (np.maximum(n - c, 0) + 0.5))
    v = 1 / (c + 0.5) + 1 / (np.maximum(n - c, 0) + 0.5)
    return y, v


def across_test_ridge(
    packages: Packages, train: np.ndarray, valid: np.ndarray, emotion: np.ndarray
) -> tuple[np.ndarray, float | None, np.ndarray | None]:
    """Ridge on TF-IDF predicting each package's log-odds CTR minus its test's mean."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge

    y, v = _log_odds(packages)
    groups = np.asarray(packages.groups)
    w = 1 / (v + 0.02)
    centred = y.copy()
    for g in set(groups[train]):
        rows = train[groups[train] == g]
        centred[rows] -= np.average(y[rows], weights=w[rows])
    vecs = [
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    ]
    x_train = hstack([vec.fit_transform([packages.texts[i] for i in train]) for vec in vecs])
    x_valid = hstack([vec.transform([packages.texts[i] for i in valid]) for vec in vecs])
    model = Ridge(alpha=100.0).fit(x_train.tocsr(), centred[train], sample_weight=w[train])
    return np.asarray(model.predict(x_valid.tocsr())), None, None


def pairwise_logistic(
    packages: Packages, train: np.ndarray, valid: np.ndarray, emotion: np.ndarray
) -> tuple[np.ndarray, float | None, np.ndarray | None]:
    """Logistic regression on feature differences of package pairs (different headlines) in a
    training test, label: which had the higher CTR, weight min(|z|, 3); no intercept."""
    from scipy.sparse import vstack
    from sklearn.linear_model import LogisticRegression

    matrix, _ = _sklearn_features(packages, train, emotion)
    y, v = _log_odds(packages)
    by_test: dict[str, list[int]] = defaultdict(list)
    for row in train:
        by_test[packages.groups[row]].append(int(row))
    first: list[int] = []
    second: list[int] = []
    for rows in by_test.values():
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                if packages.texts[a] != packages.texts[b] and y[a] != y[b]:
                    first.append(a)
                    second.append(b)
    a, b = np.asarray(first), np.asarray(second)
    diff = (matrix[a] - matrix[b]).tocsr()
    label = (y[a] > y[b]).astype(int)
    weight = np.minimum(np.abs(y[a] - y[b]) / np.sqrt(v[a] + v[b]), 3.0)
    model = LogisticRegression(C=0.1, fit_intercept=False, max_iter=2000).fit(
        vstack([diff, -diff]).tocsr(), np.r_[label, 1 - label], sample_weight=np.r_[weight, weight]
    )
    return np.asarray(matrix[valid] @ model.coef_.ravel()), None, None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--candidates", action="store_true", help="also the alternatives")
    parser.add_argument("--speed-texts", type=int, default=2_000)
    args = parser.parse_args(argv)

    packages = read(args.data)
    evaluable = ~packages.in_window
    n_evaluable = len({g for g, e in zip(packages.groups, evaluable, strict=True) if e})
    print(
        f"upworthy_headlines (shared): {len(packages.texts)} packages, "
        f"{len(set(packages.groups))} tests; evaluated: tests outside weeks "
        f"{WINDOW[0]}-{WINDOW[1]} ({n_evaluable} tests); "
        f"{args.folds}-fold CV grouped by test; significant: two-proportion z-test p < 0.05"
    )
    started = time.perf_counter()
    emotion = all_emotion_logits(packages.texts)
    print(f"emotion-encoder logits for every headline: {time.perf_counter() - started:.0f}s")

    figures = cross_validate(packages, shipped_scorer(), args.folds, emotion)
    print_figures(
        "shipped recipe: EngagementModel() (left: model, right: length baseline)", figures
    )

    if args.candidates:
        compare_candidates(packages, args.folds, emotion)

    fast = speed(args.speed_texts, packages)
    print(
        f"\nshipped artifact: load {fast['load_s']:.2f}s (cold process, import + artifact), "
        f"first prediction {fast['first_predict_s']:.2f}s (opens the emotion encoder); "
        f"predict {fast['texts_per_s']:.0f} texts/s ({fast['texts']} distinct headlines, "
        "one call, one thread)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
