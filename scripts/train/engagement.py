"""Build ``engagement.upworthy.v1`` (predicted performance of a headline) from
``<data>/upworthy_headlines``.

    python scripts/train/engagement.py --data ../shared/data --out src/brandloom/analysis/models

Numpy only for the model (``EngagementModel.fit``); the emotion encoder (onnxruntime) supplies a
feature block. About 5 minutes on one core: cross-validation of the recipe (5 folds, each with
its bootstrap refits), then the shipped fit on every test.

Protocol: the figures written into the artifact and its card are those of
``benchmarks/eval_prediction.py`` (the same code): 5-fold CV grouped by test, evaluated on
package pairs with different headlines in tests outside the weeks with the archive's
randomization problem. The recipe's parameters (``EngagementModel()``'s defaults) were fixed
on cross-validated figures of this shared data, comparing the candidates that
``python benchmarks/eval_prediction.py --candidates`` prints; no held-out data was used.
The shipped model is fitted on every shared test (the randomization-problem weeks included:
their within-test contrasts still help, see the card).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT / "src", ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))  # runnable as a plain script from a checkout

import eval_prediction as evaluation  # noqa: E402  (benchmarks/eval_prediction.py)

from brandloom.prediction.model import (  # noqa: E402
    MIN_ARM_IMPRESSIONS,
    MIN_EXPERIMENTS,
    NAME,
    STATISTICS,
    EngagementModel,
)


def compact(figures: dict[str, Any]) -> dict[str, Any]:
    """What the artifact's meta keeps of the CV figures."""
    return {
        "accuracy": figures["model"],
        "length_baseline": figures["length"],
        "calibration": {k: figures["calibration"][k] for k in ("brier", "ece")},
        "calibration_significant": {
            k: figures["calibration_significant"][k] for k in ("brier", "ece")
        },
        "uncertainty": figures["uncertainty"],
        "headline_level_accuracy": figures["headline_level_accuracy"],
    }


def _row(name: str, model: dict[str, Any], base: dict[str, Any]) -> str:
    return (
        f"| {name} | {model['n']:,} | {model['tests']:,} | **{model['accuracy']:.3f}** "
        f"({model['ci'][0]:.3f}-{model['ci'][1]:.3f}) | {base['accuracy']:.3f} "
        f"({base['ci'][0]:.3f}-{base['ci'][1]:.3f}) |"
    )


def write_card(
    path: Path,
    figures: dict[str, Any],
    compared: list[dict[str, Any]],
    model: EngagementModel,
    packages: evaluation.Packages,
    emotion: np.ndarray,
    size: int,
) -> None:
    training = model.meta_["training"]
    accuracy_rows = "\n".join(
        _row(name, figures["model"][name], figures["length"][name]) for name in figures["model"]
    )
    reliability = "\n".join(
        f"| {r['bin'][0]:.1f}-{r['bin'][1]:.1f} | {r['n']:,} | {r['predicted']:.3f} | "
        f"{r['observed']:.3f} |"
        for r in figures["calibration"]["table"]
    )
    cal, cal_sig = figures["calibration"], figures["calibration_significant"]
    unc = figures["uncertainty"]
    distinct = {text: i for i, text in enumerate(packages.texts)}
    rows = list(distinct.values())
    spread = float(np.std(model.scores([packages.texts[i] for i in rows], emotion=emotion[rows])))
    statistics = textwrap.fill(", ".join(STATISTICS), width=90, subsequent_indent="  ")
    candidate_rows = "\n".join(
        f"| {c['name']} | {c['all']['accuracy']:.3f} | {c['significant']['accuracy']:.3f} "
        f"({c['significant']['ci'][0]:.3f}-{c['significant']['ci'][1]:.3f}) | "
        f"{c['novel_significant']['accuracy']:.3f} |"
        for c in compared
    )
    candidates = (
        f"""
### Candidates compared (same CV; no bootstrap refits)
`python benchmarks/eval_prediction.py --candidates`. The recipe was chosen on these figures:
the pairwise logistic regression (scikit-learn, C = 0.1, pairs weighted by min(|z|, 3)) is
level with it within the interval, at four times the training time and without a score on
a CTR scale or a principled uncertainty.

| candidate | all pairs | significant pairs (95 % CI) | novel significant |
|---|---|---|---|
{candidate_rows}
"""
        if compared
        else ""
    )
    sig_acc = 100 * figures["model"]["significant pairs"]["accuracy"]
    all_acc = 100 * figures["model"]["all pairs"]["accuracy"]
    len_acc = 100 * figures["length"]["significant pairs"]["accuracy"]
    table = figures["calibration"]["table"]
    middle = 100 * sum(r["n"] for r in table if 0.3 <= r["bin"][0] < 0.7)
    middle /= sum(r["n"] for r in table)
    params = model.to_artifact().meta["params"]
    path.write_text(
        f"""# {NAME}

Predicted performance of a short text (headline, subject line, post): which of several
alternatives will get more clicks when shown to the same audience. Runtime:
`brandloom.prediction.model` (`EngagementModel.load()`: `predict(texts)` -> `Prediction(score,
uncertainty)`, `win_probability(a, b)`, `rank(texts)`, `with_results(experiments)`); numpy, plus
the emotion encoder of `emotion.goemotions.v1` (onnxruntime) for one feature block.

- **score**: predicted lift of the click-through rate in log-odds over the average headline of
  the training data (0 = typical; +0.05 is about 5 % more clicks). Only differences between
  texts for the same audience mean anything.
- **uncertainty**: standard deviation of the text's true lift around the score, same scale:
  `sqrt(noise_var + (bootstrap spread)^2)`, the noise variance being the out-of-bag squared
  error (sampling noise removed) minus the mean bootstrap variance: here noise sd
  {model.noise_var_**0.5:.3f}, so a text's uncertainty is at least that, while the scores of
  the training headlines spread with an sd of {spread:.3f}. Per text, the score is a weak hint.
- **win_probability(a, b)** = `sigmoid(T * (score_a - score_b))`, T = {model.temperature_:.2f}
  fitted on out-of-bag package pairs: the chance that `a` shows the higher CTR in an
  Upworthy-sized A/B test (a few thousand impressions per arm). `rank` orders texts by their
  mean win probability against the others.
- **per workspace**: `with_results` refits T on a workspace's own completed experiments (MAP
  around the global T) once at least {MIN_EXPERIMENTS} qualify (every arm at least
  {MIN_ARM_IMPRESSIONS:,} impressions); `basis` says `global prior` or
  `calibrated on N results`. Scores are never refitted per workspace.

## Data and license
**Upworthy Research Archive** (exploratory packages; Matias, Munger, Aubin Le Quere & Ebersole
2021, *The Upworthy Research Archive, a time series of 32,487 experiments in U.S. media*,
Scientific Data 8:195, doi:10.1038/s41597-021-00934-7), **CC BY 4.0**, via the cleaned copy of
`elilk2/Upworthy-Analysis-Project`. Trained on the shared part: {len(packages.texts):,}
packages of {len(set(packages.groups)):,} tests (2013-2015); the model learns from the
{training["tests"]:,} tests with at least two different headlines ({training["texts"]:,}
distinct test-headline pairs; packages of one headline with different images are pooled).
No headline text is shipped beyond the TF-IDF vocabulary (n-grams seen in at least two
headlines).

## Model
- Features: TF-IDF word 1-2-grams ({params["word_features"]:,} max) and char_wb 2-5-grams
  ({params["char_features"]:,} max), sublinear tf, min_df {params["min_df"]}; {len(STATISTICS)}
  text statistics (`text_statistics`: {statistics}); the 28 raw
  logits of the emotion encoder. Dense blocks standardized.
- Fit: ridge (alpha {params["alpha"]:g}) on **within-test de-meaned** features and targets (a
  fixed effect per test: only which headline beat its siblings is learned, never a test's CTR
  level). Target: smoothed log-odds CTR `log((c + 0.5) / (n - c + 0.5))`; weight
  `1 / (sampling variance + tau2)`, tau2 = {params["tau2"]:g}. Conjugate gradients on numpy.
- {params["n_bootstrap"]} bootstrap refits over tests (seeded) give the uncertainty's model
  part and out-of-bag predictions, from which the score scale ({model.scale_:.3f}), the
  noise variance and T are fitted.
- Tests of weeks 201326-201402 (the archive's randomization problem) are in the training set
  (not in the evaluation): cross-validated, leaving them out did not help (see candidates).

## Training command
    python scripts/train/engagement.py --data ../shared/data --out src/brandloom/analysis/models

## Measured (5-fold CV grouped by test; `python benchmarks/eval_prediction.py`)
Pairs: every two packages of one test with different headlines, in tests outside weeks
201326-201402; equal CTRs left out. Accuracy: the higher-scored package had the higher CTR
(equal scores count half). **Significant**: two-proportion z-test on clicks / impressions,
p < 0.05. **Novel headline**: neither headline (case and spacing folded) occurs in the
training folds. 95 % intervals: bootstrap over validation tests. Baseline: headline length
(direction from the training folds).

| pairs | n | tests | model | length baseline |
|---|---|---|---|---|
{accuracy_rows}

Headline level (packages of one headline pooled per test): accuracy
{figures["headline_level_accuracy"]:.3f}. Temperature per fold: {figures["temperature_per_fold"]}.

**Calibration** of the win probability (which package of a pair is first: a hash of the pair;
10 bins): Brier {cal["brier"]:.4f}, ECE {cal["ece"]:.4f} on all pairs; on significant pairs
Brier {cal_sig["brier"]:.4f}, ECE {cal_sig["ece"]:.4f} (there the model is under-confident by
design: it is calibrated to the winner of a test of any outcome, and a significant pair is a
pair that was easy to call).

| P(first wins) | pairs | mean predicted | observed |
|---|---|---|---|
{reliability}

**Uncertainty** ({unc["pairs"]:,} headline pairs): z = (observed - predicted log-odds difference)
/ sqrt(u_a^2 + u_b^2 + sampling variances) has sd {unc["sd_z"]:.3f}, and |z| < 1.96 for
{unc["within_1.96"]:.3f} (1.0 and 0.95 if calibrated).
{candidates}
## What it cannot do
- **Small effects.** On significant pairs the model picks the winner {sig_acc:.0f} times in
  100, on all pairs {all_acc:.0f} (a coin: 50; headline length, significant pairs: {len_acc:.0f}).
  {middle:.0f} % of its win probabilities lie between 0.3 and 0.7. Use it to shortlist
  and to order what to test, never instead of the test (LOLA, Ye, Yoganarasimhan & Zheng,
  Marketing Science 2025, found the same ceiling for text-based predictors).
- **English headlines only**, and the **Upworthy 2013-2015 audience** (US social-media
  readers of feel-good and social-issue stories). Subject lines and posts are scored as if
  they were such headlines; other audiences can reward other things (`with_results`
  recalibrates the trust, not the direction).
- **Images are not modelled** (many tests varied only the image; those carry no text signal
  and are skipped), nor the excerpt, the timing or the position.
- Re-tested headlines: the novel-headline rows (neither headline seen in training) match the
  others, so the figures do not come from remembering Upworthy's repeats.
- Size: {size / 1e6:.2f} MB.
""",
        encoding="utf-8",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "src/brandloom/analysis/models")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--no-candidates", action="store_true", help="skip the alternatives (about 3 minutes)"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    packages = evaluation.read(args.data)
    emotion = evaluation.all_emotion_logits(packages.texts)
    print(f"{len(packages.texts)} packages; encoder logits in {time.perf_counter() - started:.0f}s")
    figures = evaluation.cross_validate(packages, evaluation.shipped_scorer(), args.folds, emotion)
    evaluation.print_figures("CV of the recipe (left: model, right: length baseline)", figures)
    compared = (
        [] if args.no_candidates else evaluation.compare_candidates(packages, args.folds, emotion)
    )

    model = EngagementModel().fit(
        packages.texts, packages.groups, packages.impressions, packages.clicks, emotion=emotion
    )
    artifact = model.to_artifact(figures=compact(figures))
    path = artifact.save(args.out)
    size = path.stat().st_size
    write_card(args.out / f"{NAME}.md", figures, compared, model, packages, emotion, size)
    print(
        f"wrote {path} ({size / 1e6:.2f} MB; T={model.temperature_:.3f}, "
        f"scale={model.scale_:.3f}, noise sd={model.noise_var_**0.5:.3f}) "
        f"in {time.perf_counter() - started:.0f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
