"""Figures of the shipped sentiment model: cross-validated quality, speed, load time and size.

    python benchmarks/eval_sentiment.py [--data ../shared/data] [--no-cv]

The quality figures re-run the training script's protocol (needs the ``train`` extra, and about
20 minutes on one core): every model fitted on the official train split, the blend weight, class
bias and per-language emotion-encoder weights chosen on val, then stratified 5-fold CV per
language over the train split with those choices fixed; the former TF-IDF-only model (encoder
weights 0) is shown beside. Speed and load time are those of the shipped runtime,
single-threaded, on the val tweets with their language codes: with the emotion logits passed in
(as the analyzer does) and with the encoder run by the sentiment model itself.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "src", ROOT / "scripts" / "train"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from brandloom.analysis import artifacts  # noqa: E402
from brandloom.analysis.sentiment import NAME, SentimentModel  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Print CV macro-F1 per language and its mean, texts per second, load time and size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    args = parser.parse_args(argv)

    import sentiment as training  # scripts/train/sentiment.py

    splits = training.read_umsab(args.data)
    if not args.no_cv:
        train, val = splits["train"], splits["val"]
        goemotions = training.read_goemotions(args.data)
        training.add_encoder_logits(train)
        training.add_encoder_logits(val)
        ensemble = training.fit_ensemble(train, goemotions)
        p = training.component_probabilities(ensemble, val)
        choices = {
            "tfidf_only": training.tune(val, p, (0.0,))[0],
            "shipped": training.tune(val, p, training.ENCODER_GRID)[0],
        }
        cv = training.cross_validate(train, goemotions, choices)
        print("CV 5-fold on the train split (weights, bias, encoder weights chosen on val):")
        print(f"  {'':<14} {'tfidf-only':>10} {'shipped':>8}")
        for language in sorted(training.NAMES):
            old = cv["tfidf_only"]["macro_f1"][language]
            new = cv["shipped"]["macro_f1"][language]
            print(f"  {training.NAMES[language]} {language:<11} {old:>10.4f} {new:>8.4f}")
        old, new = cv["tfidf_only"]["mean_macro_f1"], cv["shipped"]["mean_macro_f1"]
        print(f"  {'mean macro-F1':<14} {old:>10.4f} {new:>8.4f}")

    started = time.perf_counter()
    model = SentimentModel.from_artifact(
        artifacts.Artifact.from_bytes(
            artifacts.artifact_path(NAME).read_bytes(), expected_name=NAME
        )
    )
    load_s = time.perf_counter() - started
    rows = splits["val"]
    codes = [training.NAMES[language] for language in rows.lang]
    started = time.perf_counter()
    logits = model.emotion_logits(rows.raw)  # the first call also opens the encoder
    encoder_s = time.perf_counter() - started
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        model.predict_proba(rows.raw, codes, emotion_logits=logits)
        best = min(best, time.perf_counter() - started)
    started = time.perf_counter()
    model.predict_proba(rows.raw, codes)
    full = time.perf_counter() - started
    size = artifacts.artifact_path(NAME).stat().st_size
    n = len(rows.raw)
    print(f"runtime (1 thread, {n} tweets): {n / best:.0f} tweets/s with emotion_logits given,")
    print(
        f"  {n / full:.0f} tweets/s running the encoder too (first encoder pass {encoder_s:.1f}s)"
    )
    print(f"load: {load_s * 1000:.0f} ms   size: {size / 1e6:.2f} MB ({NAME}.npz)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
