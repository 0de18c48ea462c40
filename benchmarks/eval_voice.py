"""Brand attribution with per-brand voices, cross-validated; lint and score throughput.

    python benchmarks/eval_voice.py [--data ../shared/data] [--folds 5] [--no-tone]

Data: ``brand_voice_twitter_care`` (customer-care replies of 24 brands; the brands with at
least 10 texts are evaluated). URLs, @handles and agents' signatures (``^JS``, ``*SR``,
``~Nick``, ``-Karla``, ``/EX`` at the end of a reply) are masked, so the voice decides, not a
link or a name. Folds split by conversation (a whole conversation is in one fold).

Per fold, one ``VoiceProfile`` per brand is fitted on that brand's training texts only (with
the shipped generic reference corpus, which holds no text of these brands); every test text is
scored against every brand's voice and attributed to the best-scoring one. Printed: top-1
accuracy (chance = 1 / brands) for the overall score and for the vocabulary dimension alone,
the AUC of own-brand vs other-brand scores pooled over all brands (are scores comparable
across brands?), the same with an empty reference, per-brand accuracy, and the balanced
logistic fit behind the vocabulary score's fixed curve. Then lint and score speed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from brandloom.analysis import voice as voice_module  # noqa: E402
from brandloom.analysis.brand_rules import BrandLinter  # noqa: E402
from brandloom.analysis.guidelines import parse_guidelines  # noqa: E402
from brandloom.analysis.voice import Reference, VoiceProfile  # noqa: E402

MIN_TEXTS = 10
_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"@\w+")
_SIGNATURE = re.compile(r"(?:\s|^|(?<=[.!?]))[\^*~/_-]\s?[A-Z][\w]{0,20}\s*$|\^\s?\w+")


def mask(text: str) -> str:
    text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    text = _HANDLE.sub(" ", _URL.sub(" ", text))
    text = _SIGNATURE.sub(" ", text.strip())
    return " ".join(text.split())


def read(data: Path) -> tuple[list[str], list[str], list[str]]:
    path = data / "brand_voice_twitter_care" / "brand_replies_shared.tsv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    counts = Counter(r["company"] for r in rows)
    rows = [r for r in rows if counts[r["company"]] >= MIN_TEXTS]
    return (
        [mask(r["text"]) for r in rows],
        [r["company"] for r in rows],
        [r["session_id"] for r in rows],
    )


def fold_of(session: str, folds: int) -> int:
    return int(hashlib.sha256(session.encode()).hexdigest(), 16) % folds


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (ties count half), by ranks."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    n_pos = positive.sum()
    n_neg = len(positive) - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def balanced_logistic(x: np.ndarray, y: np.ndarray, steps: int = 50) -> tuple[float, float]:
    """Slope and intercept of a class-balanced logistic regression on one feature (Newton)."""
    w = np.where(y, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    a, b = 1.0, 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(a * x + b)))
        g = np.array([np.sum(w * (p - y) * x), np.sum(w * (p - y))])
        h = w * p * (1 - p)
        hess = np.array([[np.sum(h * x * x), np.sum(h * x)], [np.sum(h * x), np.sum(h)]])
        step = np.linalg.solve(hess + 1e-9 * np.eye(2), g)
        a, b = a - step[0], b - step[1]
    return float(a), float(b)


def attribution(texts, labels, sessions, folds, *, tone: bool, reference=None):
    brands = sorted(set(labels))
    overall = np.zeros((len(texts), len(brands)))
    vocab = np.zeros_like(overall)
    raw = np.zeros_like(overall)
    patch = (
        mock.patch.object(Reference, "load", return_value=reference)
        if reference is not None
        else mock.patch.object(Reference, "load", Reference.load)
    )
    with patch:
        for k in range(folds):
            test = [i for i, s in enumerate(sessions) if fold_of(s, folds) == k]
            train = [i for i, s in enumerate(sessions) if fold_of(s, folds) != k]
            test_texts = [texts[i] for i in test]
            for j, brand in enumerate(brands):
                own = [texts[i] for i in train if labels[i] == brand]
                profile = VoiceProfile(tone=tone).fit(own, locales=["en"] * len(own))
                scores = profile.score(test_texts, locale="en")
                pairs = profile.vocabulary(test_texts)
                for row, i in enumerate(test):
                    overall[i, j] = scores[row].score
                    vocab[i, j] = scores[row].dimensions.get("vocabulary", {}).get("score", 0.0)
                    nb, cosine = pairs[row]
                    raw[i, j] = nb + voice_module.CENTROID_WEIGHT * cosine
    truth = np.array([brands.index(b) for b in labels])
    own_mask = np.zeros_like(overall, dtype=bool)
    own_mask[np.arange(len(texts)), truth] = True
    return brands, truth, own_mask, overall, vocab, raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-tone", action="store_true", help="voices without the tone model")
    args = parser.parse_args(argv)
    texts, labels, sessions = read(args.data)
    tone = not args.no_tone
    started = time.perf_counter()
    brands, truth, own, overall, vocab, raw = attribution(
        texts, labels, sessions, args.folds, tone=tone
    )
    took = time.perf_counter() - started
    print(
        f"brand attribution, {len(texts)} texts, {len(brands)} brands (chance "
        f"{1 / len(brands):.3f}), {args.folds}-fold CV by conversation, "
        f"tone={'on' if tone else 'off'}"
    )
    for name, matrix in (("overall score", overall), ("vocabulary only", vocab)):
        top1 = float(np.mean(matrix.argmax(1) == truth))
        area = auc(matrix.ravel(), own.ravel())
        print(f"  {name:<16} top-1 {top1:.4f}   own-vs-other AUC {area:.4f}")
    per_brand = defaultdict(list)
    for i, t in enumerate(truth):
        per_brand[brands[t]].append(overall[i].argmax() == t)
    print(
        "  per brand: "
        + ", ".join(f"{b} {np.mean(v):.2f} ({len(v)})" for b, v in sorted(per_brand.items()))
    )
    slope, intercept = balanced_logistic(raw.ravel(), own.ravel())
    print(
        f"  vocabulary curve (balanced logistic on nb + {voice_module.CENTROID_WEIGHT:g} x "
        f"cosine): slope {slope:.2f} offset {intercept:.2f} (shipped {voice_module.SLOPE} / "
        f"{voice_module.OFFSET})"
    )
    own_scores = overall[own]
    other_scores = overall[~own]
    print(
        f"  overall score: own texts median {np.median(own_scores):.1f} "
        f"(p10 {np.percentile(own_scores, 10):.1f}), other brands' median "
        f"{np.median(other_scores):.1f} (p90 {np.percentile(other_scores, 90):.1f})"
    )
    print(
        f"  ({took:.0f} s for {args.folds * len(brands)} fits and "
        f"{len(texts) * len(brands)} scores)"
    )

    empty = Reference({"all": ({}, 0)})
    _, truth_e, own_e, _, vocab_e, _ = attribution(
        texts, labels, sessions, args.folds, tone=False, reference=empty
    )
    print(
        f"  empty reference, vocabulary only: top-1 {np.mean(vocab_e.argmax(1) == truth_e):.4f}   "
        f"AUC {auc(vocab_e.ravel(), own_e.ravel()):.4f}"
    )

    # speed: one voice, every text
    profile = VoiceProfile(tone=tone).fit(texts[:200], locales=["en"] * 200)
    guidelines = parse_guidelines(
        {
            "brand_name": "Lumen & Loom",
            "banned_terms": ["guaranteed", "act now", "cheap"],
            "glossary": {"e-mail": "email", "sign in": "log in", "DM": "direct message"},
            "required_disclaimers": {"social": ["Terms apply."]},
            "emoji": "max_1",
            "exclamation": "max_1",
            "reading_level": {"max_grade": 8},
        },
        source="benchmark",
    )
    linter = BrandLinter(guidelines)
    sample = (texts * 4)[:2000]
    started = time.perf_counter()
    for text in sample:
        linter.lint(text, channel="social", locale="en")
    lint_rate = len(sample) / (time.perf_counter() - started)
    started = time.perf_counter()
    profile.score(sample[:500], locale="en")
    score_rate = 500 / (time.perf_counter() - started)
    print(
        f"speed (one core): lint {lint_rate:,.0f} texts/s; score {score_rate:,.0f} texts/s "
        f"(tone {'on' if tone else 'off'}); profile {len(profile.to_bytes()):,} bytes for 200 texts"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
