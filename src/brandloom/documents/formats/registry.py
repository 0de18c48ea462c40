"""Output formats: one registry that spec validation, the pipeline, file naming, sinks and media
types all read.

A format is an :class:`OutputFormat`: its name (also its folder in the output), file extension,
media type, whether its bytes are binary (the JSONL sink base64-encodes those), the template
parts it is made from, and a factory of the :class:`FormatWriter` that a job builds once and
calls per document. The built-in formats are registered when :mod:`brandloom.documents.formats`
is imported (see ``builtin.py``); another one registers with :func:`register_format`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from brandloom.documents.formats.docx import DocxTemplate
    from brandloom.documents.pipeline import ContactData, RenderSettings

__all__ = [
    "MEDIA_TYPES",
    "BrandLayout",
    "FormatDefinition",
    "FormatInput",
    "FormatJob",
    "FormatWriter",
    "OutputFormat",
    "binary_formats",
    "format_names",
    "get_format",
    "register_format",
]


@dataclass(frozen=True, slots=True)
class BrandLayout:
    """A brand's visual kit as the writers use it (the spec's ``brand:``): plain data.

    Colors are ``#RRGGBB``; ``font`` is one of the shipped font families; the logo is PNG or
    SVG bytes (``logo_media_type``); ``address`` and ``legal_footer`` are lines of text.
    """

    name: str
    colors: Mapping[str, str] = field(default_factory=dict)
    font: str | None = None
    logo: bytes | None = None
    logo_media_type: str | None = None
    address: tuple[str, ...] = ()
    legal_footer: tuple[str, ...] = ()

    def color(self, role: str, default: str) -> str:
        """The palette's ``role`` color (primary, secondary, accent, text, background,
        link), else ``default``."""
        return self.colors.get(role) or default


@dataclass(frozen=True, slots=True)
class FormatJob:
    """What a job gives its format writers to prepare from (once per job, not per document)."""

    settings: RenderSettings
    #: The job's Word template, for the formats that render one (docx).
    docx_template: DocxTemplate | None = None
    #: The template's assets (file name -> bytes): the images a ``typst`` part places (pdf).
    assets: Mapping[str, bytes] = field(default_factory=dict)
    #: The spec's brand kit: the layouts html, eml, pdf (from Markdown) and docx wear.
    brand: BrandLayout | None = None


@dataclass(slots=True)
class FormatInput:
    """One contact's rendered document as the writers see it (built once per contact)."""

    parts: Mapping[str, str]
    contact: ContactData
    locale: str
    #: The template context (attributes plus key, email, locale, consent).
    context: Mapping[str, Any]
    #: Values several formats of one document share (say, the finished HTML of html and eml).
    cache: dict[str, str] = field(default_factory=dict)
    #: (code, message) of problems that fail the document, found while writing it.
    failures: list[tuple[str, str]] = field(default_factory=list)

    def fail(self, code: str, message: str) -> None:
        """Record a problem that fails this document (reported as a ``fail`` QA issue)."""
        self.failures.append((code, message))


class FormatWriter(Protocol):
    """Writes one format for one job; built once per job by :meth:`OutputFormat.writer`."""

    def write(self, doc: FormatInput) -> bytes | None:
        """The document's bytes, or None when this format has nothing to write for it."""
        ...


class OutputFormat(Protocol):
    """An output format (see the module doc)."""

    @property
    def name(self) -> str: ...

    @property
    def extension(self) -> str: ...

    @property
    def media_type(self) -> str: ...

    @property
    def binary(self) -> bool: ...

    @property
    def parts(self) -> tuple[str, ...]:
        """The template parts it is made from (the pipeline renders only the parts in use)."""
        ...

    def writer(self, job: FormatJob) -> FormatWriter:
        """The writer of one job (heavy engines are loaded here, only for jobs that use them)."""
        ...


@dataclass(frozen=True, slots=True)
class FormatDefinition:
    """An :class:`OutputFormat` from its facts and a writer factory."""

    name: str
    extension: str
    media_type: str
    parts: tuple[str, ...]
    make_writer: Callable[[FormatJob], FormatWriter]
    binary: bool = False

    def writer(self, job: FormatJob) -> FormatWriter:
        """The writer of one job, from ``make_writer``."""
        return self.make_writer(job)


_formats: dict[str, OutputFormat] = {}

#: Format name -> media type of its documents (kept current by :func:`register_format`).
MEDIA_TYPES: dict[str, str] = {}


def register_format(fmt: OutputFormat) -> OutputFormat:
    """Add a format: specs may name it in ``outputs:``, and jobs write it. Returns ``fmt``.

    Raises ValueError when the name is taken.
    """
    if fmt.name in _formats:
        raise ValueError(f"an output format named {fmt.name!r} is already registered")
    _formats[fmt.name] = fmt
    MEDIA_TYPES[fmt.name] = fmt.media_type
    return fmt


def format_names() -> tuple[str, ...]:
    """The registered formats' names, in registration order."""
    return tuple(_formats)


def get_format(name: str) -> OutputFormat:
    """The registered format ``name``; ValueError (naming the known ones) when there is none."""
    found = _formats.get(name)
    if found is None:
        raise ValueError(f"unknown output format '{name}'; choose from {list(_formats)}")
    return found


def binary_formats() -> frozenset[str]:
    """The names of the formats whose documents are binary."""
    return frozenset(name for name, fmt in _formats.items() if fmt.binary)
