"""Figures of the shipped spam model: cross-validated quality, speed, load time and size.

    python benchmarks/eval_spam.py [--data ../shared/data] [--no-cv]

The quality figures re-run the training script's nested 5-fold cross-validation on the shared
SpamAssassin messages (needs the ``train`` extra); speed and load time are those of the shipped
numpy-only runtime model, single-threaded, on the same messages.
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
from brandloom.analysis.spam import NAME, SpamModel  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Print CV F1 / precision / recall, texts per second, load time and artifact size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    args = parser.parse_args(argv)

    import spam as training  # scripts/train/spam.py

    corpus = training.read_corpus(args.data)
    if not args.no_cv:
        cv = training.cross_validate(corpus)
        print(
            f"CV 5-fold (nested C) on {len(corpus.texts)} messages: F1 {cv['f1']:.4f}  "
            f"precision {cv['precision']:.4f}  recall {cv['recall']:.4f}"
        )
        for group, result in cv["per_group"].items():
            print(
                f"  {group:<11} n={result['n']:<4} flagged as spam {result['flagged_as_spam']:.3f}"
            )

    started = time.perf_counter()
    model = SpamModel.from_artifact(
        artifacts.Artifact.from_bytes(
            artifacts.artifact_path(NAME).read_bytes(), expected_name=NAME
        )
    )
    load_s = time.perf_counter() - started
    texts = corpus.texts
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        model.predict_proba(texts)
        best = min(best, time.perf_counter() - started)
    chars = sum(len(t) for t in texts) / len(texts)
    size = artifacts.artifact_path(NAME).stat().st_size
    print(f"runtime: {len(texts) / best:.0f} messages/s (mean {chars:.0f} chars, 1 thread)")
    print(f"load: {load_s * 1000:.0f} ms   size: {size / 1e6:.2f} MB ({NAME}.npz)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
