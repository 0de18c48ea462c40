"""Figures of the shipped sentiment model: cross-validated quality, speed, load time and size.

    python benchmarks/eval_sentiment.py [--data ../shared/data] [--no-cv]

The quality figures re-run the training script's protocol (needs the ``train`` extra; about 5
minutes on 2 cores, plus about 25 for the five fine-tuned encoders when ``build/sentiment`` does
not hold them yet): stratified 5-fold CV per language over every shared tweet (official train +
val), every voice cross-fitted, each fold scored with the blend choices made on the other folds'
out-of-fold predictions; the n-gram models alone, voices 1-3 (no fine-tuned encoder) and a plain
char TF-IDF baseline are shown beside. Speed and load time are those of the shipped
runtime, single-threaded, on the val tweets with their language codes: with the encoder outputs
passed in (as the analyzer does) and with the encoders run by the sentiment model itself.
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
        rows, goemotions = training.read_all(args.data)
        assignment = training.fold_assignment(rows)
        p, tuned = training.out_of_fold_predictions(
            rows, goemotions, assignment, training.sentiment_encoder.WORK, 2
        )
        training.print_cv(training.measure(rows, p, tuned, assignment))

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
    logits, head = model.encode(rows.raw)  # the first call also opens the encoders
    encoder_s = time.perf_counter() - started
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        model.predict_proba(rows.raw, codes, emotion_logits=logits, head_logits=head)
        best = min(best, time.perf_counter() - started)
    started = time.perf_counter()
    model.predict_proba(rows.raw, codes)
    full = time.perf_counter() - started
    size = artifacts.artifact_path(NAME).stat().st_size
    onnx_size = artifacts.artifact_path(NAME, ".onnx").stat().st_size
    n = len(rows.raw)
    print(
        f"runtime (1 thread, {n} tweets): {n / best:.0f} tweets/s with the encoder outputs given,"
    )
    print(
        f"  {n / full:.0f} tweets/s running the encoders too (first encoder pass {encoder_s:.1f}s)"
    )
    print(
        f"load: {load_s * 1000:.0f} ms   size: {size / 1e6:.2f} MB ({NAME}.npz) + "
        f"{onnx_size / 1e6:.2f} MB ({NAME}.onnx)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
