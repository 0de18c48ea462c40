"""What an experiment's counts say: Bayesian posteriors, a decision, and an always-valid test.

Each arm's click-through rate gets a Beta posterior (``prior`` plus clicks and non-clicks). From
those posteriors :func:`analyze` reports, per arm, the probability to be the best arm and the
*expected loss* of choosing it: the click-through rate given up, on average, if another arm is in
fact better, ``E[max_j p_j - p_i]``. Both are integrals over the posteriors, computed here by
quadrature (no sampling, so the same counts always give the same figures):

* the integrals run in log-odds space, ``t = log(p / (1 - p))``, where every Beta density is
  smooth, log-concave and free of the poles that ``Beta(a < 1, .)`` has at 0;
* each arm contributes an evenly spaced grid over the region where its density is above
  ``e^-50`` of its peak, so a posterior 10,000 times narrower than another is still resolved;
* cumulative distribution functions use the corrected (Hermite) trapezoid rule with the exact
  derivative of the density, and upper tails are accumulated from the right, so
  ``1 - F`` keeps its precision where ``F`` is close to 1;
* ``P(best_i) = integral g_i * prod_{j != i} G_j`` and
  ``loss_i = integral F_i (1 - prod_{j != i} F_j) dp`` (no cancellation: the integrand is >= 0).

Credible intervals are exact Beta quantiles (Newton's method on the regularized incomplete beta
function, evaluated by its continued fraction). Everything runs on numpy and the standard
library; ``tests/prediction/experiments`` checks the figures against closed forms, scipy and a
million-draw Monte Carlo.

The frequentist check is the mixture sequential probability ratio test (mSPRT) of Johari,
Koomen, Pekelis & Walsh ("Peeking at A/B tests", KDD 2017; "Always valid inference", Operations
Research 2022). Its p-values stay valid however often the counts are looked at: see
:func:`always_valid_p_value`.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

from brandloom.errors import ValidationFailed

__all__ = [
    "KEEP_RUNNING",
    "Analysis",
    "Arm",
    "ExperimentInputError",
    "VariantResult",
    "always_valid_p_value",
    "analyze",
    "beta_quantile",
    "compare_posteriors",
    "sample_size",
]

FloatArray = npt.NDArray[np.float64]

# The quadrature covers, per arm, the log-odds where its density is within e^-50 of its peak:
# the mass left outside is below 1e-20, far under the figures' last reported digit.
_TAIL_LOG = 50.0
# Grid points per arm: 1025 points over about +-10 standard deviations keep the probabilities
# within about 1e-8 of the closed forms (the tests hold them to 1e-6), in about a millisecond.
_POINTS_PER_ARM = 1025
_CF_EPS = 1e-16
_CF_TINY = 1e-300
_CREDIBLE = 0.95


class ExperimentInputError(ValidationFailed):
    """Counts or settings an experiment analysis cannot use; the message names the culprit."""

    code = "experiment.invalid_input"


@dataclass(frozen=True)
class Arm:
    """One arm (variant) of an experiment and its counts so far.

    ``conversions`` (when known) is checked (``<= clicks``) and kept for callers; the analysis
    itself is of clicks over impressions.
    """

    name: str
    impressions: int
    clicks: int
    conversions: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ExperimentInputError(
                f"an arm's name must be a non-empty string, not {self.name!r}"
            )
        for field_name in ("impressions", "clicks", "conversions"):
            value = getattr(self, field_name)
            if value is None and field_name == "conversions":
                continue
            try:
                count = operator.index(value)
            except TypeError:
                raise ExperimentInputError(
                    f"arm {self.name!r}: {field_name} must be a whole number, not {value!r}"
                ) from None
            if isinstance(value, bool):
                raise ExperimentInputError(
                    f"arm {self.name!r}: {field_name} must be a whole number, not {value!r}"
                )
            if count < 0:
                raise ExperimentInputError(
                    f"arm {self.name!r}: {field_name} must not be negative (got {count})"
                )
            object.__setattr__(self, field_name, count)
        if self.clicks > self.impressions:
            raise ExperimentInputError(
                f"arm {self.name!r}: clicks ({self.clicks}) exceed impressions ({self.impressions})"
            )
        if self.conversions is not None and self.conversions > self.clicks:
            raise ExperimentInputError(
                f"arm {self.name!r}: conversions ({self.conversions}) exceed clicks ({self.clicks})"
            )

    @property
    def ctr(self) -> float | None:
        """Observed click-through rate (None before the first impression)."""
        return self.clicks / self.impressions if self.impressions else None


# --- Beta distribution numerics -------------------------------------------------------------


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _softplus(t: float) -> float:
    """``log(1 + e^t)`` without overflow."""
    return max(t, 0.0) + math.log1p(math.exp(-abs(t)))


def _continued_fraction(a: float, b: float, x: float) -> float:
    """Lentz's evaluation of the incomplete beta continued fraction (Numerical Recipes 6.4).

    It converges quickly for ``x < (a + 1) / (a + b + 2)``; in the worst case it takes about
    ``sqrt(max(a, b))`` terms (500 for a hundred million impressions).
    """
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _CF_TINY else _CF_TINY)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        for aa in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > _CF_TINY else _CF_TINY)
            c = 1.0 + aa / c
            c = c if abs(c) > _CF_TINY else _CF_TINY
            delta = d * c
            h *= delta
        if abs(delta - 1.0) < _CF_EPS:
            return h
    return h  # pragma: no cover - the fraction converges long before


def _cdf_logit(a: float, b: float, t: float) -> float:
    """``P(X <= sigmoid(t))`` for ``X ~ Beta(a, b)``: the regularized incomplete beta function.

    Taking the log-odds keeps both ``x`` and ``1 - x`` exact far into either tail.
    """
    if t == -math.inf:
        return 0.0
    if t == math.inf:
        return 1.0
    log_x, log_1mx = -_softplus(-t), -_softplus(t)
    x, one_minus_x = math.exp(log_x), math.exp(log_1mx)
    front = math.exp(a * log_x + b * log_1mx - _log_beta(a, b))
    if x < (a + 1.0) / (a + b + 2.0):
        return min(1.0, front * _continued_fraction(a, b, x) / a)
    return max(0.0, 1.0 - front * _continued_fraction(b, a, one_minus_x) / b)


def _log_density_logit(a: float, b: float, t: float) -> float:
    """Log density of ``log(X / (1 - X))`` for ``X ~ Beta(a, b)``."""
    return a * t - (a + b) * _softplus(t) - _log_beta(a, b)


def _support_logit(a: float, b: float) -> tuple[float, float]:
    """The log-odds interval where the density is above ``e^-50`` of its peak.

    The log-odds density ``a t - (a + b) log(1 + e^t)`` is concave with its mode at
    ``log(a / b)``, so each end is found by doubling a step, then bisecting.
    """
    mode = math.log(a) - math.log(b)
    peak = a * mode - (a + b) * _softplus(mode)

    def drop(t: float) -> float:
        return peak - (a * t - (a + b) * _softplus(t)) - _TAIL_LOG

    step = math.sqrt(1.0 / a + 1.0 / b)
    ends = []
    for direction in (-1.0, 1.0):
        near, far = mode, mode + direction * step
        while drop(far) < 0.0:
            near, far = far, far + (far - mode)
        # The grid's ends need no precision: a hundredth of a standard deviation will do.
        while abs(far - near) > 0.01 * step:
            mid = 0.5 * (near + far)
            if drop(mid) < 0.0:
                near = mid
            else:
                far = mid
        ends.append(far)
    return ends[0], ends[1]


def beta_quantile(a: float, b: float, q: float) -> float:
    """The ``q`` quantile of ``Beta(a, b)``, exact to about 1e-12 in log-odds.

    Newton's method on the regularized incomplete beta function in log-odds space, kept inside a
    shrinking bracket (a bisection step whenever Newton would leave it).
    """
    if not (a > 0.0 and b > 0.0 and math.isfinite(a) and math.isfinite(b)):
        raise ExperimentInputError(f"Beta parameters must be positive and finite, not {a}, {b}")
    if not 0.0 <= q <= 1.0:
        raise ExperimentInputError(f"a quantile level must lie in [0, 1], not {q}")
    if q == 0.0:
        return 0.0
    if q == 1.0:
        return 1.0
    low, high = _support_logit(a, b)
    # The support covers all but ~1e-20 of the mass; widen it for the rare extreme level.
    while _cdf_logit(a, b, low) > q:
        low -= high - low
    while _cdf_logit(a, b, high) < q:
        high += high - low
    t = min(max(math.log(a) - math.log(b), low), high)
    for _ in range(200):
        error = _cdf_logit(a, b, t) - q
        if error == 0.0:
            break
        if error > 0.0:
            high = t
        else:
            low = t
        density = math.exp(_log_density_logit(a, b, t))
        step = error / density if density > 0.0 else math.inf
        candidate = t - step
        if not low < candidate < high:
            candidate = 0.5 * (low + high)
        if abs(candidate - t) <= 1e-13 * max(1.0, abs(t)):
            t = candidate
            break
        t = candidate
    return 1.0 / (1.0 + math.exp(-t))


def _as_parameters(
    alphas: Sequence[float], betas: Sequence[float]
) -> tuple[FloatArray, FloatArray]:
    a = np.asarray(alphas, dtype=np.float64)
    b = np.asarray(betas, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape or len(a) < 1:
        raise ExperimentInputError("alphas and betas must be two sequences of the same length")
    if not (np.all(a > 0) and np.all(b > 0) and np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ExperimentInputError("Beta parameters must be positive and finite")
    return a, b


def _grid(supports: Sequence[tuple[float, float]]) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Log-odds points as fine as each arm's own grid wherever its support reaches.

    Between consecutive support ends, the spacing is the finest among the arms covering that
    stretch; arms whose supports overlap share points instead of each bringing its own. Also
    returns which intervals lie in a gap that no support covers (arms far apart).
    """
    steps = [(high - low) / (_POINTS_PER_ARM - 1) for low, high in supports]
    ends = sorted({end for support in supports for end in support})
    pieces, gap_flags = [], []
    for left, right in itertools.pairwise(ends):
        covering = [
            step
            for (low, high), step in zip(supports, steps, strict=True)
            if low < right and high > left
        ]
        # Nothing lives in a gap: one interval spans it.
        count = max(2, math.ceil((right - left) / min(covering)) + 1) if covering else 2
        pieces.append(np.linspace(left, right, count)[:-1])
        gap_flags.append(np.full(count - 1, not covering))
    pieces.append(np.array([ends[-1]]))
    return np.concatenate(pieces), np.concatenate(gap_flags)


def compare_posteriors(
    alphas: Sequence[float], betas: Sequence[float]
) -> tuple[list[float], list[float]]:
    """Probability to be best and expected loss of independent ``Beta(alphas[i], betas[i])`` arms.

    ``expected loss`` of arm ``i`` is ``E[max_j p_j - p_i]`` in rate units. Computed by
    quadrature in log-odds space (see the module's docstring); accurate to about 1e-8.
    """
    a, b = _as_parameters(alphas, betas)
    k = len(a)
    if k == 1:
        return [1.0], [0.0]
    t, gaps = _grid([_support_logit(ai, bi) for ai, bi in zip(a, b, strict=True)])
    x = 1.0 / (1.0 + np.exp(-t))
    softplus = np.logaddexp(0.0, t)
    log_beta = np.array([_log_beta(ai, bi) for ai, bi in zip(a, b, strict=True)])
    # (k, n): densities of the log-odds and their derivatives, from log space.
    dens = np.exp(
        a[:, None] * t[None, :] - (a + b)[:, None] * softplus[None, :] - log_beta[:, None]
    )
    slope = dens * (a[:, None] - (a + b)[:, None] * x[None, :])
    h = np.diff(t)
    # Corrected trapezoid: the h^2/12 term cancels the rule's leading error.
    pieces = 0.5 * h * (dens[:, :-1] + dens[:, 1:]) + h * h / 12.0 * (slope[:, :-1] - slope[:, 1:])
    pieces = np.maximum(pieces, 0.0)
    total = pieces.sum(axis=1, keepdims=True)
    pieces /= total
    zeros = np.zeros((k, 1))
    cdf = np.minimum(np.concatenate([zeros, np.cumsum(pieces, axis=1)], axis=1), 1.0)
    upper = np.concatenate([np.cumsum(pieces[:, ::-1], axis=1)[:, ::-1], zeros], axis=1)
    upper = np.minimum(upper, 1.0)

    with np.errstate(divide="ignore"):
        log_cdf = np.log(cdf)
        log_below = np.log1p(-upper)  # log F, precise where F is close to 1
    log_f = np.where(cdf < 0.5, log_cdf, log_below)
    # Products over the other arms, by prefix and suffix sums (no division by a zero F).
    prefix = np.concatenate([np.zeros((1, len(t))), np.cumsum(log_f, axis=0)[:-1]], axis=0)
    suffix = np.concatenate(
        [np.cumsum(log_f[::-1], axis=0)[::-1][1:], np.zeros((1, len(t)))], axis=0
    )
    log_others = prefix + suffix

    others = np.exp(log_others)
    integrand = dens * others
    prob_best = 0.5 * (h * (integrand[:, :-1] + integrand[:, 1:])).sum(axis=1)
    prob_best = np.clip(prob_best, 0.0, None)
    prob_best /= prob_best.sum()

    # P(some other arm exceeds x) = 1 - prod F_j, kept exact when the product is near 1.
    others_exceed = -np.expm1(log_others)
    f = cdf * others_exceed
    # The trapezoid rule in t on f dx/dt: its integrand vanishes smoothly at both ends, where
    # the rule is at its most accurate. Across a stretch no posterior reaches, f is constant
    # and the rule in x (f times the exact difference of the rates) is exact instead.
    dx_dt = x * (1.0 / (1.0 + np.exp(t)))  # x (1 - x), exact in both tails
    in_t = 0.5 * h * (f[:, :-1] * dx_dt[:-1] + f[:, 1:] * dx_dt[1:])
    in_x = 0.5 * np.diff(x) * (f[:, :-1] + f[:, 1:])
    loss = np.where(gaps, in_x, in_t).sum(axis=1)
    return [float(p) for p in prob_best], [float(max(v, 0.0)) for v in loss]


# --- always-valid p-values (mSPRT) ------------------------------------------------------------


def always_valid_p_value(
    control_impressions: npt.ArrayLike,
    control_clicks: npt.ArrayLike,
    impressions: npt.ArrayLike,
    clicks: npt.ArrayLike,
    *,
    mixing_sd: float = 0.1,
) -> FloatArray:
    """mSPRT p-value for "the arm's click rate equals the control's", at the current counts.

    The difference of the observed rates, ``d``, is treated as normal with the pooled variance
    ``V = p(1 - p)(1/n_c + 1/n)`` (``p`` the pooled rate: the null's own estimate). Mixing the
    alternative ``d ~ N(theta, V)`` over ``theta ~ N(0, tau^2)`` gives the likelihood ratio

        Lambda = sqrt(V / (V + tau^2)) * exp(tau^2 d^2 / (2 V (V + tau^2)))

    which is a martingale under the null, so by Ville's inequality ``P(ever Lambda >= 1/alpha)
    <= alpha``: ``min(1, 1/Lambda)`` may be checked after every batch (the running minimum of
    these values, which :func:`analyze` keeps when given the previous ones, is valid too).
    ``tau = mixing_sd * p``: the mixing distribution says "relative lifts of about
    ``mixing_sd``" (0.1: +-10 %); Johari et al. show the test is not sensitive to it within an
    order of magnitude, and that it detects lifts near ``tau`` soonest. The normal
    approximation is the paper's own for binary data; it is an approximation while counts are
    small (before the first clicks the p-value is 1).

    Works elementwise on numpy arrays (one value per peek or per simulated experiment).
    """
    if not mixing_sd > 0.0:
        raise ExperimentInputError(f"mixing_sd must be positive, not {mixing_sd}")
    n_c = np.asarray(control_impressions, dtype=np.float64)
    x_c = np.asarray(control_clicks, dtype=np.float64)
    n_v = np.asarray(impressions, dtype=np.float64)
    x_v = np.asarray(clicks, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (x_c + x_v) / (n_c + n_v)
        variance = pooled * (1.0 - pooled) * (1.0 / n_c + 1.0 / n_v)
        tau2 = (mixing_sd * pooled) ** 2
        diff = x_v / n_v - x_c / n_c
        log_lr = 0.5 * np.log(variance / (variance + tau2)) + tau2 * diff**2 / (
            2.0 * variance * (variance + tau2)
        )
        p = np.minimum(1.0, np.exp(-log_lr))
    usable = (n_c > 0) & (n_v > 0) & (variance > 0)
    result: FloatArray = np.where(usable, p, 1.0)
    return result


# --- the analysis -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantResult:
    """One arm's posterior summary."""

    variant: str
    impressions: int
    clicks: int
    ctr: float | None
    posterior_mean: float
    ci_low: float
    ci_high: float
    prob_best: float
    expected_loss: float

    def to_data(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "impressions": self.impressions,
            "clicks": self.clicks,
            "ctr": self.ctr,
            "posterior_mean": self.posterior_mean,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "prob_best": self.prob_best,
            "expected_loss": self.expected_loss,
        }


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyze` concluded; :meth:`to_data` is its JSON shape."""

    variants: tuple[VariantResult, ...]
    decision: str
    reason: str
    enough_data: bool
    prior: tuple[float, float]
    thresholds: dict[str, float] = field(default_factory=dict)
    sequential: dict[str, Any] = field(default_factory=dict)

    @property
    def winner(self) -> str | None:
        """The winning variant's name, or None while the experiment should keep running."""
        return None if self.decision == KEEP_RUNNING else self.decision

    def to_data(self) -> dict[str, Any]:
        return {
            "variants": [v.to_data() for v in self.variants],
            "decision": self.decision,
            "reason": self.reason,
            "enough_data": self.enough_data,
            "prior": [self.prior[0], self.prior[1]],
            "thresholds": dict(self.thresholds),
            "sequential": self.sequential,
        }


KEEP_RUNNING = "keep_running"


def _check_arms(arms: Sequence[Arm]) -> None:
    if len(arms) < 2:
        raise ExperimentInputError(f"an experiment needs at least 2 arms, got {len(arms)}")
    seen: set[str] = set()
    for arm in arms:
        if not isinstance(arm, Arm):
            raise ExperimentInputError(f"arms must be Arm objects, not {type(arm).__name__}")
        if arm.name in seen:
            raise ExperimentInputError(f"arm {arm.name!r} appears twice")
        if arm.name == KEEP_RUNNING:
            raise ExperimentInputError(f"{KEEP_RUNNING!r} is reserved: name the arm differently")
        seen.add(arm.name)


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ExperimentInputError(f"{name} must lie strictly between 0 and 1, not {value}")


def _pct(value: float) -> str:
    return f"{100.0 * value:.1f}%"


def _sequential(
    arms: Sequence[Arm],
    *,
    alpha: float,
    mixing_sd: float,
    previous_p_values: Mapping[str, float] | None,
) -> dict[str, Any]:
    control = arms[0]
    comparisons = len(arms) - 1
    per_comparison = alpha / comparisons
    rows = []
    for arm in arms[1:]:
        p = float(
            always_valid_p_value(
                control.impressions,
                control.clicks,
                arm.impressions,
                arm.clicks,
                mixing_sd=mixing_sd,
            )
        )
        if previous_p_values is not None and arm.name in previous_p_values:
            p = min(p, float(previous_p_values[arm.name]))
        difference = (
            arm.clicks / arm.impressions - control.clicks / control.impressions
            if arm.impressions and control.impressions
            else None
        )
        rows.append(
            {
                "variant": arm.name,
                "difference": difference,
                "p_value": p,
                "significant": p <= per_comparison,
            }
        )
    return {
        "method": "msprt",
        "control": control.name,
        "mixing_sd": mixing_sd,
        "alpha": alpha,
        "alpha_per_comparison": per_comparison,
        "comparisons": rows,
    }


def analyze(
    arms: Sequence[Arm],
    *,
    prior: tuple[float, float] = (1.0, 1.0),
    prob_best_threshold: float = 0.95,
    loss_threshold: float = 0.01,
    alpha: float = 0.05,
    min_impressions: int = 100,
    mixing_sd: float = 0.1,
    previous_p_values: Mapping[str, float] | None = None,
) -> Analysis:
    """Posteriors, a decision and an always-valid test for 2 or more arms (the first: control).

    Decision rule: an arm wins when its probability to be best is at least
    ``prob_best_threshold`` **and** its expected loss is below ``loss_threshold`` times its
    posterior mean CTR (a *relative* threshold: with 0.01, choosing it may cost at most 1 % of
    its own click rate on average). Otherwise the decision is ``"keep_running"``; it is also
    ``"keep_running"`` (with ``enough_data`` false) while any arm has fewer than
    ``min_impressions`` impressions, whatever the posteriors say.

    ``sequential`` compares every arm with the control by the mSPRT
    (:func:`always_valid_p_value`, mixing ``mixing_sd``); each comparison is significant when
    its always-valid p-value is at most ``alpha / (number of comparisons)`` (Bonferroni).
    Pass the p-values a previous analysis reported (``{variant: p_value}``) as
    ``previous_p_values`` to keep their running minimum, which stays valid.
    """
    _check_arms(arms)
    prior_a, prior_b = (float(v) for v in prior)
    if not (prior_a > 0.0 and prior_b > 0.0 and math.isfinite(prior_a + prior_b)):
        raise ExperimentInputError(f"prior must be two positive numbers, not {prior!r}")
    _check_fraction("prob_best_threshold", prob_best_threshold)
    _check_fraction("alpha", alpha)
    if not loss_threshold > 0.0:
        raise ExperimentInputError(f"loss_threshold must be positive, not {loss_threshold}")
    if min_impressions < 0:
        raise ExperimentInputError(f"min_impressions must not be negative, not {min_impressions}")

    alphas = [prior_a + arm.clicks for arm in arms]
    betas = [prior_b + arm.impressions - arm.clicks for arm in arms]
    prob_best, loss = compare_posteriors(alphas, betas)
    half = (1.0 - _CREDIBLE) / 2.0
    variants = tuple(
        VariantResult(
            variant=arm.name,
            impressions=arm.impressions,
            clicks=arm.clicks,
            ctr=arm.ctr,
            posterior_mean=a / (a + b),
            ci_low=beta_quantile(a, b, half),
            ci_high=beta_quantile(a, b, 1.0 - half),
            prob_best=pb,
            expected_loss=el,
        )
        for arm, a, b, pb, el in zip(arms, alphas, betas, prob_best, loss, strict=True)
    )
    decision, reason = _decide(
        arms,
        variants,
        prob_best_threshold=prob_best_threshold,
        loss_threshold=loss_threshold,
        min_impressions=min_impressions,
    )
    return Analysis(
        variants=variants,
        decision=decision,
        reason=reason,
        enough_data=all(arm.impressions >= min_impressions for arm in arms),
        prior=(prior_a, prior_b),
        thresholds={
            "prob_best": prob_best_threshold,
            "loss": loss_threshold,
            "alpha": alpha,
            "min_impressions": min_impressions,
        },
        sequential=_sequential(
            arms, alpha=alpha, mixing_sd=mixing_sd, previous_p_values=previous_p_values
        ),
    )


def _decide(
    arms: Sequence[Arm],
    variants: Sequence[VariantResult],
    *,
    prob_best_threshold: float,
    loss_threshold: float,
    min_impressions: int,
) -> tuple[str, str]:
    short = [arm for arm in arms if arm.impressions < min_impressions]
    if short:
        names = ", ".join(f"{arm.name!r} ({arm.impressions})" for arm in short)
        return KEEP_RUNNING, (
            f"Not enough data yet: every variant needs at least {min_impressions} impressions "
            f"before a decision, and these have fewer: {names}."
        )
    leader = max(variants, key=lambda v: v.prob_best)
    allowed = loss_threshold * leader.posterior_mean
    relative = leader.expected_loss / leader.posterior_mean
    loss_words = (
        f"its expected loss (the click-through rate given up, on average, if another variant "
        f"is in fact better) is {leader.expected_loss:.6f}, {_pct(relative)} "
        f"of its estimated CTR {leader.posterior_mean:.4f}; the rule accepts less than "
        f"{_pct(loss_threshold)} ({allowed:.6f})"
    )
    sure = leader.prob_best >= prob_best_threshold
    cheap = leader.expected_loss < allowed
    if sure and cheap:
        return leader.variant, (
            f"{leader.variant!r} wins: {_pct(leader.prob_best)} probability to be best "
            f"(threshold {_pct(prob_best_threshold)}), and {loss_words}."
        )
    missing = []
    if not sure:
        missing.append(
            f"its probability to be best is {_pct(leader.prob_best)}, below "
            f"{_pct(prob_best_threshold)}"
        )
    if not cheap:
        missing.append(loss_words)
    return KEEP_RUNNING, (
        f"Keep running: {leader.variant!r} leads, but " + "; and ".join(missing) + "."
    )


def sample_size(
    baseline_ctr: float,
    relative_mde: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    arms: int = 2,
) -> int:
    """Impressions per arm for a fixed-horizon, two-sided two-proportion z-test.

    Detects a change from ``baseline_ctr`` to ``baseline_ctr * (1 + relative_mde)`` with the
    given power; the standard formula (Fleiss; R's ``power.prop.test``)::

        n = (z_{1-a/2} sqrt(2 pbar (1 - pbar)) + z_{power} sqrt(p1 q1 + p2 q2))^2 / (p2 - p1)^2

    With more than two arms every variant is compared with the control, so ``alpha`` is split
    between the ``arms - 1`` comparisons (Bonferroni). This sizes a classic test read once at
    the end; the sequential figures in :func:`analyze` may be looked at any time instead.
    """
    _check_fraction("baseline_ctr", baseline_ctr)
    _check_fraction("alpha", alpha)
    _check_fraction("power", power)
    if arms < 2:
        raise ExperimentInputError(f"arms must be at least 2, not {arms}")
    treated = baseline_ctr * (1.0 + relative_mde)
    if relative_mde == 0.0 or not 0.0 < treated < 1.0:
        raise ExperimentInputError(
            f"relative_mde must be non-zero and keep the rate in (0, 1), not {relative_mde}"
        )
    level = alpha / (arms - 1)
    normal = NormalDist()
    z_alpha = normal.inv_cdf(1.0 - level / 2.0)
    z_power = normal.inv_cdf(power)
    mean = (baseline_ctr + treated) / 2.0
    spread = z_alpha * math.sqrt(2.0 * mean * (1.0 - mean)) + z_power * math.sqrt(
        baseline_ctr * (1.0 - baseline_ctr) + treated * (1.0 - treated)
    )
    return math.ceil(spread**2 / (treated - baseline_ctr) ** 2)
