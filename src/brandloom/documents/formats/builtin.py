"""The built-in output formats: html, txt, md, sms, eml, pdf and docx.

The PDF and Word engines are imported by their writer factories, so only jobs with those
outputs load them (and their fonts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from brandloom.documents.formats.eml import build_eml, message_id_for
from brandloom.documents.formats.html import HtmlFinisher
from brandloom.documents.formats.registry import (
    FormatDefinition,
    FormatInput,
    FormatJob,
    FormatWriter,
    register_format,
)
from brandloom.kit.locale import text_direction

if TYPE_CHECKING:
    from brandloom.documents.formats.docx import DocxBuilder, DocxTemplate
    from brandloom.documents.formats.pdf import PdfRenderer

__all__ = ["BUILTIN_FORMATS", "DOCX_MEDIA_TYPE"]

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class _PartWriter:
    """A text part as it was rendered (txt, md, sms)."""

    def __init__(self, part: str) -> None:
        self._part = part

    def write(self, doc: FormatInput) -> bytes:
        return doc.parts.get(self._part, "").encode("utf-8")


def _finished_html(doc: FormatInput, finisher: HtmlFinisher) -> str:
    """The finished e-mail HTML, computed once per document (html and eml share it)."""
    html = doc.cache.get("html")
    if html is None:
        parts = doc.parts
        html = doc.cache["html"] = finisher.finish(
            parts.get("html", ""),
            preheader=parts.get("preheader") or None,
            lang=doc.locale,
            direction=text_direction(doc.locale),
        )
    return html


class _HtmlWriter:
    # html and eml each have a finisher, and share each document's finished HTML (see
    # _finished_html): finishing is a pure function of the document.
    def __init__(self, job: FormatJob) -> None:
        self._finisher = HtmlFinisher()

    def write(self, doc: FormatInput) -> bytes:
        return _finished_html(doc, self._finisher).encode("utf-8")


class _EmlWriter:
    def __init__(self, job: FormatJob) -> None:
        self._settings = job.settings
        self._finisher = HtmlFinisher()

    def write(self, doc: FormatInput) -> bytes | None:
        settings = self._settings
        if settings.email is None:
            return None
        contact = doc.contact
        if not contact.email:
            doc.fail("email.missing", "no e-mail address for an eml output")
            return None
        parts = doc.parts
        return build_eml(
            settings=settings.email,
            to_addr=contact.email,
            to_name=_display_name(contact.attributes),
            subject=parts.get("subject", ""),
            text=parts.get("text", ""),
            html=_finished_html(doc, self._finisher) if parts.get("html") else None,
            message_id=message_id_for(settings.job_key, contact.key, domain=settings.email_domain),
            date=settings.eml_date,
            unsubscribe_url=parts.get("unsubscribe_url") or None,
        )


def _display_name(attributes: Mapping[str, Any]) -> str | None:
    first = str(attributes.get("first_name") or "").strip()
    last = str(attributes.get("last_name") or "").strip()
    name = f"{first} {last}".strip()
    return name or None


class _PdfWriter:
    def __init__(self, job: FormatJob) -> None:
        # Imported here: only jobs with PDF output load the engine and its fonts.
        from brandloom.documents.formats.pdf import PdfRenderer

        settings = job.settings
        self._job_key = settings.job_key
        self._renderer: PdfRenderer = PdfRenderer(
            creation_date=settings.eml_date, title=settings.title
        )

    def write(self, doc: FormatInput) -> bytes:
        parts = doc.parts
        return self._renderer.render(
            parts.get("pdf") or parts.get("markdown", ""),
            lang=doc.locale,
            direction=text_direction(doc.locale),
            doc_id=f"{self._job_key}\x1f{doc.contact.key}",
        )


class _DocxWriter:
    """The job's Word template rendered with the contact's data, else the Markdown as a
    document of its own."""

    def __init__(self, job: FormatJob) -> None:
        from brandloom.documents.formats.docx import DocxBuilder

        self._template: DocxTemplate | None = job.docx_template
        self._builder: DocxBuilder | None = (
            DocxBuilder(creation_date=job.settings.eml_date, title=job.settings.title)
            if job.docx_template is None
            else None
        )

    def write(self, doc: FormatInput) -> bytes:
        if self._template is not None:
            unresolved: list[str] = []
            data = self._template.render(doc.context, unresolved=unresolved)
            if unresolved:
                doc.fail(
                    "variable.unresolved",
                    f"docx: no value for {', '.join(sorted(set(unresolved)))}",
                )
            return data
        assert self._builder is not None
        return self._builder.render(
            doc.parts.get("markdown", ""), lang=doc.locale, direction=text_direction(doc.locale)
        )


def _part_writer(part: str) -> Callable[[FormatJob], FormatWriter]:
    return lambda job: _PartWriter(part)


_TEXT = "text/plain; charset=utf-8"

#: The built-in formats, in the order specs list them.
BUILTIN_FORMATS: tuple[FormatDefinition, ...] = (
    FormatDefinition(
        "html", "html", "text/html; charset=utf-8", ("html", "preheader"), _HtmlWriter
    ),
    FormatDefinition("txt", "txt", _TEXT, ("text",), _part_writer("text")),
    FormatDefinition(
        "md", "md", "text/markdown; charset=utf-8", ("markdown",), _part_writer("markdown")
    ),
    FormatDefinition("sms", "txt", _TEXT, ("sms",), _part_writer("sms")),
    FormatDefinition(
        "eml",
        "eml",
        "message/rfc822",
        ("subject", "html", "text", "preheader", "unsubscribe_url"),
        _EmlWriter,
    ),
    FormatDefinition("pdf", "pdf", "application/pdf", ("pdf", "markdown"), _PdfWriter, binary=True),
    FormatDefinition("docx", "docx", DOCX_MEDIA_TYPE, ("markdown",), _DocxWriter, binary=True),
)

for _fmt in BUILTIN_FORMATS:
    register_format(_fmt)
