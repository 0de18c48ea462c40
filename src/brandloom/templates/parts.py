"""The named parts a template may have (besides a Word document)."""

from __future__ import annotations

# Text parts, in the order they are shown and stored.
TEXT_PARTS = ("subject", "preheader", "html", "text", "markdown", "sms", "pdf")
