"""Analyse texts for a caller: request limits, options, one batched call into ``analysis``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from brandloom.analysis.analyzer import AnalyzeOptions, analyze
from brandloom.analysis.language import DEFAULT_LANGUAGES
from brandloom.errors import BrandloomError, ValidationFailed

MAX_TEXTS = 1_000
"""Texts per API request (the CLI streams files in batches of this size)."""
MAX_TEXT_CHARS = 100_000
"""Characters per text."""
MAX_TOTAL_CHARS = 2_000_000
"""Characters per API request."""


class TooLarge(ValidationFailed):
    code = "analyze.too_large"
    status = 413


def options(
    *,
    locale: str | None = None,
    targets: Sequence[str] = (),
    languages: Sequence[str] | None = None,
    formality: str | None = None,
) -> AnalyzeOptions:
    """Checked options: unknown locales, languages and targets are refused (422) by name."""
    return AnalyzeOptions(
        locale=locale or None,
        languages=tuple(languages) if languages else DEFAULT_LANGUAGES,
        targets=tuple(targets),
        formality=formality,
    ).checked()


def check_limits(texts: Sequence[str], *, error: type[BrandloomError] = TooLarge) -> None:
    """Refuse (413, ``error``) a request over the count or size limits, naming the text and
    the limit (the text endpoints of every domain share these limits)."""
    if len(texts) > MAX_TEXTS:
        raise error(f"texts: {len(texts):,} texts; at most {MAX_TEXTS:,} per request")
    total = 0
    for index, text in enumerate(texts):
        if len(text) > MAX_TEXT_CHARS:
            raise error(
                f"texts[{index}]: {len(text):,} characters; at most {MAX_TEXT_CHARS:,} per text"
            )
        total += len(text)
    if total > MAX_TOTAL_CHARS:
        raise error(f"texts: {total:,} characters in all; at most {MAX_TOTAL_CHARS:,}")


def analyze_texts(texts: Sequence[str], *, checked: AnalyzeOptions) -> list[dict[str, Any]]:
    """One result per text (see :func:`brandloom.analysis.analyzer.analyze`)."""
    check_limits(texts)
    return analyze(texts, checked)
