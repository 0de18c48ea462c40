"""The experiment engine, pure (no database, no HTTP): analysis, allocation, assignment.

``analysis`` reads an experiment's counts (Bayesian posteriors, probability to be best, expected
loss, the decision rule, always-valid mSPRT p-values, sample sizes); ``allocation`` splits the
next batch of traffic (Thompson sampling or Bayes-UCB, optionally warm-started by predicted
click-through rates) and assigns contacts to arms by a stable hash.
"""

from brandloom.prediction.experiments.allocation import (
    AllocationMethod,
    allocate,
    assign,
    posterior_parameters,
)
from brandloom.prediction.experiments.analysis import (
    KEEP_RUNNING,
    Analysis,
    Arm,
    ExperimentInputError,
    VariantResult,
    always_valid_p_value,
    analyze,
    beta_quantile,
    compare_posteriors,
    sample_size,
)

__all__ = [
    "KEEP_RUNNING",
    "AllocationMethod",
    "Analysis",
    "Arm",
    "ExperimentInputError",
    "VariantResult",
    "allocate",
    "always_valid_p_value",
    "analyze",
    "assign",
    "beta_quantile",
    "compare_posteriors",
    "posterior_parameters",
    "sample_size",
]
