"""Text-analysis figures: model quality on the shared data (cross-validated or dev split) and speed.

    python benchmarks/analysis.py                 # everything (about 30 minutes on 2 cores)
    python benchmarks/analysis.py --quick         # without re-running the cross-validations
    python benchmarks/analysis.py language        # one or more of: language, emotion,
    python benchmarks/analysis.py sentiment spam  #   sentiment, spam, lexicon, analyze

Data: ../shared/data (or --data). Quality figures never come from a split used for a choice:
language ID has no training here (py3langid's model is used as shipped; the prior weight and the
confidence threshold were chosen on this data, so those two figures are tuned, not held out);
the emotion model is scored on the GoEmotions dev split, never used in training or tuning;
sentiment and spam are cross-validated by their training scripts.
"""

from __future__ import annotations

import argparse
import csv
import inspect
import os
import random
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
PARTS = ("language", "emotion", "sentiment", "spam", "lexicon", "analyze")


def bench_language(data: Path) -> None:
    from brandloom.analysis.language import DEFAULT_LANGUAGES, detector, supported_languages

    path = data / "language_id_lingua" / "langid_shared.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [
            (r["lang"], r["text"])
            for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            if r["lang"] in DEFAULT_LANGUAGES
        ]
    print(f"language ID: {len(rows):,} sentences in {len(DEFAULT_LANGUAGES)} languages ({path})")
    default = detector()
    wide = detector(supported_languages())
    rng = random.Random(1)
    per_language: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    totals: dict[str, int] = defaultdict(int)
    for language, text in rows:
        prefix = text[:30]
        counts = per_language[language]
        counts[0] += default.detect(text).language == language
        counts[1] += default.detect(prefix).language == language
        counts[2] += default.detect(prefix, prior=language).language == language
        counts[3] += 1
        totals["wide_full"] += wide.detect(text).language == language
        totals["wide_30"] += wide.detect(prefix).language == language
        wrong = rng.choice([code for code in DEFAULT_LANGUAGES if code != language])
        totals["wrong_prior_30"] += default.detect(prefix, prior=wrong).language == language
    n = len(rows)
    full = sum(c[0] for c in per_language.values()) / n
    short = sum(c[1] for c in per_language.values()) / n
    prior = sum(c[2] for c in per_language.values()) / n
    print(f"  accuracy, {len(DEFAULT_LANGUAGES)} candidates: full {full:.4f}  30 chars {short:.4f}")
    print(f"  30 chars with the right locale prior {prior:.4f}, a wrong one "
          f"{totals['wrong_prior_30'] / n:.4f}")  # fmt: skip
    print(f"  all {len(supported_languages())} candidates: full {totals['wide_full'] / n:.4f}  "
          f"30 chars {totals['wide_30'] / n:.4f}")  # fmt: skip
    print("  per language (full / 30 chars / 30 chars + prior):")
    for language in DEFAULT_LANGUAGES:
        a, b, c, total = per_language[language]
        print(f"    {language}  {a / total:.3f}  {b / total:.3f}  {c / total:.3f}")
    texts = [text for _, text in rows[:3000]]
    prefixes = [text[:30] for text in texts]
    for label, batch in (("full", texts), ("30 chars", prefixes)):
        start = time.perf_counter()
        for text in batch:
            default.detect(text)
        elapsed = time.perf_counter() - start
        print(f"  speed ({label}): {len(batch) / elapsed:,.0f} texts/s, "
              f"{elapsed / len(batch) * 1e6:.0f} µs per text (one core)")  # fmt: skip


def bench_analyze() -> None:
    """``analyze`` end to end: cold load in a fresh process, texts/s, peak memory, size."""
    from brandloom.analysis.artifacts import models_dir, shipped

    code = (
        "import time, resource; t = time.perf_counter()\n"
        "from brandloom.analysis.analyzer import analyze\n"
        "analyze(['Warm up: last chance, 20% off tonight!'])\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    print(f"analyze: first call in a fresh process (imports + every model) {float(out[0]):.2f} s, "
          f"peak RSS {int(out[1]) / 1024:,.0f} MB")  # fmt: skip
    from brandloom.analysis.analyzer import AnalyzeOptions, analyze

    lines = [
        "Last chance: 30% off everything ends tonight!",
        "Ihre Bestellung ist unterwegs und kommt am Freitag an.",
        "Découvrez notre nouvelle collection de printemps, livraison offerte.",
        "¡Gracias por ser parte de nuestra comunidad! Tu regalo te espera.",
        "We're sorry your package arrived late. Here is a voucher for your next order.",
        "Nuova collezione: scopri le giacche leggere per la primavera.",
    ]
    texts = [f"{lines[i % len(lines)]} #{i}" for i in range(2000)]
    analyze(texts[:10])
    for label, options in (("", AnalyzeOptions()), (" with locale de-DE", AnalyzeOptions("de-DE"))):
        start = time.perf_counter()
        for i in range(0, len(texts), 500):
            analyze(texts[i : i + 500], options)
        elapsed = time.perf_counter() - start
        print(f"  throughput{label}: {len(texts) / elapsed:,.0f} texts/s "
              f"(batches of 500, {os.cpu_count()} cores)")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = sum(entry["bytes"] for entry in shipped())
    print(f"  peak RSS of this process {peak:,.0f} MB; shipped models {total / 1e6:.1f} MB "
          f"in {models_dir()}")  # fmt: skip
    for entry in shipped():
        print(f"    {entry['name']:<28} {entry['bytes'] / 1e6:6.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("parts", nargs="*", help=f"any of {', '.join(PARTS)} (default: all)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="skip the sentiment and spam cross-validation (their model cards hold the figures)",
    )
    args = parser.parse_args()
    parts = args.parts or list(PARTS)
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    print(f"brandloom text analysis on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for part in parts:
        start = time.perf_counter()
        if part == "language":
            bench_language(args.data)
        elif part == "analyze":
            bench_analyze()
        else:
            module = __import__(f"eval_{part}")
            argv = ["--data", str(args.data)]
            if args.quick and part in ("sentiment", "spam"):
                argv.append("--no-cv")
            if inspect.signature(module.main).parameters:
                module.main(argv)
            else:  # reads sys.argv
                sys.argv = [f"eval_{part}.py", *argv]
                module.main()
        print(f"  ({part}: {time.perf_counter() - start:.0f} s)\n")


if __name__ == "__main__":
    main()
