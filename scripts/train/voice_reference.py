"""Build ``voice.reference.v1``: n-gram document frequencies of generic text, per language.

    python scripts/train/voice_reference.py --data ../shared/data \
        --out src/brandloom/analysis/models

A brand voice weighs each n-gram of the brand's texts against how common it is in text that
no brand wrote: this artifact is that "anyone" (``brandloom.analysis.voice``). It is counted,
not trained: no third-party library, a few seconds on one core.

Sources (all in ``../shared/data``; none contains text of the brands in
``brand_voice_twitter_care``):

- English: 4,000 GoEmotions Reddit comments (train split; CC BY 4.0), 1,000 distinct Upworthy
  headlines (CC BY 4.0) and the 300 English Leipzig news sentences;
- every other default language: its 300 Leipzig news sentences (``language_id_lingua``, CC BY
  4.0); ``all`` pools every language (for texts in a language without a table).

Per language the n-grams are those of ``brandloom.analysis.voice`` (character 2-5 inside words,
word 1-2, lower-cased), each counted once per text; n-grams seen in one text only are dropped
(they carry almost nothing and would triple the size).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))  # runnable as a plain script from a checkout

from brandloom.analysis.artifacts import Artifact  # noqa: E402
from brandloom.analysis.language import DEFAULT_LANGUAGES  # noqa: E402
from brandloom.analysis.voice import REFERENCE, _grams, clean_text  # noqa: E402

SEED = 20261207
ENGLISH_COMMENTS = 4_000
ENGLISH_HEADLINES = 1_000
MIN_DOCUMENTS = 2


def english(data: Path) -> list[str]:
    rng = random.Random(SEED)  # noqa: S311 (a reproducible sample, not a secret)
    lines = (data / "goemotions" / "train.tsv").read_text(encoding="utf-8").splitlines()[1:]
    comments = [line.split("\t", 1)[0] for line in lines]
    rng.shuffle(comments)
    with (data / "upworthy_headlines" / "upworthy_exploratory_shared.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        headlines = sorted({row["headline"] for row in csv.DictReader(f) if row["headline"]})
    rng.shuffle(headlines)
    return comments[:ENGLISH_COMMENTS] + headlines[:ENGLISH_HEADLINES]


def leipzig(data: Path) -> dict[str, list[str]]:
    by_language: dict[str, list[str]] = {}
    with (data / "language_id_lingua" / "langid_shared.tsv").open(
        encoding="utf-8", newline=""
    ) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["lang"] in DEFAULT_LANGUAGES:
                by_language.setdefault(row["lang"], []).append(row["text"])
    return by_language


def table(texts: list[str]) -> tuple[Counter[str], int]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(_grams(clean_text(text)))
    return Counter({g: n for g, n in counts.items() if n >= MIN_DOCUMENTS}), len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "src/brandloom/analysis/models")
    args = parser.parse_args()
    corpora = leipzig(args.data)
    corpora["en"] = english(args.data) + corpora.get("en", [])
    corpora["all"] = [t for texts in corpora.values() for t in texts]
    arrays: dict[str, np.ndarray] = {}
    languages: dict[str, dict[str, int]] = {}
    for language in sorted(corpora):
        counts, documents = table(corpora[language])
        terms = sorted(counts)
        arrays[f"{language}.terms"] = np.frombuffer(
            "\x00".join(terms).encode("utf-8"), dtype=np.uint8
        )
        arrays[f"{language}.df"] = np.asarray([counts[t] for t in terms], dtype=np.uint16)
        languages[language] = {"documents": documents, "ngrams": len(terms)}
        print(f"{language}: {documents} texts, {len(terms)} n-grams", file=sys.stderr)
    artifact = Artifact(
        REFERENCE,
        meta={
            "languages": languages,
            "ngrams": "char_wb 2-5 + word 1-2, lower-cased, once per text",
            "min_documents": MIN_DOCUMENTS,
            "sources": {
                "en": "GoEmotions train (4,000 comments), Upworthy headlines (1,000), "
                "Leipzig sentences (language_id_lingua)",
                "other": "Leipzig sentences (language_id_lingua), 300 per language",
            },
        },
        arrays=arrays,
    )
    path = artifact.save(args.out)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
