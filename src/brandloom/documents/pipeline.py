"""The hot path: contacts of one chunk -> rendered, QA-checked, formatted documents.

Everything that can be prepared once per job (compiled templates per variant, the QA checker,
the CSS inliner, e-mail settings) is built in ``JobRenderer.__init__``; ``render_chunk`` is a
straight loop over contacts with no I/O.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from brandloom.documents.formats.docx import DocxBuilder, DocxTemplate
from brandloom.documents.formats.eml import EmailSettings, build_eml, message_id_for
from brandloom.documents.formats.html import HtmlFinisher, text_direction
from brandloom.documents.naming import file_stem, relative_path
from brandloom.documents.qa import QAChecker, QAConfig, QAInput, QAIssue, QAResult
from brandloom.documents.sinks import RenderedDocument
from brandloom.kit.hashing import unit_interval
from brandloom.templates.engine import CompiledTemplate
from brandloom.templates.errors import TemplateRenderError

if TYPE_CHECKING:
    from brandloom.documents.formats.pdf import PdfRenderer

# Parts that are not themselves an output format; the JSONL sink carries them beside the formats.
ENVELOPE_PARTS = ("subject", "preheader", "unsubscribe_url")

# Which template part each output format is made from.
FORMAT_PARTS: dict[str, tuple[str, ...]] = {
    "html": ("html", "preheader"),
    "txt": ("text",),
    "md": ("markdown",),
    "sms": ("sms",),
    "eml": ("subject", "html", "text", "preheader", "unsubscribe_url"),
    "pdf": ("pdf", "markdown"),
    "docx": ("markdown",),
}


@dataclass(frozen=True, slots=True)
class ContactData:
    """What the pipeline knows of one contact (loaded per chunk, keyset-paged by key)."""

    row: int
    key: str
    email: str | None
    locale: str | None
    consent: str
    attributes: Mapping[str, Any]


@dataclass(slots=True)
class DocumentOutcome:
    """The record kept for every contact, whether or not its documents were written."""

    key: str
    row: int
    variant: str | None
    qa_status: str
    qa_issues: list[dict[str, str]]
    files: dict[str, str]


@dataclass(slots=True)
class ChunkResult:
    outcomes: list[DocumentOutcome] = field(default_factory=list)
    documents: list[RenderedDocument] = field(default_factory=list)
    by_format: Counter[str] = field(default_factory=Counter)
    qa: Counter[str] = field(default_factory=Counter)
    by_code: Counter[str] = field(default_factory=Counter)

    def stats(self) -> dict[str, Any]:
        return {
            "contacts": len(self.outcomes),
            "documents": dict(self.by_format),
            "qa": dict(self.qa),
            "by_code": dict(self.by_code),
        }


@dataclass(frozen=True, slots=True)
class RenderSettings:
    job_key: str  # stable identity of the job's inputs (seed + name), feeds Message-IDs
    seed: str
    default_locale: str
    outputs: tuple[str, ...]
    email: EmailSettings | None
    email_domain: str
    eml_date: datetime  # also the creation date inside PDF and DOCX files
    keep_parts: bool  # JSONL sink: carry every rendered part along
    title: str | None = None


class JobRenderer:
    """Renders contacts for one job. Build once per worker process; call per chunk."""

    def __init__(
        self,
        *,
        templates: Mapping[str | None, CompiledTemplate],
        weights: Sequence[tuple[str, float]],
        qa: QAConfig,
        settings: RenderSettings,
        docx_template: DocxTemplate | None = None,
    ) -> None:
        self.templates = dict(templates)
        self.settings = settings
        self.outputs = settings.outputs
        self.checker = QAChecker(qa)
        self.finisher = HtmlFinisher()
        self.docx_template = docx_template
        self.docx_builder = (
            DocxBuilder(creation_date=settings.eml_date, title=settings.title)
            if "docx" in self.outputs and docx_template is None
            else None
        )
        self.pdf: PdfRenderer | None = None
        if "pdf" in self.outputs:
            # Imported on demand: only jobs with PDF output load the engine and its fonts.
            from brandloom.documents.formats.pdf import PdfRenderer

            self.pdf = PdfRenderer(creation_date=settings.eml_date, title=settings.title)
        self._variant_names = [name for name, _ in weights]
        total = sum(w for _, w in weights)
        acc, cumulative = 0.0, []
        for _, w in weights:
            acc += w / total if total else 0.0
            cumulative.append(acc)
        self._cumulative = cumulative
        needed: set[str] = {"subject", "preheader"}
        for fmt in self.outputs:
            needed.update(FORMAT_PARTS[fmt])
        self._parts = {
            name: tuple(p for p in tpl.parts if p in needed) for name, tpl in self.templates.items()
        }
        # Variables used without a fallback: empty values for them are worth a QA warning.
        self._check_empty = {
            name: sorted(tpl.required_variables()) for name, tpl in self.templates.items()
        }

    def variant_for(self, key: str) -> str | None:
        if not self._variant_names:
            return None
        u = unit_interval(self.settings.seed, "variant", key)
        i = bisect.bisect_right(self._cumulative, u)
        return self._variant_names[min(i, len(self._variant_names) - 1)]

    def render_chunk(
        self, contacts: Iterable[ContactData], *, include_failed: bool = False
    ) -> ChunkResult:
        """Render every contact; failed documents get files only with ``include_failed``."""
        result = ChunkResult()
        outputs = self.outputs
        default_locale = self.settings.default_locale
        keep_parts = self.settings.keep_parts
        for contact in contacts:
            variant = self.variant_for(contact.key)
            template = self.templates[variant]
            locale = contact.locale or default_locale
            context = dict(contact.attributes)
            context["key"] = contact.key
            context["email"] = contact.email or ""
            context["locale"] = locale
            context["consent"] = contact.consent
            try:
                rendered = template.render(context, self._parts[variant])
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
                empty = [n for n in self._check_empty[variant] if n in context and not context[n]]
                qa = self.checker.check(
                    QAInput(
                        parts=parts,
                        unresolved=rendered.unresolved,
                        empty=empty,
                        consent=contact.consent,
                    )
                )
            files: dict[str, tuple[str, bytes]] = {}
            extra: list[QAIssue] = []
            if qa.status != "fail" or include_failed:
                stem = file_stem(contact.key)
                cache: dict[str, str] = {}
                for fmt in outputs:
                    data = self._format(fmt, parts, contact, locale, context, cache, extra)
                    if data is not None:
                        files[fmt] = (relative_path(fmt, stem), data)
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
                        parts={p: parts[p] for p in ENVELOPE_PARTS if p in parts}
                        if keep_parts
                        else {},
                    )
                )
        return result

    def _format(
        self,
        fmt: str,
        parts: Mapping[str, str],
        contact: ContactData,
        locale: str,
        context: Mapping[str, Any],
        cache: dict[str, str],
        extra: list[QAIssue],
    ) -> bytes | None:
        if fmt == "html":
            return self._html(parts, locale, cache).encode("utf-8")
        if fmt == "txt":
            return parts.get("text", "").encode("utf-8")
        if fmt == "md":
            return parts.get("markdown", "").encode("utf-8")
        if fmt == "sms":
            return parts.get("sms", "").encode("utf-8")
        if fmt == "eml":
            return self._eml(parts, contact, locale, cache, extra)
        if fmt == "pdf":
            assert self.pdf is not None
            return self.pdf.render(
                parts.get("pdf") or parts.get("markdown", ""),
                lang=locale,
                direction=text_direction(locale),
                doc_id=f"{self.settings.job_key}\x1f{contact.key}",
            )
        if fmt == "docx":
            if self.docx_template is not None:
                unresolved: list[str] = []
                data = self.docx_template.render(context, unresolved=unresolved)
                if unresolved:
                    names = ", ".join(sorted(set(unresolved)))
                    extra.append(
                        QAIssue("variable.unresolved", "fail", f"docx: no value for {names}")
                    )
                return data
            assert self.docx_builder is not None
            return self.docx_builder.render(
                parts.get("markdown", ""), lang=locale, direction=text_direction(locale)
            )
        raise ValueError(f"unknown output format '{fmt}'")

    def _html(self, parts: Mapping[str, str], locale: str, cache: dict[str, str]) -> str:
        """The finished e-mail HTML, computed once per contact (html and eml share it)."""
        html = cache.get("html")
        if html is None:
            html = cache["html"] = self.finisher.finish(
                parts.get("html", ""),
                preheader=parts.get("preheader") or None,
                lang=locale,
                direction=text_direction(locale),
            )
        return html

    def _eml(
        self,
        parts: Mapping[str, str],
        contact: ContactData,
        locale: str,
        cache: dict[str, str],
        extra: list[QAIssue],
    ) -> bytes | None:
        settings = self.settings
        if settings.email is None:
            return None
        if not contact.email:
            extra.append(QAIssue("email.missing", "fail", "no e-mail address for an eml output"))
            return None
        html = parts.get("html")
        return build_eml(
            settings=settings.email,
            to_addr=contact.email,
            to_name=_display_name(contact.attributes),
            subject=parts.get("subject", ""),
            text=parts.get("text", ""),
            html=self._html(parts, locale, cache) if html else None,
            message_id=message_id_for(settings.job_key, contact.key, domain=settings.email_domain),
            date=settings.eml_date,
            unsubscribe_url=parts.get("unsubscribe_url") or None,
        )


def _display_name(attributes: Mapping[str, Any]) -> str | None:
    first = str(attributes.get("first_name") or "").strip()
    last = str(attributes.get("last_name") or "").strip()
    name = f"{first} {last}".strip()
    return name or None


def _merge(qa: QAResult, extra: list[QAIssue]) -> tuple[str, tuple[QAIssue, ...]]:
    if not extra:
        return qa.status, qa.issues
    issues = qa.issues + tuple(extra)
    if any(i.severity == "fail" for i in issues):
        return "fail", issues
    return ("warn" if issues else "pass"), issues
