"""The same documents built with the libraries brandloom's hand-written hot paths replace.

``benchmarks/micro.py`` times these against brandloom's builders, and the oracle tests
(``tests/documents/test_eml_oracle.py``, ``tests/documents/test_docx_oracle.py``) check that
both produce the same content, so the figures compare equal work:

* :func:`eml_with_email_package`: the message :func:`brandloom.documents.formats.eml.build_eml`
  builds, made with the standard library's ``email.message.EmailMessage`` (a brand's logo as
  ``add_related`` on the HTML alternative);
* :func:`docx_with_python_docx`: the document ``DocxBuilder.render`` makes from Markdown, made
  with python-docx from the same markdown-it tokens (idiomatic python-docx: its default
  template, ``List Bullet``/``List Number`` styles, hyperlinks as relationship + runs; a brand's
  kit as the Normal style's font, heading and hyperlink colors, a picture in the section's
  header and paragraphs in its footer).

Number formatting needs no reference here: its oracle is ``babel.numbers`` itself.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, RGBColor
from docx.text.paragraph import Paragraph
from markdown_it import MarkdownIt
from markdown_it.token import Token

# --- e-mail -------------------------------------------------------------------------------


def eml_with_email_package(
    *,
    from_addr: str,
    from_name: str | None,
    to_addr: str,
    to_name: str | None,
    subject: str,
    text: str,
    html: str | None,
    message_id: str,
    date: datetime,
    reply_to: str | None = None,
    unsubscribe_url: str | None = None,
    unsubscribe_mailto: str | None = None,
    related: Sequence[tuple[bytes, str, str, str]] = (),
) -> bytes:
    """The message ``build_eml`` makes for the same arguments, built with ``EmailMessage``
    (SMTP policy: CRLF line endings, RFC 2047 for non-ASCII headers). ``related``: images the
    HTML shows, as (bytes, media type, Content-ID, file name)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(from_name or "", addr_spec=from_addr)
    msg["To"] = Address(to_name or "", addr_spec=to_addr)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["MIME-Version"] = "1.0"
    targets = [f"<{unsubscribe_url}>"] if unsubscribe_url else []
    if unsubscribe_mailto:
        targets.append(f"<mailto:{unsubscribe_mailto}>")
    if targets:
        msg["List-Unsubscribe"] = ", ".join(targets)
    if unsubscribe_url and unsubscribe_url.startswith("https://"):
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text, charset="utf-8")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8")
        html_part = msg.get_payload()[1]
        for data, media_type, cid, filename in related:
            maintype, subtype = media_type.split("/")
            html_part.add_related(
                data, maintype, subtype, cid=cid, disposition="inline", filename=filename
            )
    return msg.as_bytes()


# --- DOCX -----------------------------------------------------------------------------------

#: Styles python-docx's default template lacks; brandloom's builder defines them.
EXTRA_PARAGRAPH_STYLES = ("Source Code", "Table Text")
EXTRA_CHARACTER_STYLES = ("Verbatim Char", "Hyperlink")


def _md() -> MarkdownIt:
    # The parser DocxBuilder uses (documents/formats/docx.py, _md_parser).
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


@dataclass(frozen=True)
class DocxKit:
    """What a brand's kit puts into a .docx: the default font, heading and link colors
    (``RRGGBB``), a header picture (PNG bytes and its size in EMU) or the brand's name, and
    the footer's lines."""

    font: str | None
    heading_color: str
    link_color: str
    name: str
    logo_png: bytes | None
    logo_size: tuple[int, int]
    footer: tuple[str, ...]


class _Writer:
    """markdown-it tokens -> python-docx calls."""

    def __init__(self, kit: DocxKit | None = None) -> None:
        self.doc = docx.Document()
        styles = self.doc.styles
        for name in EXTRA_PARAGRAPH_STYLES:
            styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        for name in EXTRA_CHARACTER_STYLES:
            styles.add_style(name, WD_STYLE_TYPE.CHARACTER)
        if kit is not None:
            self._brand(kit)
        self.lists: list[str] = []  # "Bullet" | "Number" per open list
        self.first_in_item: list[bool] = []
        self.quote = 0

    def write(self, tokens: Sequence[Token]) -> bytes:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if kind == "paragraph_open":
                i += 1
                self._paragraph(tokens[i], self._style())
            elif kind == "heading_open":
                i += 1
                self._paragraph(tokens[i], f"Heading {min(int(token.tag[1:]), 6)}")
            elif kind == "bullet_list_open":
                self.lists.append("Bullet")
            elif kind == "ordered_list_open":
                self.lists.append("Number")
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
            elif kind == "list_item_open":
                self.first_in_item.append(True)
            elif kind == "list_item_close":
                self.first_in_item.pop()
            elif kind == "blockquote_open":
                self.quote += 1
            elif kind == "blockquote_close":
                self.quote -= 1
            elif kind == "hr":
                self.doc.add_paragraph()
            elif kind in ("fence", "code_block"):
                lines = token.content.rstrip("\n").replace("\t", "    ")
                self.doc.add_paragraph(style="Source Code").add_run(lines)
            elif kind == "table_open":
                i = self._table(tokens, i)
            i += 1
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()

    def _brand(self, kit: DocxKit) -> None:
        styles = self.doc.styles
        if kit.font is not None:
            styles["Normal"].font.name = kit.font
        for level in range(1, 7):
            name = f"Heading {level}"
            if name not in [s.name for s in styles]:
                styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            styles[name].font.color.rgb = RGBColor.from_string(kit.heading_color)
        styles["Hyperlink"].font.color.rgb = RGBColor.from_string(kit.link_color)
        section = self.doc.sections[0]
        head = section.header.paragraphs[0]
        if kit.logo_png is not None:
            width, height = kit.logo_size
            head.add_run().add_picture(io.BytesIO(kit.logo_png), Emu(width), Emu(height))
        else:
            head.add_run(kit.name).bold = True
        foot = section.footer.paragraphs[0]
        for index, line in enumerate(kit.footer):
            paragraph = foot if index == 0 else section.footer.add_paragraph()
            paragraph.add_run(line)

    def _style(self) -> str | None:
        if self.lists:
            depth = min(len(self.lists), 3)
            suffix = "" if depth == 1 else f" {depth}"
            if self.first_in_item and self.first_in_item[-1]:
                self.first_in_item[-1] = False
                return f"List {self.lists[-1]}{suffix}"
            return f"List Continue{suffix}"
        return "Quote" if self.quote else None

    def _paragraph(self, inline: Token, style: str | None, *, bold: bool = False) -> None:
        self._runs(self.doc.add_paragraph(style=style), inline.children or (), bold=bold)

    def _table(self, tokens: Sequence[Token], i: int) -> int:
        rows: list[tuple[bool, list[Token]]] = []
        header = False
        cells: list[Token] = []
        i += 1
        while tokens[i].type != "table_close":
            kind = tokens[i].type
            if kind in ("thead_open", "thead_close"):
                header = kind == "thead_open"
            elif kind == "tr_open":
                cells = []
            elif kind == "tr_close":
                rows.append((header, cells))
            elif kind == "inline":
                cells.append(tokens[i])
            i += 1
        columns = max((len(c) for _, c in rows), default=0)
        if columns:
            table = self.doc.add_table(rows=len(rows), cols=columns)
            table.style = "Table Grid"
            for r, (is_header, row) in enumerate(rows):
                for c in range(columns):
                    paragraph = table.cell(r, c).paragraphs[0]
                    paragraph.style = "Table Text"
                    if c < len(row):
                        self._runs(paragraph, row[c].children or (), bold=is_header)
        return i

    def _runs(self, paragraph: Paragraph, children: Sequence[Token], *, bold: bool) -> None:
        strong, em, strike = int(bold), 0, 0
        link: OxmlElement | None = None
        for child in children:
            kind = child.type
            if kind in ("text", "softbreak", "image", "html_inline"):
                text = " " if kind == "softbreak" else child.content
                if text:
                    self._run(paragraph, link, text, strong, em, strike, None)
            elif kind == "code_inline":
                self._run(paragraph, link, child.content, strong, em, strike, "Verbatim Char")
            elif kind == "hardbreak":
                paragraph.add_run().add_break()
            elif kind in ("strong_open", "strong_close"):
                strong += 1 if kind == "strong_open" else -1
            elif kind in ("em_open", "em_close"):
                em += 1 if kind == "em_open" else -1
            elif kind in ("s_open", "s_close"):
                strike += 1 if kind == "s_open" else -1
            elif kind == "link_open":
                href = str(child.attrGet("href") or "")
                if href and not href.startswith("#"):
                    rel = paragraph.part.relate_to(href, RELATIONSHIP_TYPE.HYPERLINK, True)
                    link = OxmlElement("w:hyperlink")
                    link.set(qn("r:id"), rel)
                    paragraph._p.append(link)
            elif kind == "link_close":
                link = None

    @staticmethod
    def _run(
        paragraph: Paragraph,
        link: OxmlElement | None,
        text: str,
        strong: int,
        em: int,
        strike: int,
        style: str | None,
    ) -> None:
        run = paragraph.add_run(text, style="Hyperlink" if link is not None else style)
        run.bold = True if strong > 0 else None
        run.italic = True if em > 0 else None
        if strike > 0:
            run.font.strike = True
        if link is not None:
            link.append(run._r)  # moved from the paragraph into the hyperlink


def docx_with_python_docx(markdown: str, kit: DocxKit | None = None) -> bytes:
    """The .docx ``DocxBuilder.render`` makes for ``markdown`` (with a brand's ``kit``), built
    with python-docx."""
    return _Writer(kit).write(_md().parse(markdown))
