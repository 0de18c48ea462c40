"""The named parts a template may have (besides a Word document)."""

from __future__ import annotations

# Text parts, in the order they are shown and stored.
TEXT_PARTS = ("subject", "preheader", "html", "text", "markdown", "sms", "pdf", "typst")


def check_locale_parts(value: dict[str, dict[str, str]] | None) -> dict[str, dict[str, str]] | None:
    """``locales`` (locale -> part -> text) naming only known parts; raises ``ValueError``."""
    for locale, parts in (value or {}).items():
        unknown = sorted(set(parts) - set(TEXT_PARTS))
        if unknown:
            raise ValueError(
                f"locales.{locale}: unknown part(s) {unknown}; parts are {list(TEXT_PARTS)}"
            )
    return value
