"""How well a text hits the emotions and motivators a brief targets.

A target is one of the 28 GoEmotions labels (:data:`EMOTIONS`) or one of the ten motivators
(:data:`brandloom.analysis.motivators.MOTIVATORS`). The inputs are what the analysers produce
for the text: the emotion model's per-label probabilities and :func:`motivators`' output.

- **An emotion target** scores ``min(1, p / 0.5)`` (:data:`EMOTION_CLEAR`): the emotion model
  is multi-label with per-label probabilities, and a probability of one half is where it calls
  the emotion present; a text that clearly expresses the target scores 1, one the model
  hesitates about scores in proportion, and the long tail of small probabilities stays small.
  A label missing from ``emotions`` counts as 0.
- **A motivator target** scores the motivator's own score (already 0-1, saturating with the
  evidence found).
- **curiosity** is both: the emotion model sees curiosity *expressed* ("I wonder what's
  inside"), the lexicon sees devices that *provoke* it in the reader ("find out how", "sneak
  peek"). Either serves a brief that targets curiosity, and both together serve it more, so the
  two are combined as a noisy-or: ``1 - (1 - e) (1 - m)``.

The overall ``score`` is the mean over the distinct targets: each target matters as much as
the others, and a text that hits half of them fully scores 0.5. No target gives 0.0. Target
names are read case-insensitively, with spaces or hyphens for underscores
("fear of missing out"); an unknown one raises :class:`UnknownTargetError`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from brandloom.analysis.labels import GOEMOTIONS_LABELS
from brandloom.analysis.motivators import MOTIVATORS
from brandloom.errors import ValidationFailed
from brandloom.kit.validation import closest

__all__ = [
    "EMOTIONS",
    "EMOTION_CLEAR",
    "TARGETS",
    "UnknownTargetError",
    "canonical_targets",
    "resonance",
]

EMOTIONS: tuple[str, ...] = GOEMOTIONS_LABELS
TARGETS: frozenset[str] = frozenset(EMOTIONS) | frozenset(MOTIVATORS)
EMOTION_CLEAR = 0.5

_EMOTION_SET = frozenset(EMOTIONS)
_MOTIVATOR_SET = frozenset(MOTIVATORS)


class UnknownTargetError(ValidationFailed):
    """A brief names a target that is neither an emotion label nor a motivator."""

    code = "analysis.unknown_target"
    status = 422


def resonance(
    targets: Sequence[str],
    *,
    emotions: Mapping[str, float],
    motivators: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """Score a text's emotions and motivators against the ``targets`` of a brief.

    ``emotions``: the emotion model's probability per label; ``motivators``: the output of
    :func:`brandloom.analysis.motivators.motivators` (``{name: {"score": ...}}``). Returns
    ``{"score": 0..1, "targets": {target: 0..1}}``, targets in their canonical spelling, in the
    order given, each once. Raises :class:`UnknownTargetError` for a name outside
    :data:`TARGETS`. See the module documentation for how each target is scored.
    """
    names = _canonical(targets)
    per_target: dict[str, float] = {}
    for name in names:
        value = 0.0
        if name in _EMOTION_SET:
            value = _emotion_value(emotions.get(name))
        if name in _MOTIVATOR_SET:
            entry = motivators.get(name)
            lexical = _unit(entry.get("score") if entry is not None else None)
            value = 1.0 - (1.0 - value) * (1.0 - lexical)
        per_target[name] = round(value, 4)
    score = sum(per_target.values()) / len(per_target) if per_target else 0.0
    return {"score": round(score, 4), "targets": per_target}


def canonical_targets(targets: Sequence[str]) -> list[str]:
    """The targets in their canonical spelling, each once, in order; raises
    :class:`UnknownTargetError` (with a suggestion) for a name outside :data:`TARGETS`."""
    return _canonical(targets)


def _canonical(targets: Sequence[str]) -> list[str]:
    if isinstance(targets, str):  # a lone name is a target list of one, not of its letters
        targets = [targets]
    names: list[str] = []
    for target in targets:
        name = "_".join(str(target).strip().lower().replace("-", " ").split())
        if name not in TARGETS:
            guess = closest(name, sorted(TARGETS))
            hint = (
                f"did you mean `{guess}`?"
                if guess
                else f"targets are the emotion labels and motivators: {', '.join(sorted(TARGETS))}"
            )
            raise UnknownTargetError(
                f"unknown target `{target}`; {hint}",
                details={"target": str(target), "suggestion": guess},
            )
        if name not in names:
            names.append(name)
    return names


def _emotion_value(probability: Any) -> float:
    return min(1.0, _unit(probability) / EMOTION_CLEAR)


def _unit(value: Any) -> float:
    """A number clamped to 0..1 (anything else, NaN included, reads as 0)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    if math.isnan(number):
        return 0.0
    return min(max(number, 0.0), 1.0)
