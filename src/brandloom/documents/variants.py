"""Which variant of a job's template each contact gets.

:class:`JobRenderer <brandloom.documents.pipeline.JobRenderer>` asks an :class:`Assigner` once
per contact. The default, :class:`SeededHashAssigner`, hashes the job's seed with the contact's
key against the variants' static weights: deterministic, so a resumed or re-rendered chunk gets
the same variants (and bytes). Experiments plug in other assigners (bandits) the same way; an
assigner that learns must still answer the same for a contact within one job run.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from brandloom.kit.hashing import unit_interval

if TYPE_CHECKING:
    from brandloom.documents.pipeline import ContactData

__all__ = ["Assigner", "FixedAssigner", "SeededHashAssigner"]


class Assigner(Protocol):
    """Chooses a contact's variant; built once per job (per worker process)."""

    def assign(self, contact: ContactData) -> str | None:
        """The variant's name (one of the job's variants), or None for a job without variants."""
        ...


class SeededHashAssigner:
    """A variant chosen by weight from a hash of (seed, contact key): stable across runs."""

    def __init__(self, *, seed: str, weights: Sequence[tuple[str, float]]) -> None:
        self.seed = seed
        self._names = [name for name, _ in weights]
        total = sum(w for _, w in weights)
        acc, cumulative = 0.0, []
        for _, w in weights:
            acc += w / total if total else 0.0
            cumulative.append(acc)
        self._cumulative = cumulative

    def assign(self, contact: ContactData) -> str | None:
        """The variant of ``contact`` (its key decides; None without variants)."""
        return self.variant_for(contact.key)

    def variant_for(self, key: str) -> str | None:
        """The variant of the contact with ``key``."""
        if not self._names:
            return None
        u = unit_interval(self.seed, "variant", key)
        i = bisect.bisect_right(self._cumulative, u)
        return self._names[min(i, len(self._names) - 1)]


class FixedAssigner:
    """Every contact gets one named variant (a preview of that variant)."""

    def __init__(self, variant: str | None) -> None:
        self.variant = variant

    def assign(self, contact: ContactData) -> str | None:
        return self.variant
