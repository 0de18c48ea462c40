"""Label sets shared by several analyses (plain data: importing this loads no model)."""

from __future__ import annotations

__all__ = ["GOEMOTIONS_LABELS"]

# The 28 GoEmotions labels (Demszky et al. 2020) in the dataset's own order: the emotion model's
# output columns, and the emotion targets of ``resonance``.
GOEMOTIONS_LABELS: tuple[str, ...] = (
    "admiration",
    "amusement",
    "anger",
    "annoyance",
    "approval",
    "caring",
    "confusion",
    "curiosity",
    "desire",
    "disappointment",
    "disapproval",
    "disgust",
    "embarrassment",
    "excitement",
    "fear",
    "gratitude",
    "grief",
    "joy",
    "love",
    "nervousness",
    "optimism",
    "pride",
    "realization",
    "relief",
    "remorse",
    "sadness",
    "surprise",
    "neutral",
)
