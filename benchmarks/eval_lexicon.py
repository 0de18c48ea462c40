"""Figures for the lexicon analysers: coverage, throughput and how often cues fire.

    PYTHONPATH=src python benchmarks/eval_lexicon.py [--data ../shared/data] [--limit 3000]

Prints

1. the coverage table: per language, how many phrases each motivator's lexicon holds;
2. throughput (texts per second, one thread, after a warm-up that loads lexicons and
   hyphenation dictionaries) of ``motivators`` (with the language, and without: every
   lexicon at once) and ``readability``, on hand-written marketing lines in nine languages
   and, where the shared data is present, on Upworthy headlines;
3. how often each motivator scores 0.5 or more (one clear cue, or two weaker ones) on
   Upworthy headlines (English headlines written to be clicked) and on ordinary tweets in six
   languages (UMSAB): not an accuracy, since no labelled data exists, but a view of how often
   the cues fire on copy written to persuade and on everyday text.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from brandloom.analysis.motivators import MOTIVATORS, lexicon_coverage, motivators
from brandloom.analysis.readability import readability

ROOT = Path(__file__).resolve().parent.parent
NOTICEABLE = 0.5  # one clear cue in a short text (0.55), or two weaker ones
SHORT = {
    "urgency": "urg",
    "exclusivity": "excl",
    "trust": "trust",
    "curiosity": "cur",
    "belonging": "bel",
    "achievement": "ach",
    "fear_of_missing_out": "fomo",
    "security": "sec",
    "value": "value",
    "novelty": "nov",
}
UMSAB_LANGUAGES = {
    "english": "en",
    "german": "de",
    "spanish": "es",
    "french": "fr",
    "italian": "it",
    "portuguese": "pt",
}

# Marketing lines of the kind the product analyses: subject lines, ad copy, product blurbs.
SAMPLES: dict[str, list[str]] = {
    "en": [
        "Last chance: 30% off ends tonight! Free shipping on every order.",
        "Members only: early access to our limited edition, backed by a money-back guarantee.",
        "Discover the secret behind our new collection. Join a community of 10,000 makers.",
        "Your data stays safe with encrypted payments. Cancel anytime, no commitment.",
        "Reach your goals faster with the plan trusted by over 2,000 coaches worldwide.",
    ],
    "de": [
        "Letzte Chance: 30 % Rabatt – nur noch heute! Versandkostenfrei bestellen.",
        "Exklusiv für Mitglieder: die neue Kollektion mit Geld-zurück-Garantie.",
        "Entdecken Sie, wie unsere Bohnen geröstet werden, und werden Sie Teil der Community.",
    ],
    "es": [
        "Última oportunidad: 30 % de descuento, ¡termina esta noche! Envío gratis.",
        "No te lo pierdas: ¡casi agotado! Únete a nuestra comunidad de viajeros.",
    ],
    "fr": [
        "Dernière chance : -30 % jusqu'à minuit ! Livraison offerte dès 50 €.",
        "Découvrez comment est née notre nouvelle collection. Paiement sécurisé.",
    ],
    "it": [
        "Ultima occasione: 30% di sconto, solo oggi! Spedizione gratuita.",
        "Non perdere l'edizione limitata: quasi esaurita!",
    ],
    "pt": [
        "Última chance: 30% de desconto só hoje! Frete grátis para todo o Brasil.",
        "Alcance seus objetivos com a nossa comunidade. Cancele a qualquer momento.",
    ],
    "nl": ["Laatste kans: 30% korting, alleen vandaag! Gratis verzending."],
    "sv": ["Sista chansen: 30 % rabatt, bara idag! Fri frakt och 30 dagars öppet köp."],
    "pl": ["Ostatnia szansa: -30% tylko dziś! Darmowa dostawa i gwarancja zwrotu pieniędzy."],
}


def main(argv: Sequence[str] | None = None) -> int:
    """Print the coverage table, throughput and firing rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=3000, help="texts per data set")
    args = parser.parse_args(argv)

    print_coverage()
    samples = [(text, lang) for lang, texts in SAMPLES.items() for text in texts]
    headlines = _upworthy(args.data, args.limit)
    print("\n## Throughput (texts/s, one thread, best of 3)\n")
    print("| texts | mean chars | motivators (language) | motivators (none) | readability |")
    print("|---|---|---|---|---|")
    print_throughput("marketing lines, 9 languages", samples)
    if headlines:
        print_throughput(f"Upworthy headlines (en), {len(headlines)}", headlines)
    if headlines:
        print(f"\n## Share of texts where a motivator scores {NOTICEABLE} or more (%)\n")
        print("| texts | n | " + " | ".join(SHORT[m] for m in MOTIVATORS) + " | any |")
        print("|---|---|" + "---|" * (len(MOTIVATORS) + 1))
        print_firing("Upworthy headlines (en)", headlines)
        for name, lang in UMSAB_LANGUAGES.items():
            tweets = _umsab(args.data, name, lang, args.limit)
            if tweets:
                print_firing(f"UMSAB tweets ({lang})", tweets)
    else:
        print(f"\n(no data under {args.data}: firing rates skipped)")
    return 0


def print_coverage() -> None:
    coverage = lexicon_coverage()
    print("## Phrases per motivator and language\n")
    print("| lang | " + " | ".join(SHORT[m] for m in MOTIVATORS) + " | total |")
    print("|---|" + "---|" * (len(MOTIVATORS) + 1))
    for lang, counts in coverage.items():
        cells = " | ".join(str(counts[m]) for m in MOTIVATORS)
        print(f"| {lang} | {cells} | {sum(counts.values())} |")


def print_throughput(label: str, texts: list[tuple[str, str]]) -> None:
    chars = sum(len(text) for text, _ in texts) / len(texts)
    with_language = _rate(texts, lambda text, lang: motivators(text, lang))
    without = _rate(texts, lambda text, lang: motivators(text, None))
    reading = _rate(texts, lambda text, lang: readability(text, lang))
    print(f"| {label} | {chars:.0f} | {with_language:,.0f} | {without:,.0f} | {reading:,.0f} |")


def print_firing(label: str, texts: list[tuple[str, str]]) -> None:
    hits = dict.fromkeys(MOTIVATORS, 0)
    anything = 0
    for text, lang in texts:
        found = motivators(text, lang)
        fired = [m for m in MOTIVATORS if found[m]["score"] >= NOTICEABLE]
        for m in fired:
            hits[m] += 1
        anything += bool(fired)
    n = len(texts)
    cells = " | ".join(f"{100 * hits[m] / n:.1f}" for m in MOTIVATORS)
    print(f"| {label} | {n} | {cells} | {100 * anything / n:.1f} |")


def _rate(texts: list[tuple[str, str]], call: Callable[[str, str], Any]) -> float:
    for text, lang in texts[:50]:  # warm-up: lexicons, dictionaries, caches
        call(text, lang)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for text, lang in texts:
            call(text, lang)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def _upworthy(data: Path, limit: int) -> list[tuple[str, str]]:
    path = data / "upworthy_headlines" / "upworthy_exploratory_shared.csv"
    if not path.exists():
        return []
    seen: dict[str, None] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            headline = (row.get("headline") or "").strip()
            if headline:
                seen.setdefault(headline)
            if len(seen) >= limit:
                break
    return [(headline, "en") for headline in seen]


def _umsab(data: Path, name: str, lang: str, limit: int) -> list[tuple[str, str]]:
    path = data / "sentiment_multilingual_umsab" / "umsab_shared.tsv"
    if not path.exists():
        return []
    csv.field_size_limit(sys.maxsize)
    found: list[tuple[str, str]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["lang"] == name:
                found.append((row["text"], lang))
                if len(found) >= limit:
                    break
    return found


if __name__ == "__main__":
    raise SystemExit(main())
