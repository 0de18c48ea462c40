"""How the next batch of traffic is split between arms, and which arm a contact gets.

:func:`allocate` turns the counts so far into weights (bandit allocation: more traffic to arms
that look better, some to every arm); :func:`assign` maps a contact to an arm by a stable hash,
so re-sending a batch gives every contact the same arm.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np

from brandloom.kit.hashing import unit_interval
from brandloom.prediction.experiments.analysis import (
    Arm,
    ExperimentInputError,
    beta_quantile,
    compare_posteriors,
)

__all__ = ["AllocationMethod", "allocate", "assign", "posterior_parameters"]

AllocationMethod = Literal["thompson", "ucb"]

# Every arm starts from a uniform Beta(1, 1); a warm start adds pseudo-counts on top of it.
_BASE_PRIOR = (1.0, 1.0)
# Bayes-UCB indices closer than this are a tie: the traffic is shared.
_TIE = 1e-12


def posterior_parameters(
    arms: Sequence[Arm],
    *,
    prior_means: Mapping[str, float] | None = None,
    prior_strength: float = 0.0,
) -> tuple[list[float], list[float]]:
    """Beta posterior ``(alphas, betas)`` of each arm, warm-started by predicted CTRs.

    Without ``prior_means`` every arm starts from ``Beta(1, 1)``. With them (LOLA-style warm
    start: a predictor's click-through rate per arm), arm ``i`` starts from
    ``Beta(1 + s m_i, 1 + s (1 - m_i))``: ``s = prior_strength`` pseudo-impressions at the
    predicted rate ``m_i``, which real impressions outweigh once they outnumber ``s``.
    """
    _check_arms(arms)
    if not (prior_strength >= 0.0 and math.isfinite(prior_strength)):
        raise ExperimentInputError(
            f"prior_strength must be a non-negative number, not {prior_strength}"
        )
    alphas = [_BASE_PRIOR[0] + arm.clicks for arm in arms]
    betas = [_BASE_PRIOR[1] + arm.impressions - arm.clicks for arm in arms]
    if prior_means is None or prior_strength == 0.0:
        return alphas, betas
    names = {arm.name for arm in arms}
    unknown = sorted(set(prior_means) - names)
    if unknown:
        raise ExperimentInputError(f"prior_means names arms the experiment lacks: {unknown}")
    for i, arm in enumerate(arms):
        if arm.name not in prior_means:
            raise ExperimentInputError(f"prior_means has no predicted CTR for arm {arm.name!r}")
        mean = float(prior_means[arm.name])
        if not 0.0 <= mean <= 1.0:
            raise ExperimentInputError(
                f"arm {arm.name!r}: the predicted CTR must lie in [0, 1], not {mean}"
            )
        alphas[i] += prior_strength * mean
        betas[i] += prior_strength * (1.0 - mean)
    return alphas, betas


def allocate(
    arms: Sequence[Arm],
    *,
    method: AllocationMethod = "thompson",
    prior_means: Mapping[str, float] | None = None,
    prior_strength: float = 0.0,
    floor: float = 0.05,
    seed: int = 0,
    draws: int = 0,
) -> dict[str, float]:
    """Traffic weights for the next batch, one per arm (in the arms' order), summing to 1.

    ``"thompson"``: Thompson sampling in batch form, i.e. probability matching. Each arm gets
    the posterior probability that it is the best, computed exactly by quadrature
    (:func:`compare_posteriors <brandloom.prediction.experiments.analysis.compare_posteriors>`);
    with ``draws > 0`` it is estimated instead from ``draws`` seeded posterior draws (``seed``),
    which is what per-impression Thompson sampling would do on average.

    ``"ucb"``: Bayes-UCB (Kaufmann, Cappé & Garivier, 2012). Each arm's index is the
    ``1 - 1/t`` quantile of its posterior (``t`` = impressions so far + 1, at least 2), an upper
    confidence bound that tightens as data comes in; the whole batch goes to the highest index
    (ties share it). It uses the same Beta posteriors, so a warm start applies to it as well.

    ``prior_means`` and ``prior_strength`` warm-start both (see :func:`posterior_parameters`).
    ``floor`` keeps exploring: every arm gets at least ``floor`` (weights are
    ``floor + (1 - k floor) w``), so it must be at most ``1 / k`` for ``k`` arms.
    """
    alphas, betas = posterior_parameters(
        arms, prior_means=prior_means, prior_strength=prior_strength
    )
    k = len(arms)
    if not (0.0 <= floor <= 1.0 / k):
        raise ExperimentInputError(
            f"floor must lie in [0, 1/{k}] for {k} arms (every arm gets at least floor), "
            f"not {floor}"
        )
    if method == "thompson":
        if draws < 0:
            raise ExperimentInputError(f"draws must not be negative, not {draws}")
        if draws:
            rng = np.random.default_rng(seed)
            samples = rng.beta(alphas, betas, size=(draws, k))
            counts = np.bincount(samples.argmax(axis=1), minlength=k)
            raw = [float(c) / draws for c in counts]
        else:
            raw, _ = compare_posteriors(alphas, betas)
    elif method == "ucb":
        seen = sum(arm.impressions for arm in arms)
        level = 1.0 - 1.0 / max(seen + 1, 2)
        index = [beta_quantile(a, b, level) for a, b in zip(alphas, betas, strict=True)]
        top = max(index)
        leaders = [i for i, v in enumerate(index) if v >= top - _TIE]
        raw = [1.0 / len(leaders) if i in leaders else 0.0 for i in range(k)]
    else:
        raise ExperimentInputError(f"method must be 'thompson' or 'ucb', not {method!r}")
    total = sum(raw)
    share = 1.0 - k * floor
    return {arm.name: floor + share * w / total for arm, w in zip(arms, raw, strict=True)}


def assign(contact_key: str, experiment_id: str, weights: Mapping[str, float]) -> str:
    """The arm of one contact: deterministic for the same key, experiment and weights.

    The pair (experiment id, contact key) hashes to a number in [0, 1)
    (:func:`brandloom.kit.hashing.unit_interval`), which falls into one arm's slice of the
    cumulative weights. Arms are taken in sorted name order, so the answer does not depend on
    the mapping's order; weights need not sum to 1 (they are normalized). Changing the weights
    moves only the contacts whose number falls in a slice that moved.
    """
    if not weights:
        raise ExperimentInputError("assign needs at least one arm weight")
    names = sorted(weights)
    values = [float(weights[name]) for name in names]
    for name, value in zip(names, values, strict=True):
        if not (value >= 0.0 and math.isfinite(value)):
            raise ExperimentInputError(f"arm {name!r}: weight must be non-negative, not {value}")
    total = sum(values)
    if total <= 0.0:
        raise ExperimentInputError("at least one arm weight must be positive")
    cumulative, acc = [], 0.0
    for value in values:
        acc += value / total
        cumulative.append(acc)
    u = unit_interval(experiment_id, "arm", contact_key)
    i = bisect.bisect_right(cumulative, u)
    # Rounding may leave the last cumulative weight a hair under 1; skip empty arms at the end.
    i = min(i, len(names) - 1)
    while values[i] == 0.0:
        i -= 1
    return names[i]


def _check_arms(arms: Sequence[Arm]) -> None:
    if len(arms) < 1:
        raise ExperimentInputError("allocation needs at least one arm")
    seen: set[str] = set()
    for arm in arms:
        if not isinstance(arm, Arm):
            raise ExperimentInputError(f"arms must be Arm objects, not {type(arm).__name__}")
        if arm.name in seen:
            raise ExperimentInputError(f"arm {arm.name!r} appears twice")
        seen.add(arm.name)
