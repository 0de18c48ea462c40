"""Plain value types shared by the engine adapters (re-exported from ``engine``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

PART_NAMES: tuple[str, ...] = (
    "subject",
    "preheader",
    "html",
    "text",
    "markdown",
    "sms",
    "pdf",
    "typst",
    "unsubscribe_url",
)
ENGINES: tuple[str, ...] = ("jinja", "liquid")

# How expression output is escaped in each part.
ESCAPE_HTML = "html"
ESCAPE_MARKDOWN = "markdown"
ESCAPE_NONE = "raw"
# Expression output kept apart from template text (see ``templates.slots``): the typst part.
ESCAPE_SLOTS = "slots"
PART_ESCAPING: Mapping[str, str] = MappingProxyType(
    {
        "subject": ESCAPE_NONE,
        "preheader": ESCAPE_NONE,
        "html": ESCAPE_HTML,
        "text": ESCAPE_NONE,
        "markdown": ESCAPE_MARKDOWN,
        "sms": ESCAPE_NONE,
        "pdf": ESCAPE_MARKDOWN,
        "typst": ESCAPE_SLOTS,
        "unsubscribe_url": ESCAPE_NONE,
    }
)

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class TemplateSource:
    """Template text per part, the engine, and where each part came from (for errors)."""

    parts: Mapping[str, str]
    engine: str = "jinja"
    origins: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class VariableUse:
    """One use of a top-level variable: in which part, on which line, with a fallback?"""

    name: str
    part: str
    line: int
    has_fallback: bool


@dataclass(slots=True)
class Rendered:
    """One rendered document: text per part, names that were undefined (rendered ""), the
    (filter, value) pairs a formatting filter printed unformatted.

    ``html_chunks``: the pieces the ``html`` part was joined from, when its engine tells them
    apart (Jinja): template text as plain ``str``, expression output as escaped ``Markup``.
    QA reads the document's HTML structure from the template text once (see
    :mod:`brandloom.documents.qa._html`)."""

    parts: dict[str, str]
    unresolved: list[str]
    unparsed: list[tuple[str, str]] = field(default_factory=list)
    html_chunks: list[str] | None = None
