"""Replay of Upworthy headline tests: how many clicks each way of running a test earns.

    python benchmarks/replay_upworthy.py                  # 120 tests, about 3 minutes on 2 cores
    python benchmarks/replay_upworthy.py --tests 0        # every eligible test (much longer)

Data: ../shared/data/upworthy_headlines/upworthy_exploratory_shared.csv (or --data), the shared
part of the Upworthy Research Archive (CC BY 4.0; Matias et al. 2021). A test is replayed when
it shows at least two distinct headlines and was not deployed during the archive's known
randomization problem (test weeks 201326-201402). Every package (headline + image) is an arm
and its observed CTR is taken as its true click probability; the oracle always shows the best
package. For each traffic budget per test (default 1,000 / 5,000 / 20,000 impressions) the
script reports the expected clicks of:

* ``A/B then winner``: an equal split over the first half of the budget, then all traffic to
  the package with the best observed CTR;
* ``Thompson`` and ``Bayes-UCB``: ``allocate()`` after every batch of 100 impressions, with an
  exploration floor of 1 % per arm (``--floor``);
* the same two warm-started (``prior_means`` + ``prior_strength`` pseudo-impressions) by a
  predictor of each headline's relative engagement:

  - ``surface`` (always run, the honest variant): a ridge regression on surface features of
    the headline (length, words, ?, !, digits, "you", quotes, ...) fitted on the within-test
    log-odds lifts of the *other* folds (5 folds by test), so no test is scored by a model that
    saw it. Upworthy re-tested some headlines across tests; with 12 coefficients there is
    nothing to memorize them with;
  - ``EngagementModel`` when ``brandloom.prediction.model`` can be imported: the shipped model,
    which was trained on this shared data, so its warm start is **in-sample and optimistic**;
    it is printed under that label, never in place of the surface variant;
  - ``true CTR`` (``--oracle-prior``, on by default): the package's own CTR as the prediction,
    an upper bound of what any predictor could bring at this prior strength, not an achievable
    figure.

  A score ``s_i`` (log-odds lift) becomes the prior mean ``sigmoid(logit(base) + s_i -
  mean(s))``, ``base`` the median package CTR of the training folds.

Clicks are *expected* clicks (impressions times the true CTR), which removes the noise of the
clicks themselves from the comparison; the policies still learn from sampled clicks. Regret is
the oracle's expected clicks minus the policy's. Seeded: the same command prints the same
figures. The figure (regret in % of the oracle's clicks against the budget) goes to
bench-output/replay_upworthy.png (or --png).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib
import math
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from brandloom.prediction.experiments import Arm, allocate

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "upworthy_headlines" / "upworthy_exploratory_shared.csv"
BAD_WEEKS = range(201326, 201403)  # the archive's randomization problem (README)
FOLDS = 5


@dataclass(frozen=True)
class Test:
    test_id: str
    headlines: tuple[str, ...]
    ctr: np.ndarray  # one true click probability per package

    @property
    def fold(self) -> int:
        return int(hashlib.sha1(self.test_id.encode()).hexdigest(), 16) % FOLDS


def load_tests(path: Path) -> list[Test]:
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            groups[row["clickability_test_id"]].append(row)
    tests = []
    for test_id, rows in sorted(groups.items()):
        if int(rows[0]["test_week"]) in BAD_WEEKS:
            continue
        if len({r["headline"] for r in rows}) < 2:
            continue
        if any(int(r["impressions"]) <= 0 for r in rows):
            continue
        ctr = np.array([int(r["clicks"]) / int(r["impressions"]) for r in rows])
        tests.append(Test(test_id, tuple(r["headline"] for r in rows), ctr))
    return tests


# --- predictors -------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z']+")


def surface_features(headline: str) -> list[float]:
    words = _WORD.findall(headline)
    lower = headline.lower()
    return [
        math.log1p(len(headline)),
        len(words) / 10.0,
        float("?" in headline),
        float("!" in headline),
        float(any(ch.isdigit() for ch in headline)),
        float(headline[:1].isdigit()),
        float(bool(re.search(r"\byou(r|'re)?\b", lower))),
        float(any(q in headline for q in '"“”‘’')),
        float(":" in headline),
        float(bool(re.search(r"\b(this|these|here's|what)\b", lower))),
        sum(w.isupper() and len(w) > 1 for w in words) / max(len(words), 1),
        float("..." in headline or "…" in headline),
    ]


def _centered_log_odds(test: Test) -> np.ndarray:
    # Clipping keeps packages without clicks finite.
    clicks_like = np.clip(test.ctr, 1e-4, 1 - 1e-4)
    lo = np.log(clicks_like / (1 - clicks_like))
    centered: np.ndarray = lo - lo.mean()
    return centered


def surface_predictor_out_of_fold(tests: Sequence[Test]) -> dict[str, np.ndarray]:
    """Scores (log-odds lift within the test) from a ridge fitted on the other folds."""
    features = {t.test_id: np.array([surface_features(h) for h in t.headlines]) for t in tests}
    scores: dict[str, np.ndarray] = {}
    for fold in range(FOLDS):
        train = [t for t in tests if t.fold != fold]
        x = np.concatenate([features[t.test_id] - features[t.test_id].mean(0) for t in train])
        y = np.concatenate([_centered_log_odds(t) for t in train])
        scale = x.std(0) + 1e-9
        xs = x / scale
        coef = np.linalg.solve(xs.T @ xs + 10.0 * np.eye(xs.shape[1]), xs.T @ y) / scale
        for t in tests:
            if t.fold == fold:
                f = features[t.test_id]
                scores[t.test_id] = (f - f.mean(0)) @ coef
    return scores


def predictor_quality(name: str, tests: Sequence[Test], scores: dict[str, np.ndarray]) -> None:
    """Within-test correlation with the observed log-odds lifts, and top-1 hits vs chance."""
    predicted = np.concatenate([scores[t.test_id] for t in tests])
    observed = np.concatenate([_centered_log_odds(t) for t in tests])
    r = float(np.corrcoef(predicted, observed)[0, 1]) if predicted.std() > 0 else 0.0
    hits = np.mean([t.ctr[int(np.argmax(scores[t.test_id]))] == t.ctr.max() for t in tests])
    chance = np.mean([np.mean(t.ctr == t.ctr.max()) for t in tests])
    print(
        f"predictor {name}: within-test r = {r:.3f} with the observed log-odds lift; "
        f"predicted best package is the best in {hits:.1%} of tests (chance {chance:.1%})"
    )


def engagement_model_scores(tests: Sequence[Test]) -> dict[str, np.ndarray] | None:
    try:
        # Being written alongside: imported by name so this script runs with or without it.
        module = importlib.import_module("brandloom.prediction.model")
    except ImportError:
        return None
    model = module.EngagementModel.load()
    scores = {}
    for t in tests:
        predictions = model.predict(list(t.headlines))
        s = np.array([float(p.score) for p in predictions])
        scores[t.test_id] = s - s.mean()
    return scores


def prior_means_from_scores(test: Test, scores: np.ndarray, base: float) -> dict[str, float]:
    logit = math.log(base / (1 - base))
    means = 1.0 / (1.0 + np.exp(-(logit + scores - scores.mean())))
    return {f"p{i}": float(m) for i, m in enumerate(means)}


# --- policies ---------------------------------------------------------------------------------


def ab_then_winner(test: Test, budget: int, rng: np.random.Generator) -> float:
    k = len(test.ctr)
    explore = budget // 2
    shown = rng.multinomial(explore, np.full(k, 1.0 / k))
    clicks = rng.binomial(shown, test.ctr)
    observed = np.where(shown > 0, clicks / np.maximum(shown, 1), 0.0)
    leaders = np.flatnonzero(observed == observed.max())
    winner = int(rng.choice(leaders))
    return float(shown @ test.ctr + (budget - explore) * test.ctr[winner])


def bandit(
    test: Test,
    budgets: Sequence[int],
    rng: np.random.Generator,
    *,
    method: str,
    batch: int,
    floor: float,
    prior_means: dict[str, float] | None,
    strength: float,
) -> list[float]:
    """Expected clicks after each budget, for one run of a batched bandit up to the largest."""
    k = len(test.ctr)
    names = [f"p{i}" for i in range(k)]
    shown = np.zeros(k, dtype=np.int64)
    clicks = np.zeros(k, dtype=np.int64)
    expected = 0.0
    results, pending = [], sorted(budgets)
    spent = 0
    while pending:
        arms = [Arm(n, int(s), int(c)) for n, s, c in zip(names, shown, clicks, strict=True)]
        weights = allocate(
            arms,
            method=method,  # type: ignore[arg-type]
            floor=min(floor, 1.0 / k),
            prior_means=prior_means,
            prior_strength=strength if prior_means else 0.0,
        )
        size = min(batch, pending[0] - spent)
        now = rng.multinomial(size, [weights[n] for n in names])
        shown += now
        clicks += rng.binomial(now, test.ctr)
        expected += float(now @ test.ctr)
        spent += size
        if spent == pending[0]:
            results.append(expected)
            pending.pop(0)
    return results


# --- the run ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--tests", type=int, default=120, help="tests replayed (0: all)")
    parser.add_argument("--budgets", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--floor", type=float, default=0.01)
    parser.add_argument(
        "--strength", type=float, default=1000.0, help="warm-start pseudo-impressions"
    )
    parser.add_argument("--no-oracle-prior", dest="oracle_prior", action="store_false")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--png", type=Path, default=ROOT / "bench-output" / "replay_upworthy.png")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    tests = load_tests(args.data)
    print(
        f"{len(tests):,} eligible tests in {args.data.name} (>= 2 headlines, weeks outside "
        f"201326-201402); packages per test: median {statistics.median(len(t.ctr) for t in tests)}"
    )
    surface = surface_predictor_out_of_fold(tests)
    predictor_quality("surface (out-of-fold)", tests, surface)
    shipped = engagement_model_scores(tests)
    if shipped is not None:
        predictor_quality("EngagementModel (in-sample)", tests, shipped)
    rng = np.random.default_rng(args.seed)
    chosen = (
        tests
        if args.tests <= 0 or args.tests >= len(tests)
        else [tests[i] for i in sorted(rng.choice(len(tests), args.tests, replace=False))]
    )
    print(
        f"replaying {len(chosen)} tests (seed {args.seed}), batches of {args.batch}, "
        f"floor {args.floor:.0%}, warm-start strength {args.strength:g} pseudo-impressions"
    )

    base_by_fold = {
        fold: float(np.median(np.concatenate([t.ctr for t in tests if t.fold != fold])))
        for fold in range(FOLDS)
    }
    warm: list[tuple[str, Callable[[Test], dict[str, float]]]] = [
        (
            "surface, out-of-fold",
            lambda t: prior_means_from_scores(t, surface[t.test_id], base_by_fold[t.fold]),
        )
    ]
    if shipped is not None:
        warm.append(
            (
                "EngagementModel, IN-SAMPLE",
                lambda t: prior_means_from_scores(t, shipped[t.test_id], base_by_fold[t.fold]),
            )
        )
    else:
        print(
            "brandloom.prediction.model.EngagementModel is not importable: the warm start "
            "uses the surface-feature predictor only"
        )
    if args.oracle_prior:
        warm.append(
            ("true CTR, upper bound", lambda t: {f"p{i}": float(p) for i, p in enumerate(t.ctr)})
        )

    policies: list[tuple[str, str, Callable[[Test], dict[str, float]] | None]] = [
        ("Thompson", "thompson", None),
        ("Bayes-UCB", "ucb", None),
    ]
    for source, make_means in warm:
        policies += [
            (f"Thompson + warm ({source})", "thompson", make_means),
            (f"Bayes-UCB + warm ({source})", "ucb", make_means),
        ]

    budgets = sorted(args.budgets)
    clicks: dict[str, np.ndarray] = {}
    oracle = np.array([[b * t.ctr.max() for b in budgets] for t in chosen])
    ab = np.zeros_like(oracle)
    for i, t in enumerate(chosen):
        for j, b in enumerate(budgets):
            ab[i, j] = ab_then_winner(t, b, np.random.default_rng([args.seed, i, j]))
    clicks["A/B 50/50, then winner"] = ab
    for p_index, (label, method, fn) in enumerate(policies):
        tick = time.perf_counter()
        runs = np.zeros_like(oracle)
        for i, t in enumerate(chosen):
            runs[i] = bandit(
                t,
                budgets,
                np.random.default_rng([args.seed, i, 1000 + p_index]),
                method=method,
                batch=args.batch,
                floor=args.floor,
                prior_means=fn(t) if fn is not None else None,
                strength=args.strength,
            )
        clicks[label] = runs
        print(f"  {label}: {time.perf_counter() - tick:.0f} s", file=sys.stderr)

    report(clicks, oracle, budgets)
    if shipped is not None:
        print(
            "NOTE: EngagementModel was trained on this shared data: its rows are in-sample "
            "(optimistic); the surface-feature rows are the honest out-of-fold figures."
        )
    plot(clicks, oracle, budgets, args.png)
    print(f"figure: {args.png}   ({time.perf_counter() - started:.0f} s in all)")


def report(clicks: dict[str, np.ndarray], oracle: np.ndarray, budgets: Sequence[int]) -> None:
    n = len(oracle)
    for j, b in enumerate(budgets):
        best = oracle[:, j].mean()
        print(f"\nbudget {b:,} impressions per test: oracle {best:.1f} expected clicks per test")
        print(
            f"  {'policy':<52} {'clicks':>8} {'regret':>8} {'% oracle':>9} "
            f"{'vs A/B (paired s.e.)':>22}"
        )
        reference = next(iter(clicks.values()))[:, j]
        for label, runs in clicks.items():
            regret = oracle[:, j] - runs[:, j]
            gain = runs[:, j] - reference
            se = gain.std(ddof=1) / math.sqrt(n)
            versus = f"{gain.mean():+8.2f} ({se:.2f})" if label != next(iter(clicks)) else ""
            print(
                f"  {label:<52} {runs[:, j].mean():8.2f} {regret.mean():8.2f} "
                f"{100 * regret.sum() / oracle[:, j].sum():8.1f}% {versus:>22}"
            )


def plot(
    clicks: dict[str, np.ndarray], oracle: np.ndarray, budgets: Sequence[int], png: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.5))
    for label, runs in clicks.items():
        share = [
            100 * (oracle[:, j].sum() - runs[:, j].sum()) / oracle[:, j].sum()
            for j in range(len(budgets))
        ]
        style = "--" if "warm" in label else "-"
        ax.plot(budgets, share, style, marker="o", label=label)
    ax.set_xscale("log")
    ax.set_xticks(list(budgets), [f"{b:,}" for b in budgets])
    ax.set_xlabel("impressions per test (budget)")
    ax.set_ylabel("regret, % of the oracle's expected clicks")
    ax.set_title(f"Upworthy replay: {len(oracle)} tests, packages' observed CTR as truth")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(png, dpi=120)


if __name__ == "__main__":
    main()
