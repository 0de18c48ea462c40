"""What every QA check shares: the issue and result types, the per-document view the checks read,
the check protocol and the definition a check module registers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar, cast

from pydantic import BaseModel

from brandloom.documents.qa._html import NO_FACTS, HtmlFacts, HtmlReader, parse_html
from brandloom.kit.text import TextScan, scan, strip_html

if TYPE_CHECKING:
    from brandloom.analysis.guidelines import Guidelines
    from brandloom.analysis.voice import VoiceProfile

__all__ = [
    "NO_ISSUES",
    "IssueLevel",
    "QACheck",
    "QACheckDefinition",
    "QADocument",
    "QAInput",
    "QAIssue",
    "QAJob",
    "QAResult",
    "Severity",
    "any_on",
    "example_list",
    "levels",
    "shorten",
]

#: A code's default level.
IssueLevel = Literal["fail", "warn"]
#: What the spec's ``severity:`` may set a code to; ``off`` disables it.
Severity = Literal["fail", "warn", "off"]


_UNSET = object()  # a memo's "not computed yet"


@dataclass(frozen=True, slots=True)
class QAIssue:
    code: str
    severity: str  # "fail" | "warn"
    message: str


@dataclass(frozen=True, slots=True)
class QAResult:
    status: str  # "pass" | "warn" | "fail"
    issues: tuple[QAIssue, ...]
    spam_score: float


@dataclass(slots=True)
class QAInput:
    """One rendered document: ``parts`` has any of subject, preheader, html, text, markdown,
    sms, unsubscribe_url.

    ``html_chunks``: the pieces the HTML was joined from when the engine tells them (see
    :attr:`~brandloom.templates.engine.Rendered.html_chunks`); with them the HTML is parsed
    once per structure instead of once per document.
    """

    parts: Mapping[str, str]
    unresolved: Sequence[str] = ()
    empty: Sequence[str] = ()
    consent: str = "unknown"  # granted | denied | unknown
    # The document's locales, most specific first: its catalog's (or its contact's) locale and
    # shorter forms, then the job's default locale (``("de-AT", "de", "en-US", "en")``).
    locales: Sequence[str] = ()
    unparsed: Sequence[tuple[str, str]] = ()  # (filter, value) a filter printed unformatted
    html_chunks: Sequence[str] | None = None
    # The row of the first contact with the same e-mail address, when that is another row.
    duplicate_of: int | None = None
    # The contact's own locale (``language.mismatch`` compares the copy's language with it)
    # and its field values: text checks mask them, so that documents that differ only in
    # personalization share one analysis.
    contact_locale: str | None = None
    personal: Mapping[str, object] | None = None


@dataclass(frozen=True, slots=True)
class QAJob:
    """What a check may know of its job beyond the ``qa:`` settings (see
    :attr:`QACheckDefinition.build_for_job`)."""

    outputs: tuple[str, ...] = ()
    #: The spec's ``email.unsubscribe_mailto``: every eml carries a ``List-Unsubscribe`` header.
    unsubscribe_mailto: bool = False
    #: The brands the job's checks may name (loaded by the render kind's runtime, by name),
    #: and the spec's own ``brand:``.
    brands: Mapping[str, QABrand] = field(default_factory=dict)
    brand: str | None = None


@dataclass(frozen=True, slots=True)
class QABrand:
    """A brand as the checks see it: its guidelines (the version the job recorded) and its
    voice profile, as plain data (checks never query)."""

    name: str
    guidelines: Guidelines | None = None
    guidelines_version: int | None = None
    voice: VoiceProfile | None = None


#: What a check returns when it found nothing (shared: no allocation per document).
NO_ISSUES: tuple[QAIssue, ...] = ()

_SCANNED = ("subject", "preheader")


T = TypeVar("T")


class QADocument:
    """One document as the checks see it: the :class:`QAInput` plus views of it that several
    checks need, each computed at most once per document (on first use).

    Two fields are written by checks for later ones (checks run in registration order):
    ``link_hosts`` (the ASCII hosts of the document's http(s) links, filled by the links check,
    read by the spam score) and ``spam_score`` (set by the spam check, reported in
    :class:`QAResult`).
    """

    __slots__ = (
        "_body",
        "_chunks",
        "_facts",
        "_memo",
        "_reader",
        "_scans",
        "consent",
        "contact_locale",
        "duplicate_of",
        "empty",
        "html",
        "link_hosts",
        "locales",
        "parts",
        "personal",
        "spam_score",
        "unparsed",
        "unresolved",
    )

    def __init__(self, document: QAInput, reader: HtmlReader | None = None) -> None:
        self.parts = document.parts
        self.unresolved = document.unresolved
        self.empty = document.empty
        self.consent = document.consent
        self.locales = document.locales
        self.unparsed = document.unparsed
        self.duplicate_of = document.duplicate_of
        self.contact_locale = document.contact_locale
        self.personal = document.personal
        self.html: str | None = document.parts.get("html")
        self.link_hosts: Sequence[str] = ()
        self.spam_score = 0.0
        self._body: tuple[str, str | None] | None = None
        self._chunks = document.html_chunks
        self._reader = reader
        self._facts: HtmlFacts | None = None
        self._scans: dict[str, TextScan] | None = None
        self._memo: dict[str, Any] | None = None

    def memo(self, key: str, compute: Callable[[QADocument], T]) -> T:
        """A view of this document several checks read (``compute(self)``, at most once per
        document and ``key``)."""
        memo = self._memo
        if memo is None:
            memo = self._memo = {}
        value = memo.get(key, _UNSET)  # not try/except: most views are computed, not found
        if value is _UNSET:
            value = memo[key] = compute(self)
        return cast(T, value)

    @property
    def body(self) -> tuple[str, str | None]:
        """The body's part name and text: the text part, else the markdown part, else the
        HTML's text (see :func:`~brandloom.kit.text.strip_html`); the text is None without any."""
        body = self._body
        if body is None:
            parts = self.parts
            body = ("text", parts.get("text"))
            if body[1] is None:
                body = ("markdown", parts.get("markdown"))
            if body[1] is None and self.html is not None:
                body = ("html", strip_html(self.html))
            self._body = body
        return body

    @property
    def html_facts(self) -> HtmlFacts:
        """The links, image sources, images without ``alt`` and anchors of the HTML part, as a
        parser reads them (none without an HTML part); see :mod:`~brandloom.documents.qa._html`."""
        facts = self._facts
        if facts is None:
            html = self.html
            if html is None:
                facts = NO_FACTS
            elif self._reader is None:
                facts = parse_html(html)
            else:
                facts = self._reader.read(html, self._chunks)
            self._facts = facts
        return facts

    @property
    def scans(self) -> dict[str, TextScan]:
        """The scans (see :func:`~brandloom.kit.text.scan`) of the non-empty subject, preheader,
        body and SMS, in that order, by part name; phrase checks and the spam score share them."""
        scans = self._scans
        if scans is None:
            scans = self._scans = {}
            parts = self.parts
            for name in _SCANNED:
                value = parts.get(name)
                if value:
                    scans[name] = scan(value)
            body_name, body = self.body
            if body:
                scans[body_name] = scan(body)
            sms = parts.get("sms")
            if sms:
                scans["sms"] = scan(sms)
        return scans


class QACheck(Protocol):
    """One check, built once per job from its settings (see :class:`QACheckDefinition`)."""

    def check(self, doc: QADocument) -> Sequence[QAIssue]:
        """The issues found in one document (:data:`NO_ISSUES` when none); never raises on odd
        content. Issues carry their level already: codes that are ``off`` are not reported."""
        ...


ConfigT = TypeVar("ConfigT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class QACheckDefinition(Generic[ConfigT]):
    """What a check module registers (see :func:`~brandloom.documents.qa.register_check`).

    - ``name``: the check's name; a check that is not ``flat`` takes its settings from
      ``qa.<name>`` in the job spec.
    - ``codes``: every issue code it reports, with its default level.
    - ``config``: its settings, a pydantic model with ``extra="forbid"`` and a default for
      every field (the spec's ``qa:`` section is composed from these models).
    - ``build(settings, overrides)``: compiles the check for one job; ``overrides`` are the
      spec's ``severity:`` overrides (see :func:`levels`). ``None`` means nothing to check in
      this job (say, every code is off), so the check costs nothing per document.
    - ``flat``: the settings' fields sit directly in ``qa:``. Only the original checks and the
      text-analysis checks (``language_match``, ``culture``, ``sentiment_min``,
      ``spam_model_max``), whose keys the README documents, do this; new checks keep theirs
      under ``qa.<name>``.
    - ``build_for_job``: see below.
    """

    name: str
    codes: Mapping[str, IssueLevel]
    config: type[ConfigT]
    build: Callable[[ConfigT, Mapping[str, Severity]], QACheck | None]
    flat: bool = False
    #: Used instead of ``build`` when set: a check that depends on the job's outputs or e-mail
    #: settings (see :class:`QAJob`).
    build_for_job: Callable[[ConfigT, Mapping[str, Severity], QAJob], QACheck | None] | None = None


def levels(
    codes: Mapping[str, str], overrides: Mapping[str, str], *, off: Iterable[str] = ()
) -> dict[str, str]:
    """Each code's level for one job: the spec's override, else its default; codes in ``off``
    (turned off by the check's own settings, like ``check_images_alt: false``) are ``off``
    whatever the overrides say."""
    found = {code: overrides.get(code, default) for code, default in codes.items()}
    for code in off:
        found[code] = "off"
    return found


def any_on(found: Mapping[str, str]) -> bool:
    """Whether any code of ``found`` (see :func:`levels`) is reported at all."""
    return any(level != "off" for level in found.values())


_MAX_EXAMPLES = 5


def shorten(value: str, limit: int = 100) -> str:
    """``value`` cut to ``limit`` characters (with an ellipsis) for an issue message."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def example_list(items: Sequence[str]) -> str:
    """Up to five items joined for an issue message, with how many more there are."""
    shown = "; ".join(items[:_MAX_EXAMPLES])
    if len(items) > _MAX_EXAMPLES:
        shown += f" (+{len(items) - _MAX_EXAMPLES} more)"
    return shown
