"""The built-in output formats: html, txt, md, sms, eml, pdf and docx.

The PDF and Word engines are imported by their writer factories, so only jobs with those
outputs load them (and their fonts).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from brandloom.documents.formats._brand import KitView, kit_view, png_of_svg
from brandloom.documents.formats.eml import InlineImage, build_eml, inline_image, message_id_for
from brandloom.documents.formats.html import BrandFrame, HtmlFinisher
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
    from brandloom.documents.formats.pdf_layout import LayoutRenderer

__all__ = ["BUILTIN_FORMATS", "DOCX_MEDIA_TYPE"]

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class _PartWriter:
    """A text part as it was rendered (txt, md, sms)."""

    def __init__(self, part: str) -> None:
        self._part = part

    def write(self, doc: FormatInput) -> bytes:
        return doc.parts.get(self._part, "").encode("utf-8")


def _finished_html(doc: FormatInput, finisher: HtmlFinisher, key: str = "html") -> str:
    """The finished e-mail HTML, computed once per document (html and eml share it unless the
    brand's logo is reached differently in each: ``key``)."""
    html = doc.cache.get(key)
    if html is None:
        parts = doc.parts
        html = doc.cache[key] = finisher.finish(
            parts.get("html", ""),
            preheader=parts.get("preheader") or None,
            lang=doc.locale,
            direction=text_direction(doc.locale),
        )
    return html


#: A logo in e-mail is shown at most 56 px high: its PNG is drawn twice that (sharp on
#: high-density screens).
_EMAIL_LOGO_PX = 112


def _email_logo(kit: KitView) -> tuple[bytes, str] | None:
    """The logo as e-mail clients can show it: a PNG as it is; an SVG drawn as a PNG (Gmail and
    Outlook show no SVG), or, when it cannot be drawn, the SVG itself."""
    if kit.logo is None or kit.logo_media_type is None:
        return None
    if kit.logo_media_type == "image/svg+xml":
        png = png_of_svg(kit.logo, _EMAIL_LOGO_PX)
        if png is not None:
            return png, "image/png"
    return kit.logo, kit.logo_media_type


class _HtmlWriter:
    # html and eml each have a finisher, and share each document's finished HTML (see
    # _finished_html): finishing is a pure function of the document. A standalone page
    # carries the brand's logo as a data: URI.
    def __init__(self, job: FormatJob) -> None:
        frame = None
        if job.brand is not None:
            kit = kit_view(job.brand)
            logo = _email_logo(kit)
            src = (
                f"data:{logo[1]};base64,{base64.b64encode(logo[0]).decode('ascii')}"
                if logo is not None
                else None
            )
            frame = BrandFrame(kit, logo_src=src)
        self._finisher = HtmlFinisher(brand=frame)

    def write(self, doc: FormatInput) -> bytes:
        return _finished_html(doc, self._finisher).encode("utf-8")


class _EmlWriter:
    """A message; with a brand whose layout shows a logo, the logo travels as an inline part
    of a multipart/related HTML alternative, referenced by ``cid:``."""

    def __init__(self, job: FormatJob) -> None:
        self._settings = job.settings
        self._logo: InlineImage | None = None
        self._cache_key = "html"
        frame = None
        if job.brand is not None:
            kit = kit_view(job.brand)
            logo = _email_logo(kit)
            if logo is not None:
                self._logo = inline_image(logo[0], media_type=logo[1], name="logo")
                self._cache_key = "html:cid"  # the html output's page holds a data: URI
            frame = BrandFrame(kit, logo_src=self._logo.src if self._logo else None)
        self._finisher = HtmlFinisher(brand=frame)

    def write(self, doc: FormatInput) -> bytes | None:
        settings = self._settings
        if settings.email is None:
            return None
        contact = doc.contact
        if not contact.email:
            doc.fail("email.missing", "no e-mail address for an eml output")
            return None
        parts = doc.parts
        html = _finished_html(doc, self._finisher, self._cache_key) if parts.get("html") else None
        logo = self._logo
        return build_eml(
            settings=settings.email,
            to_addr=contact.email,
            to_name=_display_name(contact.attributes),
            subject=parts.get("subject", ""),
            text=parts.get("text", ""),
            html=html,
            message_id=message_id_for(settings.job_key, contact.key, domain=settings.email_domain),
            date=settings.eml_date,
            unsubscribe_url=parts.get("unsubscribe_url") or None,
            # only when the brand's layout wrapped the HTML (a whole document is the author's)
            related=(logo,) if logo is not None and html is not None and logo.src in html else (),
        )


def _display_name(attributes: Mapping[str, Any]) -> str | None:
    first = str(attributes.get("first_name") or "").strip()
    last = str(attributes.get("last_name") or "").strip()
    name = f"{first} {last}".strip()
    return name or None


class _PdfWriter:
    """From the ``typst`` part when the document has one, else the ``pdf`` part's Markdown,
    else the ``markdown`` part (itself derived from the HTML when not given). Each engine is
    built on the first document that needs it: a job whose template has a layout never loads
    the Markdown one. The brand's letterhead dresses the Markdown only: a ``typst`` part is
    its author's whole layout."""

    def __init__(self, job: FormatJob) -> None:
        self._job = job
        self._job_key = job.settings.job_key
        self._markdown: PdfRenderer | None = None
        self._layout: LayoutRenderer | None = None

    def write(self, doc: FormatInput) -> bytes | None:
        parts = doc.parts
        doc_id = f"{self._job_key}\x1f{doc.contact.key}"
        direction = text_direction(doc.locale)
        layout = parts.get("typst")
        if layout is not None:
            return self._write_layout(doc, layout, direction, doc_id)
        renderer = self._markdown
        if renderer is None:
            # Imported here: only jobs with PDF output load the engine and its fonts.
            from brandloom.documents.formats.pdf import PdfRenderer

            settings = self._job.settings
            renderer = self._markdown = PdfRenderer(
                creation_date=settings.eml_date, title=settings.title, brand=self._job.brand
            )
        return renderer.render(
            parts.get("pdf") or parts.get("markdown", ""),
            lang=doc.locale,
            direction=direction,
            doc_id=doc_id,
        )

    def _write_layout(
        self, doc: FormatInput, layout: str, direction: str, doc_id: str
    ) -> bytes | None:
        from brandloom.documents.formats.pdf_layout import LayoutError, LayoutRenderer

        renderer = self._layout
        if renderer is None:
            settings = self._job.settings
            renderer = self._layout = LayoutRenderer(
                creation_date=settings.eml_date, title=settings.title, assets=self._job.assets
            )
        try:
            return renderer.render(layout, lang=doc.locale, direction=direction, doc_id=doc_id)
        except LayoutError as exc:
            if not exc.known_path:
                raise  # the template's error: the job stops with it
            doc.fail(exc.code, exc.message)  # this document's values broke a working layout
            return None


class _DocxWriter:
    """The job's Word template rendered with the contact's data, else the Markdown as a
    document of its own (wearing the brand's kit: a Word template is its author's layout)."""

    def __init__(self, job: FormatJob) -> None:
        from brandloom.documents.formats.docx import DocxBuilder

        self._template: DocxTemplate | None = job.docx_template
        self._builder: DocxBuilder | None = (
            DocxBuilder(
                creation_date=job.settings.eml_date, title=job.settings.title, brand=job.brand
            )
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
    FormatDefinition(
        "pdf", "pdf", "application/pdf", ("typst", "pdf", "markdown"), _PdfWriter, binary=True
    ),
    FormatDefinition("docx", "docx", DOCX_MEDIA_TYPE, ("markdown",), _DocxWriter, binary=True),
)

for _fmt in BUILTIN_FORMATS:
    register_format(_fmt)
