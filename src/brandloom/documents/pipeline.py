"""The hot path: contacts of one chunk -> rendered, QA-checked, formatted documents.

Everything that can be prepared once per job (compiled templates per variant, the variant
assigner, the QA checker with its enabled checks, a writer per output format) is built in
``JobRenderer.__init__``; ``render_chunk`` is a straight loop over contacts with no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from brandloom.documents.formats.eml import EmailSettings
from brandloom.documents.formats.registry import (
    BrandLayout,
    FormatInput,
    FormatJob,
    get_format,
)
from brandloom.documents.naming import file_stem, path_for
from brandloom.documents.qa import (
    QABrand,
    QAChecker,
    QAConfig,
    QAInput,
    QAIssue,
    QAJob,
    QAResult,
)
from brandloom.documents.sinks import RenderedDocument
from brandloom.documents.variants import Assigner, SeededHashAssigner
from brandloom.templates.engine import CompiledTemplate
from brandloom.templates.errors import TemplateRenderError
from brandloom.templates.messages import MESSAGES_VARIABLE, Catalogs, fallback_chain

if TYPE_CHECKING:
    from brandloom.documents.formats.docx import DocxTemplate

# Parts that are not themselves an output format; the JSONL sink carries them beside the formats.
ENVELOPE_PARTS = ("subject", "preheader", "unsubscribe_url")


@dataclass(frozen=True, slots=True)
class ContactData:
    """What the pipeline knows of one contact (loaded per chunk, keyset-paged by key)."""

    row: int
    key: str
    email: str | None
    locale: str | None
    consent: str
    attributes: Mapping[str, Any]
    # The row of the first contact with this address (decided at import); another row than
    # this contact's makes it a duplicate (QA ``contact.duplicate_email``).
    email_row: int | None = None


@dataclass(slots=True)
class DocumentOutcome:
    """The record kept for every contact, whether or not its documents were written."""

    key: str
    row: int
    variant: str | None
    qa_status: str
    qa_issues: list[dict[str, str]]
    files: dict[str, str]
    locale: str | None = None  # the catalog locale its messages came from


@dataclass(slots=True)
class ChunkResult:
    outcomes: list[DocumentOutcome] = field(default_factory=list)
    documents: list[RenderedDocument] = field(default_factory=list)
    by_format: Counter[str] = field(default_factory=Counter)
    qa: Counter[str] = field(default_factory=Counter)
    by_code: Counter[str] = field(default_factory=Counter)
    by_locale: Counter[str] = field(default_factory=Counter)

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = {
            "contacts": len(self.outcomes),
            "documents": dict(self.by_format),
            "qa": dict(self.qa),
            "by_code": dict(self.by_code),
        }
        if self.by_locale:
            stats["locales"] = dict(self.by_locale)
        return stats


@dataclass(frozen=True, slots=True)
class Localization:
    """A template's languages: message catalogs per variant (variants may override keys) and
    parts overridden per locale (``(variant, locale)`` -> the compiled template)."""

    catalogs: Mapping[str | None, Catalogs]
    overrides: Mapping[tuple[str | None, str], CompiledTemplate]
    default_locale: str
    override_locales: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "override_locales", frozenset(loc for _, loc in self.overrides))

    def override_locale(self, locale: str | None) -> str | None:
        """The locale whose part overrides a contact with ``locale`` gets (None: none)."""
        if not self.override_locales:
            return None
        known = self.override_locales
        return next((c for c in fallback_chain(locale, self.default_locale) if c in known), None)


@dataclass(frozen=True, slots=True)
class RenderSettings:
    job_key: str  # stable identity of the job's inputs (seed + name), feeds Message-IDs
    seed: str
    default_locale: str
    outputs: tuple[str, ...]
    email: EmailSettings | None
    email_domain: str
    eml_date: datetime  # also the creation date inside PDF and DOCX files
    keep_parts: bool  # JSONL sink: carry the envelope parts (subject, ...) along
    title: str | None = None
    keep_all_parts: bool = False  # previews: carry every rendered part along


class JobRenderer:
    """Renders contacts for one job. Build once per worker process; call per chunk.

    ``assigner`` chooses each contact's variant; by default a :class:`SeededHashAssigner` of
    the settings' seed and ``weights``. ``assets`` are the template's files (the images its
    ``typst`` part places).
    """

    def __init__(
        self,
        *,
        templates: Mapping[str | None, CompiledTemplate],
        weights: Sequence[tuple[str, float]],
        qa: QAConfig,
        settings: RenderSettings,
        docx_template: DocxTemplate | None = None,
        assigner: Assigner | None = None,
        localization: Localization | None = None,
        assets: Mapping[str, bytes] | None = None,
        brands: Mapping[str, QABrand] | None = None,
        brand: str | None = None,
        layout: BrandLayout | None = None,
    ) -> None:
        self.templates = dict(templates)
        self.localization = localization
        self.settings = settings
        self.outputs = settings.outputs
        self.checker = QAChecker(
            qa,
            QAJob(
                outputs=settings.outputs,
                unsubscribe_mailto=bool(settings.email and settings.email.unsubscribe_mailto),
                brands=brands or {},
                brand=brand,
            ),
        )
        self.assigner = assigner or SeededHashAssigner(seed=settings.seed, weights=weights)
        formats = [get_format(fmt) for fmt in self.outputs]
        job = FormatJob(
            settings=settings, docx_template=docx_template, assets=assets or {}, brand=layout
        )
        # (format, its writer, its file path from a stem): looked up once, used per document.
        self._writers = [(fmt.name, fmt.writer(job), path_for(fmt.name)) for fmt in formats]
        needed: set[str] = {"subject", "preheader"}
        for fmt in formats:
            needed.update(fmt.parts)
        needed.update(self.checker.parts)
        every: dict[Any, CompiledTemplate] = dict(self.templates)
        if localization is not None:
            every.update(localization.overrides)
        # template -> (compiled, the parts to render, the variables used without a fallback:
        # empty values for them are worth a QA warning), by variant or (variant, locale).
        self._plans: dict[Any, tuple[CompiledTemplate, tuple[str, ...], list[str]]] = {
            name: (
                tpl,
                tuple(p for p in tpl.parts if p in needed),
                sorted(tpl.required_variables()),
            )
            for name, tpl in every.items()
        }
        self._override_locales: dict[str | None, str | None] = {}
        self._locale_chains: dict[tuple[str, str | None], tuple[str, ...]] = {}

    def _qa_locales(self, locale: str, catalog_locale: str | None) -> tuple[str, ...]:
        """A document's locales for QA, most specific first: its contact's (``de-AT``,
        ``de``), then the job's default. With a catalog, only the contact's forms of the
        catalog's language come before the catalog's own chain: a French contact who gets the
        English catalog is checked as English copy."""
        key = (locale, catalog_locale)
        chain = self._locale_chains.get(key)
        if chain is None:
            default = self.settings.default_locale
            chain = fallback_chain(locale, default)
            if catalog_locale is not None:
                own = [
                    c for c in chain if c == catalog_locale or c.startswith(f"{catalog_locale}-")
                ]
                chain = tuple(dict.fromkeys([*own, *fallback_chain(catalog_locale, default)]))
            if len(self._locale_chains) < 10_000:
                self._locale_chains[key] = chain
        return chain

    def render_chunk(
        self, contacts: Iterable[ContactData], *, include_failed: bool = False
    ) -> ChunkResult:
        """Render every contact; failed documents get files only with ``include_failed``."""
        result = ChunkResult()
        writers = self._writers
        assign = self.assigner.assign
        default_locale = self.settings.default_locale
        keep_parts = self.settings.keep_parts
        kept = None if self.settings.keep_all_parts else ENVELOPE_PARTS
        plans = self._plans
        localization = self.localization
        for contact in contacts:
            variant = assign(contact)
            template, needed, check_empty = plans[variant]
            locale = contact.locale or default_locale
            context = dict(contact.attributes)
            context["key"] = contact.key
            context["email"] = contact.email or ""
            context["locale"] = locale
            context["consent"] = contact.consent
            catalog_locale = None
            if localization is not None:
                catalog_locale, template, needed, check_empty = self._localize(
                    localization, variant, contact.locale, context
                )
                if catalog_locale is not None:
                    result.by_locale[catalog_locale] += 1
            try:
                rendered = template.render(context, needed)
            except TemplateRenderError as exc:
                # One contact's data broke a template operation: that document fails, not the job.
                qa = QAResult(
                    status="fail",
                    issues=(QAIssue(exc.code, "fail", exc.message),),
                    spam_score=0.0,
                )
                parts = {}
            else:
                parts = rendered.parts
                empty = [n for n in check_empty if n in context and _blank(context[n])]
                qa = self.checker.check(
                    QAInput(
                        parts=parts,
                        unresolved=rendered.unresolved,
                        empty=empty,
                        consent=contact.consent,
                        locales=self._qa_locales(locale, catalog_locale),
                        unparsed=rendered.unparsed,
                        html_chunks=rendered.html_chunks,
                        duplicate_of=(
                            contact.email_row if contact.email_row != contact.row else None
                        ),
                        contact_locale=locale,
                        personal=context,
                    )
                )
            files: dict[str, tuple[str, bytes]] = {}
            extra: list[QAIssue] = []
            if qa.status != "fail" or include_failed:
                stem = file_stem(contact.key)
                doc = FormatInput(parts, contact, locale, context)
                for fmt, writer, path in writers:
                    data = writer.write(doc)
                    if data is not None:
                        files[fmt] = (path(stem), data)
                if doc.failures:  # say, no e-mail address, or a Word template variable
                    extra = [QAIssue(code, "fail", message) for code, message in doc.failures]
            status, issues = _merge(qa, extra)
            if status == "fail" and not include_failed:
                files = {}
            result.qa[status] += 1
            for issue in issues:
                result.by_code[issue.code] += 1
            for fmt in files:
                result.by_format[fmt] += 1
            result.outcomes.append(
                DocumentOutcome(
                    key=contact.key,
                    row=contact.row,
                    variant=variant,
                    qa_status=status,
                    qa_issues=[
                        {"code": i.code, "severity": i.severity, "message": i.message}
                        for i in issues
                    ],
                    files={fmt: rel for fmt, (rel, _) in files.items()},
                    locale=catalog_locale,
                )
            )
            if files:
                result.documents.append(
                    RenderedDocument(
                        key=contact.key,
                        row=contact.row,
                        variant=variant,
                        qa_status=status,
                        files=files,
                        parts=(
                            {p: parts[p] for p in kept if p in parts}
                            if kept is not None
                            else dict(parts)
                        )
                        if keep_parts
                        else {},
                    )
                )
        return result

    def _localize(
        self,
        localization: Localization,
        variant: str | None,
        contact_locale: str | None,
        context: dict[str, Any],
    ) -> tuple[str | None, CompiledTemplate, tuple[str, ...], list[str]]:
        """The contact's catalog (bound as ``t``) and the template its locale gets."""
        catalogs = localization.catalogs.get(variant)
        catalog_locale = catalogs.locale_for(contact_locale) if catalogs else None
        if catalogs:
            context[MESSAGES_VARIABLE] = catalogs.bind(catalog_locale, context)
        cache = self._override_locales
        if contact_locale in cache:
            override = cache[contact_locale]
        else:
            override = cache[contact_locale] = localization.override_locale(contact_locale)
        plan = self._plans.get((variant, override)) if override is not None else None
        if plan is None:
            plan = self._plans[variant]
        return (catalog_locale, *plan)


def _blank(value: Any) -> bool:
    """A falsy value that is not a typed 0 or ``False`` (those print, they are not empty)."""
    return not value and not isinstance(value, (bool, int, float, Decimal))


def _merge(qa: QAResult, extra: list[QAIssue]) -> tuple[str, tuple[QAIssue, ...]]:
    if not extra:
        return qa.status, qa.issues
    issues = qa.issues + tuple(extra)
    if any(i.severity == "fail" for i in issues):
        return "fail", issues
    return ("warn" if issues else "pass"), issues
