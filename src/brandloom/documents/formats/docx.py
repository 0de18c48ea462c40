"""Fast, safe, deterministic .docx output.

Two ways to make a document:

* :class:`DocxBuilder` turns rendered Markdown into a .docx. The package skeleton (styles with
  heading/list/quote/code styles, numbering, settings, font table, properties, relationships)
  is built and compressed once per builder and language; a document costs one Markdown parse
  (markdown-it-py), string building of ``word/document.xml`` and one deflate.
* :class:`DocxTemplate` renders a user's .docx containing Jinja tags (``{{ first_name }}``,
  ``{% if %}``, ``{% for %}``, docxtpl-style ``{%p``/``{%tr``/``{%tc``/``{%r`` prefixes) per
  contact. The XML is cleaned (tags split over runs are joined) and compiled once; a render is
  the Jinja rendering of the parts that have tags plus writing the zip, every other part is
  copied as precompressed bytes.

Why not python-docx: building the same document through it measured 30-50x slower (35-100 ms
against 0.8-1.8 ms for a one-page letter, ``python benchmarks/run.py --only micro``), most of
it loading its template package and serializing its object tree per document. python-docx stays
the reference: ``tests/documents/test_docx_oracle.py`` opens the output with it and checks the
same paragraphs, styles, list levels, tables, runs and links as python-docx builds.

With a brand (the spec's ``brand:``), the builder's fixed parts carry its kit: the kit's font as
the default font, headings in the primary color, links in the link color, a page header with
the logo (a PNG picture; an SVG logo is shown as SVG by Word 2016+ over a PNG drawn from it for
the others) or the brand's name over a rule in the primary color, and a page footer with the
address and legal lines. They are built and compressed once per builder, like the rest.

All text that comes from data is XML-escaped exactly once and characters XML 1.0 forbids are
dropped. The same input always gives the same bytes (fixed zip timestamps and entry order,
property dates from ``creation_date``, no random ids).
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from io import BytesIO
from typing import TYPE_CHECKING, Any

from jinja2.runtime import Undefined
from markdown_it import MarkdownIt
from markdown_it.token import Token

from brandloom.documents.formats import _docx_parts as parts
from brandloom.documents.formats._brand import KitView, fit, kit_view, logo_size, png_of_svg
from brandloom.documents.formats._docx_template import (
    PartError,
    PreparedPart,
    TagInfo,
    prepare_part,
    prepare_rels,
    word_prefix,
)
from brandloom.documents.formats._ooxml import (
    INVALID_XML_CHARS,
    ZipEntry,
    build_zip,
    make_entry,
    w3cdtf,
    xml_text,
)
from brandloom.documents.formats.builtin import DOCX_MEDIA_TYPE
from brandloom.kit.locale import text_direction
from brandloom.templates.engine import MAX_OUTPUT, JinjaFragment, VariableUse, compile_fragment
from brandloom.templates.errors import TemplateError, TemplateSyntaxError

if TYPE_CHECKING:
    from brandloom.documents.formats.registry import BrandLayout

__all__ = ["DOCX_MEDIA_TYPE", "DocxBuilder", "DocxTemplate", "compile_docx"]


#: zlib level for the per-document parts (the fixed ones use 9, once).
_LEVEL = 6
_STATIC_LEVEL = 9

# ==============================================================================================
# Markdown -> DOCX
# ==============================================================================================

_W_DOC_OPEN = parts.XML_DECL + f'<w:document xmlns:w="{parts.W_NS}" xmlns:r="{parts.R_NS}"><w:body>'
_ALIGN_RE = re.compile(r"text-align:\s*(left|center|right)")
_UNSAFE_SCHEME_RE = re.compile(r"^\s*(?:javascript|vbscript|data|file):", re.IGNORECASE)
_MAX_VARIANTS = 32


def _md_parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


class _Variant:
    """The language-dependent, per-builder fixed parts."""

    __slots__ = ("core", "font_table", "page", "settings", "styles")

    def __init__(
        self,
        info: parts.LangInfo,
        *,
        title: str | None,
        created: str,
        brand: parts.BrandStyle | None = None,
    ) -> None:
        self.page = info.page
        styles = parts.styles_xml(info, brand)
        self.styles = make_entry("word/styles.xml", _b(styles), _STATIC_LEVEL)
        self.settings = make_entry("word/settings.xml", _b(parts.settings_xml(info)), _STATIC_LEVEL)
        font = brand.font if brand is not None else None
        self.font_table = make_entry(
            "word/fontTable.xml", _b(parts.font_table_xml(info, font)), _STATIC_LEVEL
        )
        core = parts.core_xml(title=title, created=created, language=info.tag)
        self.core = make_entry("docProps/core.xml", _b(core), _STATIC_LEVEL)


def _b(text: str) -> bytes:
    return text.encode("utf-8")


#: The logo's box in the page header (EMU: 914,400 an inch): at most 2.5 x 0.55 inch.
_LOGO_BOX_EMU = (2_286_000, 502_920)
#: An SVG logo's PNG for Word versions without SVG pictures (pixels high).
_LOGO_PNG_PX = 160
_HEADER_RID = "rIdBrandH"
_FOOTER_RID = "rIdBrandF"


class _Brand:
    """A brand's fixed parts (built once per builder): the header and footer per direction,
    the logo's media, the relationships and content types that name them."""

    __slots__ = (
        "_kit",
        "_picture",
        "content_types",
        "doc_rels",
        "footer",
        "header_rels",
        "media",
        "parts",
        "section_refs",
        "style",
    )

    def __init__(self, kit: KitView) -> None:
        self._kit = kit
        self.style = parts.BrandStyle(
            font=kit.font, heading_color=kit.primary[1:], link_color=kit.link[1:]
        )
        media: list[tuple[str, bytes]] = []  # (file name, bytes): PNG first
        png, svg = None, None
        if kit.logo is not None and kit.logo_media_type == "image/png":
            png = kit.logo
        elif kit.logo is not None:
            svg = kit.logo
            png = png_of_svg(kit.logo, _LOGO_PNG_PX)  # Word needs a PNG beside an SVG
        rels: list[tuple[str, str, str]] = []
        self._picture: tuple[str, str | None, tuple[int, int], str] | None = None
        if png is not None:
            media.append(("logo.png", png))
            rels.append(("rIdLogo", "image", "media/logo.png"))
            if svg is not None:
                media.append(("logo.svg", svg))
                rels.append(("rIdLogoSvg", "image", "media/logo.svg"))
            size = kit.logo_size if svg is not None else logo_size(png, "image/png")
            self._picture = (
                "rIdLogo",
                "rIdLogoSvg" if svg is not None else None,
                fit(size, *_LOGO_BOX_EMU),
                "logo.svg" if svg is not None else "logo.png",
            )
        has_footer = bool(kit.address or kit.legal_footer)
        self.media = [make_entry(f"word/media/{name}", data, _STATIC_LEVEL) for name, data in media]
        self.header_rels = (
            make_entry("word/_rels/header1.xml.rels", _b(parts.part_rels_xml(rels)), _STATIC_LEVEL)
            if rels
            else None
        )
        images = tuple(
            (ext, media_type)
            for ext, media_type in (("png", "image/png"), ("svg", "image/svg+xml"))
            if any(name.endswith(f".{ext}") for name, _ in media)
        )
        self.content_types = make_entry(
            "[Content_Types].xml",
            _b(parts.branded_content_types_xml(header=True, footer=has_footer, images=images)),
            _STATIC_LEVEL,
        )
        doc_rels = [(_HEADER_RID, "header", "header1.xml")]
        refs = f'<w:headerReference w:type="default" r:id="{_HEADER_RID}"/>'
        if has_footer:
            doc_rels.append((_FOOTER_RID, "footer", "footer1.xml"))
            refs += f'<w:footerReference w:type="default" r:id="{_FOOTER_RID}"/>'
        self.doc_rels = "".join(
            f'<Relationship Id="{rid}" Type="{parts.REL_TYPE}{kind}" Target="{target}"/>'
            for rid, kind, target in doc_rels
        )
        self.section_refs = refs
        self.parts: dict[bool, list[ZipEntry]] = {}
        self.footer = has_footer

    def entries(self, rtl: bool) -> list[ZipEntry]:
        """The header, footer, their relationships and the media, for one direction."""
        found = self.parts.get(rtl)
        if found is None:
            kit = self._kit
            header = parts.header_xml(
                name=kit.name,
                primary=kit.primary[1:],
                rtl=rtl,
                picture=self._picture,
                name_rtl=kit.name_dir == "rtl",
            )
            found = [make_entry("word/header1.xml", _b(header), _STATIC_LEVEL)]
            if self.footer:
                footer = parts.footer_xml(
                    address=kit.address,
                    legal=kit.legal_footer,
                    rtl=rtl,
                    text_rtl=kit.footer_dir == "rtl",
                )
                found.append(make_entry("word/footer1.xml", _b(footer), _STATIC_LEVEL))
            if self.header_rels is not None:
                found.append(self.header_rels)
            found.extend(self.media)
            self.parts[rtl] = found
        return found


class DocxBuilder:
    """Generated documents: Markdown -> DOCX. Built once per job per process.

    ``render`` is thread-safe and pure: the same arguments give the same bytes. ``brand``:
    the kit the documents wear (see the module doc).
    """

    def __init__(
        self,
        *,
        creation_date: datetime,
        title: str | None = None,
        brand: BrandLayout | None = None,
    ) -> None:
        self.creation_date = creation_date
        self.title = title
        self.brand = brand
        self._brand = _Brand(kit_view(brand)) if brand is not None else None
        self._created = w3cdtf(creation_date)
        self._md = _md_parser()
        self._content_types = (
            self._brand.content_types
            if self._brand is not None
            else make_entry("[Content_Types].xml", _b(parts.CONTENT_TYPES_XML), _STATIC_LEVEL)
        )
        self._root_rels = make_entry("_rels/.rels", _b(parts.ROOT_RELS_XML), _STATIC_LEVEL)
        self._app = make_entry("docProps/app.xml", _b(parts.APP_XML), _STATIC_LEVEL)
        self._numbering = make_entry("word/numbering.xml", _b(parts.numbering_xml()), _STATIC_LEVEL)
        self._brand_rels = self._brand.doc_rels if self._brand is not None else ""
        self._section_refs = self._brand.section_refs if self._brand is not None else ""
        self._doc_rels = make_entry(
            "word/_rels/document.xml.rels",
            _b(parts.document_rels_xml([], self._brand_rels)),
            _STATIC_LEVEL,
        )
        self._variants: dict[str, _Variant] = {}

    def __reduce__(self) -> tuple[Any, ...]:
        return (_make_builder, (self.creation_date, self.title, self.brand))

    def _variant(self, lang: str) -> _Variant:
        variant = self._variants.get(lang)
        if variant is None:
            variant = _Variant(
                parts.lang_info(lang),
                title=self.title,
                created=self._created,
                brand=self._brand.style if self._brand is not None else None,
            )
            if len(self._variants) >= _MAX_VARIANTS:
                self._variants.clear()
            self._variants[lang] = variant
        return variant

    def document_xml(self, markdown: str, *, lang: str, direction: str) -> str:
        """Just ``word/document.xml`` (for tests and debugging)."""
        variant = self._variant(lang)
        body = _Body(rtl=_is_rtl(direction, lang), page=variant.page, refs=self._section_refs)
        return body.convert(self._md.parse(markdown))

    def render(self, markdown: str, *, lang: str, direction: str) -> bytes:
        """The .docx for ``markdown``; ``direction`` is ``"ltr"``, ``"rtl"`` or ``"auto"``."""
        variant = self._variant(lang)
        rtl = _is_rtl(direction, lang)
        body = _Body(rtl=rtl, page=variant.page, refs=self._section_refs)
        document = body.convert(self._md.parse(markdown))
        doc_rels = (
            make_entry(
                "word/_rels/document.xml.rels",
                _b(parts.document_rels_xml(body.links, self._brand_rels)),
            )
            if body.links
            else self._doc_rels
        )
        numbering = (
            make_entry("word/numbering.xml", _b(parts.numbering_xml(body.restarts)))
            if body.restarts
            else self._numbering
        )
        entries = [
            self._content_types,
            self._root_rels,
            self._app,
            variant.core,
            make_entry("word/document.xml", _b(document), _LEVEL),
            doc_rels,
            variant.font_table,
            numbering,
            variant.settings,
            variant.styles,
        ]
        if self._brand is not None:
            entries.extend(self._brand.entries(rtl))
        return build_zip(entries)


def _make_builder(
    creation_date: datetime, title: str | None, brand: BrandLayout | None = None
) -> DocxBuilder:
    return DocxBuilder(creation_date=creation_date, title=title, brand=brand)


def _is_rtl(direction: str, lang: str | None) -> bool:
    if direction == "auto":
        return text_direction(lang) == "rtl"
    return direction == "rtl"


class _Body:
    """Markdown-it tokens -> ``word/document.xml`` (one instance per document)."""

    def __init__(self, *, rtl: bool, page: parts.PageInfo, refs: str = "") -> None:
        self.rtl = rtl
        self.page = page
        self.refs = refs  # the section's header and footer references
        self.out: list[str] = [_W_DOC_OPEN]
        self.links: list[str] = []
        self._link_ids: dict[str, int] = {}
        self.restarts: list[tuple[int, int, int]] = []
        self._next_num = parts.ORDERED_NUM_ID + 1
        self._default_ordered_used = False
        self._lists: list[int] = []  # numId per open list
        self._item_first: list[bool] = []
        self._quote = 0
        self._rpr_cache: dict[tuple[str | None, bool, bool, bool], str] = {}
        self._bidi = "<w:bidi/>" if rtl else ""
        self._last_was_table = False

    # --- blocks ------------------------------------------------------------------------------

    def convert(self, tokens: Sequence[Token]) -> str:
        out = self.out
        index = 0
        count = len(tokens)
        wrote = False
        while index < count:
            token = tokens[index]
            kind = token.type
            if kind == "inline":
                pass  # consumed by the opening token below
            elif kind == "paragraph_open":
                index += 1
                self._paragraph(tokens[index], self._para_props())
                wrote = True
            elif kind == "heading_open":
                index += 1
                level = min(int(token.tag[1:]), 6)
                self._paragraph(tokens[index], self._ppr(style=f"Heading{level}"))
                wrote = True
            elif kind == "bullet_list_open":
                self._lists.append(parts.BULLET_NUM_ID)
            elif kind == "ordered_list_open":
                self._lists.append(self._ordered_num(token))
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self._lists.pop()
            elif kind == "list_item_open":
                self._item_first.append(True)
            elif kind == "list_item_close":
                self._item_first.pop()
            elif kind == "blockquote_open":
                self._quote += 1
            elif kind == "blockquote_close":
                self._quote -= 1
            elif kind == "hr":
                border = (
                    '<w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="A5A5A5"/>'
                    "</w:pBdr>"
                )
                out.append(f"<w:p><w:pPr>{border}{self._bidi}</w:pPr></w:p>")
                wrote = True
            elif kind in ("fence", "code_block"):
                self._code(token.content)
                wrote = True
            elif kind == "table_open":
                index = self._table(tokens, index)
                wrote = True
                self._last_was_table = True
                index += 1
                continue
            self._last_was_table = self._last_was_table and not wrote
            wrote = False
            index += 1
        if self._last_was_table or len(out) == 1:
            out.append(f"<w:p>{self._ppr()}</w:p>")
        page = self.page
        out.append(
            f'<w:sectPr>{self.refs}<w:pgSz w:w="{page.width}" w:h="{page.height}"/>'
            f'<w:pgMar w:top="{page.margin}" w:right="{page.margin}" w:bottom="{page.margin}"'
            f' w:left="{page.margin}" w:header="720" w:footer="720" w:gutter="0"/>'
            f'<w:cols w:space="720"/>{self._bidi}<w:docGrid w:linePitch="360"/></w:sectPr>'
            "</w:body></w:document>"
        )
        return "".join(out)

    def _ordered_num(self, token: Token) -> int:
        start_attr = token.attrGet("start")
        start = int(start_attr) if isinstance(start_attr, (int, str)) else 1
        if start == 1 and not self._default_ordered_used:
            self._default_ordered_used = True
            return parts.ORDERED_NUM_ID
        num_id = self._next_num
        self._next_num += 1
        self.restarts.append((num_id, min(len(self._lists), 8), max(0, min(start, 32767))))
        return num_id

    def _ppr(
        self,
        *,
        style: str | None = None,
        num: tuple[int, int] | None = None,
        indent: int = 0,
        jc: str | None = None,
    ) -> str:
        inner = []
        if style:
            inner.append(f'<w:pStyle w:val="{style}"/>')
        if num is not None:
            ilvl, num_id = num
            inner.append(f'<w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>')
        if self.rtl:
            inner.append("<w:bidi/>")
        if indent:
            inner.append(f'<w:ind w:left="{indent}"/>')
        if jc:
            inner.append(f'<w:jc w:val="{jc}"/>')
        return f"<w:pPr>{''.join(inner)}</w:pPr>" if inner else ""

    def _para_props(self) -> str:
        if self._lists:
            depth = len(self._lists)
            if self._item_first and self._item_first[-1]:
                self._item_first[-1] = False
                return self._ppr(style="ListParagraph", num=(min(depth - 1, 8), self._lists[-1]))
            return self._ppr(style="ListParagraph", indent=720 * depth)
        if self._quote:
            return self._ppr(style="Quote", indent=360 * self._quote)
        return self._ppr()

    def _paragraph(self, inline: Token, ppr: str, *, bold: bool = False) -> None:
        self.out.append(f"<w:p>{ppr}{self._runs(inline.children or (), bold=bold)}</w:p>")

    def _code(self, content: str) -> None:
        lines = content.rstrip("\n").replace("\t", "    ").split("\n")
        rtl = "<w:rPr><w:rtl/></w:rPr>" if self.rtl else ""
        runs = "<w:r><w:br/></w:r>".join(
            f'<w:r>{rtl}<w:t xml:space="preserve">{xml_text(line)}</w:t></w:r>' for line in lines
        )
        self.out.append(f"<w:p>{self._ppr(style='SourceCode')}{runs}</w:p>")

    def _table(self, tokens: Sequence[Token], index: int) -> int:
        rows: list[tuple[bool, list[tuple[Token | None, str | None]]]] = []
        cells: list[tuple[Token | None, str | None]] = []
        header = False
        align: str | None = None
        index += 1
        while index < len(tokens):
            token = tokens[index]
            kind = token.type
            if kind == "table_close":
                break
            if kind == "thead_open":
                header = True
            elif kind == "thead_close":
                header = False
            elif kind == "tr_open":
                cells = []
            elif kind == "tr_close":
                rows.append((header, cells))
            elif kind in ("th_open", "td_open"):
                style = token.attrGet("style")
                found = _ALIGN_RE.search(style) if isinstance(style, str) else None
                align = found.group(1) if found else None
            elif kind == "inline":
                cells.append((token, align))
            index += 1
        columns = max((len(c) for _, c in rows), default=0)
        if not columns:
            return index
        width = self.page.text_width // columns
        out = self.out
        out.append(
            '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/>'
            + ("<w:bidiVisual/>" if self.rtl else "")
            + '<w:tblW w:w="5000" w:type="pct"/>'
            '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1"'
            ' w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>'
            + f'<w:gridCol w:w="{width}"/>' * columns
            + "</w:tblGrid>"
        )
        for is_header, row in rows:
            out.append("<w:tr><w:trPr><w:tblHeader/></w:trPr>" if is_header else "<w:tr>")
            for column in range(columns):
                inline, cell_align = row[column] if column < len(row) else (None, None)
                jc = cell_align if cell_align == "center" or not self.rtl else None
                ppr = self._ppr(style="TableText", jc=jc if jc != "left" else None)
                runs = self._runs(inline.children or (), bold=is_header) if inline else ""
                out.append(
                    f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
                    f"<w:p>{ppr}{runs}</w:p></w:tc>"
                )
            out.append("</w:tr>")
        out.append("</w:tbl>")
        return index

    # --- inline ------------------------------------------------------------------------------

    def _rpr(self, style: str | None, bold: bool, italic: bool, strike: bool) -> str:
        key = (style, bold, italic, strike)
        cached = self._rpr_cache.get(key)
        if cached is None:
            inner = f'<w:rStyle w:val="{style}"/>' if style else ""
            if bold:
                inner += "<w:b/><w:bCs/>"
            if italic:
                inner += "<w:i/><w:iCs/>"
            if strike:
                inner += "<w:strike/>"
            if self.rtl:
                inner += "<w:rtl/>"
            cached = self._rpr_cache[key] = f"<w:rPr>{inner}</w:rPr>" if inner else ""
        return cached

    def _link_id(self, href: str) -> int:
        found = self._link_ids.get(href)
        if found is None:
            self.links.append(href)
            found = self._link_ids[href] = len(self.links)
        return found

    def _runs(self, children: Iterable[Token], *, bold: bool = False) -> str:
        buf: list[str] = []
        text: list[str] = []
        strong = 1 if bold else 0
        em = 0
        strike = 0
        link = False
        style: str | None = None

        def flush() -> None:
            if text:
                joined = "".join(text)
                text.clear()
                if joined:
                    rpr = self._rpr("Hyperlink" if link else style, strong > 0, em > 0, strike > 0)
                    body = xml_text(joined)
                    buf.append(f'<w:r>{rpr}<w:t xml:space="preserve">{body}</w:t></w:r>')

        for child in children:
            kind = child.type
            if kind == "text":
                text.append(child.content)
            elif kind == "softbreak":
                text.append(" ")
            elif kind == "hardbreak":
                flush()
                buf.append("<w:r><w:br/></w:r>")
            elif kind == "code_inline":
                flush()
                style = "VerbatimChar"
                text.append(child.content)
                flush()
                style = None
            elif kind in ("strong_open", "strong_close"):
                flush()
                strong += 1 if kind == "strong_open" else -1
            elif kind in ("em_open", "em_close"):
                flush()
                em += 1 if kind == "em_open" else -1
            elif kind in ("s_open", "s_close"):
                flush()
                strike += 1 if kind == "s_open" else -1
            elif kind == "link_open":
                flush()
                href = child.attrGet("href")
                if (
                    isinstance(href, str)
                    and href
                    and not href.startswith("#")
                    and not _UNSAFE_SCHEME_RE.match(href)
                    and INVALID_XML_CHARS.search(href) is None
                ):
                    buf.append(f'<w:hyperlink r:id="rIdL{self._link_id(href)}" w:history="1">')
                    link = True
            elif kind == "link_close":
                flush()
                if link:
                    buf.append("</w:hyperlink>")
                    link = False
            elif kind == "image":
                text.append(child.content)  # the alt text; images are not embedded
            elif kind in ("html_inline", "html_block"):
                text.append(child.content)
        flush()
        if link:
            buf.append("</w:hyperlink>")
        return "".join(buf)


# ==============================================================================================
# .docx templates
# ==============================================================================================

MAX_TEMPLATE_BYTES = 64 * 1024 * 1024  # uncompressed, all parts together
MAX_TEMPLATE_PARTS = 5_000
_TEMPLATED_REL_TYPES = ("/header", "/footer", "/footnotes", "/endnotes")
_REL_RE = re.compile(r"<Relationship\b[^>]*>")
_ATTR_RE = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CORE_DATE_RE = re.compile(
    r"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)|<dcterms:(created|modified)\b[^>]*/>"
)
_NEWLINE_MARK = "\x01"
_TAB_MARK = "\x02"


def _xml_finalize(value: Any) -> str:
    """Expression output -> XML text, escaped exactly once (autoescape is off)."""
    if value.__class__ is str:
        text: str = value
    elif value is None:
        return ""
    elif hasattr(value, "__html__"):  # markupsafe.Markup from |e, or an undefined value
        text = html.unescape(str(value.__html__()))
    elif callable(value) and not isinstance(value, Undefined):
        return ""
    else:
        text = str(value)
    text = xml_text(text)
    if "\n" in text:
        text = text.replace("\n", _NEWLINE_MARK)
    if "\t" in text:
        text = text.replace("\t", _TAB_MARK)
    return text


class _RenderedPart:
    """One part with tags, compiled."""

    __slots__ = ("expand", "fix_cells", "fragment", "name")

    def __init__(
        self,
        name: str,
        fragment: JinjaFragment,
        *,
        expand: Callable[[str], str],
        fix_cells: Callable[[str], str] | None,
    ) -> None:
        self.name = name
        self.fragment = fragment
        self.expand = expand
        self.fix_cells = fix_cells


class DocxTemplate:
    """A user's .docx with Jinja tags rendered per contact.

    Supported: ``{{ expr }}`` anywhere in the text (also split over runs by Word), ``{% %}``
    in the text (``if``/``for``/``set``/``with``...), docxtpl's ``{%p``/``{%tr``/``{%tc``/
    ``{%r`` prefixes that replace the whole paragraph/table row/cell/run, ``{# #}`` comments,
    and ``{{ expr }}`` in hyperlink targets. A paragraph holding only ``{% %}`` tags disappears
    from the output. Newlines/tabs in data become line breaks/tabs. Processed parts: the main
    document, headers, footers, footnotes, endnotes and their relationships.

    The tags of each part are compiled as one Jinja fragment
    (:func:`~brandloom.templates.engine.compile_fragment`): the sandbox, checks and hardening
    of every other template part, with expression output escaped as XML text.
    """

    def __init__(
        self,
        source: bytes,
        *,
        creation_date: datetime,
        origin: str = "template.docx",
    ) -> None:
        self.origin = origin
        self.creation_date = creation_date
        self._source = source
        files = _read_package(source, origin)
        templated = _templated_parts(files, origin)
        created = w3cdtf(creation_date)
        self._plan: list[ZipEntry | _RenderedPart] = []
        self._uses: list[VariableUse] = []
        names: set[str] = set()
        for name, data in files.items():
            if name == "docProps/core.xml":
                data = _set_core_dates(data, created)
            kind = templated.get(name)
            compiled = None
            if kind is not None:
                compiled = self._compile(name, data, kind, names)
            if compiled is not None:
                self._plan.append(compiled)
            else:
                self._plan.append(make_entry(name, data, _STATIC_LEVEL))
        self.variables: frozenset[str] = frozenset(names)
        required: dict[str, VariableUse] = {}
        for use in self._uses:
            if not use.has_fallback and use.name not in required:
                required[use.name] = use
        self._required = required

    def __reduce__(self) -> tuple[Any, ...]:
        return (_make_template, (self._source, self.creation_date, self.origin))

    @property
    def variable_uses(self) -> list[VariableUse]:
        """Every top-level variable use (``part`` is the zip path, ``line`` the paragraph)."""
        return list(self._uses)

    def required_variables(self) -> dict[str, VariableUse]:
        """Names used somewhere without a fallback -> their first such use."""
        return dict(self._required)

    # --- compile -----------------------------------------------------------------------------

    def _compile(self, name: str, data: bytes, kind: str, names: set[str]) -> _RenderedPart | None:
        try:
            xml = data.decode("utf-8")
        except UnicodeDecodeError:
            raise TemplateError(
                f"{name} ({self.origin}) is not UTF-8", code="template.docx_invalid"
            ) from None
        if _NEWLINE_MARK in xml or _TAB_MARK in xml:
            xml = xml.replace(_NEWLINE_MARK, "").replace(_TAB_MARK, "")
        prepared: PreparedPart
        try:
            if kind == "rels":
                rels = prepare_rels(xml)
                if rels is None:
                    return None
                prepared = PreparedPart(rels)
            else:
                if "{" not in xml:
                    return None
                prepared = prepare_part(xml)
        except PartError as exc:
            raise TemplateSyntaxError(
                exc.message,
                part=name,
                line=exc.paragraph or 1,
                column=exc.column or 1,
                origin=self.origin,
            ) from None
        if not prepared.tags and kind != "rels":
            return None
        source = prepared.source
        try:
            fragment = compile_fragment(
                source,
                part=name,
                origin=self.origin,
                finalize=_xml_finalize,
                # The XML around the tags is output too: a part may grow with its markup.
                max_output=max(MAX_OUTPUT, 8 * len(source)),
            )
        except TemplateSyntaxError as exc:
            raise self._at_tag(exc, source, prepared.tags) from None
        names.update(fragment.variables)
        for use in fragment.uses:
            tag = _tag_on_line(prepared.tags, source, use.line)
            self._uses.append(
                VariableUse(use.name, name, tag.paragraph if tag else use.line, use.has_fallback)
            )
        w = word_prefix(xml) if kind != "rels" else "w:"
        return _RenderedPart(
            name,
            fragment,
            expand=_marker_expander(w),
            fix_cells=_empty_cell_fixer(w) if prepared.fix_empty_cells else None,
        )

    def _at_tag(
        self, exc: TemplateSyntaxError, source: str, tags: list[TagInfo]
    ) -> TemplateSyntaxError:
        """``exc`` (a line and column of the joined Jinja source) told where the user sees it:
        the tag's paragraph and column in the document, and the tag itself."""
        tag = _tag_at(tags, _offset_of(source, exc.line, exc.column))
        if tag is None:
            return type(exc)(exc.reason, part=exc.part, line=1, column=1, origin=self.origin)
        return type(exc)(
            f"{exc.reason} (in {tag.text})",
            part=exc.part,
            line=tag.paragraph,
            column=tag.column,
            origin=self.origin,
        )

    # --- render ------------------------------------------------------------------------------

    def render(self, context: Mapping[str, Any], unresolved: list[str] | None = None) -> bytes:
        """The .docx for one contact.

        ``unresolved``, when given, receives the names the data did not provide. Raises
        :class:`TemplateRenderError` (sandbox violation, resource limit, bad operation).
        """
        sink: list[str] = [] if unresolved is None else unresolved
        entries: list[ZipEntry] = []
        for item in self._plan:
            if isinstance(item, ZipEntry):
                entries.append(item)
                continue
            out = item.fragment.render(context, sink)
            if _NEWLINE_MARK in out or _TAB_MARK in out:
                out = item.expand(out)
            if item.fix_cells is not None:
                out = item.fix_cells(out)
            entries.append(make_entry(item.name, out.encode("utf-8"), _LEVEL))
        return build_zip(entries)


def compile_docx(
    source: bytes, *, origin: str = "template.docx", creation_date: datetime | None = None
) -> DocxTemplate:
    """Compile a Word template (checked like every other part); its documents' properties are
    dated ``creation_date`` (a job's EML date), else now."""
    return DocxTemplate(source, creation_date=creation_date or datetime.now(UTC), origin=origin)


def _make_template(source: bytes, creation_date: datetime, origin: str) -> DocxTemplate:
    return DocxTemplate(source, creation_date=creation_date, origin=origin)


def _offset_of(source: str, line: int, column: int) -> int:
    offset = 0
    for _ in range(max(line, 1) - 1):
        found = source.find("\n", offset)
        if found < 0:
            return len(source)
        offset = found + 1
    return offset + max(column, 1) - 1


def _tag_on_line(tags: list[TagInfo], source: str, line: int) -> TagInfo | None:
    """The first tag on ``line`` of the Jinja source (else the last one before it)."""
    start = _offset_of(source, line, 1)
    end = source.find("\n", start)
    end = len(source) if end < 0 else end
    for tag in tags:
        if start <= tag.offset < end:
            return tag
    return _tag_at(tags, start)


def _tag_at(tags: list[TagInfo], offset: int) -> TagInfo | None:
    best = None
    for tag in tags:
        if tag.offset <= offset:
            best = tag
        else:
            break
    return best if best is not None else (tags[0] if tags else None)


def _marker_expander(w: str) -> Callable[[str], str]:
    text_re = re.compile(rf"<{re.escape(w)}t(?:\s[^>]*)?>[^<]*</{re.escape(w)}t>")
    restart = f'</{w}t><{w}{{}}/><{w}t xml:space="preserve">'
    newline = restart.format("br")
    tab = restart.format("tab")

    def fix(match: re.Match[str]) -> str:
        chunk = match.group(0)
        if _NEWLINE_MARK not in chunk and _TAB_MARK not in chunk:
            return chunk
        end = chunk.index(">") + 1
        head = chunk[:end]
        if "xml:space" not in head:
            head = head[:-1] + ' xml:space="preserve">'
        body = chunk[end:].replace(_NEWLINE_MARK, newline).replace(_TAB_MARK, tab)
        return head + body

    def expand(out: str) -> str:
        out = text_re.sub(fix, out)
        return out.replace(_NEWLINE_MARK, " ").replace(_TAB_MARK, " ")

    return expand


def _empty_cell_fixer(w: str) -> Callable[[str], str]:
    ew = re.escape(w)
    cell_re = re.compile(
        rf"(<{ew}tc(?:\s[^>]*)?>(?:<{ew}tcPr\b.*?</{ew}tcPr>|<{ew}tcPr/>)?)\s*(</{ew}tc>)"
    )
    empty_p = f"<{w}p/>"
    return lambda out: cell_re.sub(lambda m: m.group(1) + empty_p + m.group(2), out)


def _read_package(source: bytes, origin: str) -> dict[str, bytes]:
    def invalid(reason: str) -> TemplateError:
        return TemplateError(f"{origin}: {reason}", code="template.docx_invalid")

    try:
        archive = zipfile.ZipFile(BytesIO(source))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise invalid("not a .docx (zip) file") from exc
    files: dict[str, bytes] = {}
    total = 0
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_TEMPLATE_PARTS:
            raise invalid("too many parts")
        for info in infos:
            if info.is_dir() or info.filename in files:
                continue
            try:
                with archive.open(info) as handle:
                    data = handle.read(MAX_TEMPLATE_BYTES - total + 1)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
                raise invalid(f"cannot read {info.filename!r}") from exc
            total += len(data)
            if total > MAX_TEMPLATE_BYTES:
                raise invalid(f"larger than {MAX_TEMPLATE_BYTES // (1024 * 1024)} MiB unpacked")
            files[info.filename] = data
    if "[Content_Types].xml" not in files:
        raise invalid("not a .docx file ([Content_Types].xml is missing)")
    return files


def _relationships(files: Mapping[str, bytes], part: str) -> list[dict[str, str]]:
    folder, base = posixpath.split(part)
    data = files.get(posixpath.join(folder, "_rels", f"{base}.rels"))
    if data is None:
        return []
    out = []
    for tag in _REL_RE.findall(data.decode("utf-8", "replace")):
        attrs = {k: html.unescape(a or b) for k, a, b in _ATTR_RE.findall(tag)}
        target = attrs.get("Target", "")
        if attrs.get("TargetMode") != "External" and target:
            resolved = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            attrs["Resolved"] = posixpath.normpath(resolved)
        out.append(attrs)
    return out


def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{base}.rels")


def _templated_parts(files: Mapping[str, bytes], origin: str) -> dict[str, str]:
    """Parts to compile: ``{name: "xml" | "rels"}``."""
    main = next(
        (
            rel["Resolved"]
            for rel in _relationships(files, "")
            if rel.get("Type", "").endswith("/officeDocument") and "Resolved" in rel
        ),
        None,
    )
    if main is None or main not in files:
        raise TemplateError(
            f"{origin}: not a Word document (no main document part)", code="template.docx_invalid"
        )
    out = {main: "xml", _rels_name(main): "rels"}
    for rel in _relationships(files, main):
        if rel.get("Type", "").endswith(_TEMPLATED_REL_TYPES) and rel.get("Resolved") in files:
            out[rel["Resolved"]] = "xml"
            out[_rels_name(rel["Resolved"])] = "rels"
    return {name: kind for name, kind in out.items() if name in files}


def _set_core_dates(data: bytes, created: str) -> bytes:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data

    def replace(match: re.Match[str]) -> str:
        if match.group(1):
            return f"{match.group(1)}{created}{match.group(3)}"
        tag = match.group(4)
        return f'<dcterms:{tag} xsi:type="dcterms:W3CDTF">{created}</dcterms:{tag}>'

    return _CORE_DATE_RE.sub(replace, text).encode("utf-8")
