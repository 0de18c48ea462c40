"""A brand's kit on the html, eml, pdf (from Markdown) and docx outputs (the spec's ``brand:``).

The writers are built as a job builds them (``FormatJob.brand``) and their bytes read back by
the tools a reader uses: an HTML parser, the standard library's ``email`` parser, pypdf and
python-docx. Without a brand every output is what it was before brands had layouts.
"""

from __future__ import annotations

import email
import io
import re
import zipfile
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import docx
import lxml.html
import pypdf
import pytest

from brandloom.documents.formats import get_format
from brandloom.documents.formats.eml import EmailSettings
from brandloom.documents.formats.html import HtmlFinisher
from brandloom.documents.formats.registry import BrandLayout, FormatInput, FormatJob
from brandloom.documents.pipeline import ContactData, RenderSettings

LOGO = (Path(__file__).resolve().parents[2] / "benchmarks" / "logo.png").read_bytes()
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40">'
    b'<rect width="120" height="40" rx="6" fill="#0A6E5C"/></svg>'
)
EVIL = "<script>alert(1)</script>"
BRAND = BrandLayout(
    name="Lumen & Loom",
    colors={"primary": "#0A6E5C", "link": "#E76F51", "text": "#1D1D1B"},
    font="Noto Sans",
    logo=LOGO,
    logo_media_type="image/png",
    address=("Lumen & Loom GmbH", "Torstraße 1", EVIL),
    legal_footer=("Amtsgericht Berlin HRB 12345", "VAT DE123456789"),
)
SETTINGS = RenderSettings(
    job_key="job",
    seed="1",
    default_locale="en-US",
    outputs=("html", "eml", "pdf", "docx"),
    email=EmailSettings(from_addr="news@lumen.example", from_name="Lumen & Loom"),
    email_domain="lumen.example",
    eml_date=datetime(2026, 5, 1, tzinfo=UTC),
    keep_parts=False,
    title="Autumn",
)
FRAGMENT = (
    "<h1>Hello Anna</h1><p>Your points: <b>2,450</b>. "
    '<a href="https://lumen.example/shop">Visit the shop</a> or '
    '<a style="color:#000000" href="https://lumen.example/help">ask us</a>.</p>'
)
LETTER = """2 November 2026

Dear Anna,

Thank you for being with us. Visit [the shop](https://lumen.example/shop).

## Your points

- 2,450 points
- Free shipping

Warm regards,\\
Ana Souza
"""


def write(
    fmt: str, brand: BrandLayout | None, parts: dict[str, str], locale: str = "en-US"
) -> bytes:
    writer = get_format(fmt).writer(FormatJob(settings=SETTINGS, brand=brand))
    contact = ContactData(
        row=1, key="anna", email="anna@example.com", locale=locale, consent="yes",
        attributes={"first_name": "Anna"},
    )  # fmt: skip
    data = writer.write(FormatInput(parts=parts, contact=contact, locale=locale, context={}))
    assert data is not None
    return data


def email_parts(html: str = FRAGMENT) -> dict[str, str]:
    return {"subject": "Autumn", "text": "Hello Anna", "html": html, "preheader": "Your points"}


def style_of(element: Any) -> str:
    return str(element.get("style") or "")


# --- html ----------------------------------------------------------------------------------------


def test_a_fragment_wears_the_brand_layout() -> None:
    page = write("html", BRAND, email_parts()).decode("utf-8")
    tree = lxml.html.document_fromstring(page)
    [logo] = tree.xpath("//img")
    assert logo.get("alt") == "Lumen & Loom"
    assert logo.get("src").startswith("data:image/png;base64,")
    assert (logo.get("width"), logo.get("height")) == ("168", "56")  # 360x120 in 200x56
    # 600 px centered, Outlook's conditional table too
    assert (
        "max-width:600px" in page and '<!--[if mso]><table role="presentation" width="600"' in page
    )
    [content] = [td for td in tree.xpath("//td") if "font-size:16px" in style_of(td)]
    assert "color:#1D1D1B" in style_of(content)
    assert "font-family:'Noto Sans', Helvetica, Arial, sans-serif" in style_of(content)
    links = {a.get("href"): style_of(a) for a in tree.xpath("//a")}
    assert "color:#E76F51" in links["https://lumen.example/shop"]
    assert links["https://lumen.example/help"] == "color:#000000"  # the author's own style
    assert "color:#0A6E5C" in style_of(tree.xpath("//h1")[0])
    assert "border-bottom:3px solid #0A6E5C" in page
    # the preheader still comes first in the body
    assert re.search(r"<body[^>]*><div style=\"display:none;[^>]*>Your points</div>", page)


def test_kit_text_is_escaped_in_the_footer() -> None:
    page = write("html", BRAND, email_parts()).decode("utf-8")
    assert EVIL not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    tree = lxml.html.document_fromstring(page)
    assert not tree.xpath("//script")
    footer = tree.xpath("//td[contains(@style, 'font-size:12px')]")[0].text_content()
    assert "Lumen & Loom GmbH · Torstraße 1 · <script>alert(1)</script>" in footer
    assert "Amtsgericht Berlin HRB 12345" in footer and "VAT DE123456789" in footer


def test_a_whole_document_is_the_authors_layout() -> None:
    page = "<!DOCTYPE html><html><head><title>x</title></head><body><p>Mine</p></body></html>"
    assert write("html", BRAND, email_parts(page)) == write("html", None, email_parts(page))


def test_a_fragment_with_its_own_style_keeps_its_link_rules() -> None:
    html = "<style>a { color: #123456; }</style><p><a href='https://x.test'>x</a></p>"
    page = write("html", BRAND, email_parts(html)).decode("utf-8")
    [link] = lxml.html.document_fromstring(page).xpath("//a")
    assert style_of(link) == "color: #123456;"  # its rule follows the layout's
    assert "@media (max-width:620px)" in page


def test_right_to_left_puts_the_logo_on_the_right() -> None:
    page = write("html", BRAND, email_parts(), locale="ar-SA").decode("utf-8")
    assert '<html lang="ar-SA" dir="rtl">' in page
    assert re.search(r'<td class="bl-pad" align="right"[^>]*><img ', page)
    # the kit's German lines keep their direction, at the right side
    assert '<td class="bl-pad" dir="ltr" align="right"' in page


def test_without_a_logo_the_name_stands_in_the_header() -> None:
    bare = BrandLayout(name="Lumen & Loom", colors={"primary": "#0A6E5C"})
    page = write("html", bare, email_parts()).decode("utf-8")
    assert "<img" not in page
    assert re.search(r'<span dir="ltr" style="[^"]*color:#0A6E5C;">Lumen &amp; Loom</span>', page)
    # no link color in the kit: links take the primary one
    assert '<a style="color:#0A6E5C;' in page
    assert "font-size:12px" not in page  # no address, no legal lines: no footer


def test_an_svg_logo_is_sent_as_a_png_drawn_from_it() -> None:
    svg_brand = BrandLayout(name="Lumen", logo=SVG, logo_media_type="image/svg+xml")
    [logo] = lxml.html.document_fromstring(write("html", svg_brand, email_parts())).xpath("//img")
    assert logo.get("src").startswith("data:image/png;base64,")
    assert (logo.get("width"), logo.get("height")) == ("168", "56")  # the SVG's 3:1 viewBox


def test_bad_colors_in_a_layout_fall_back_to_the_defaults() -> None:
    odd = BrandLayout(name="x", colors={"primary": 'red" onload="alert(1)', "link": "#GGGGGG"})
    page = write("html", odd, email_parts()).decode("utf-8")
    assert "onload" not in page and "#GGGGGG" not in page
    assert "border-bottom:3px solid #1F3763" in page and '<a style="color:#0B57D0;' in page


# --- eml -----------------------------------------------------------------------------------------


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_the_logo_travels_as_a_related_part_the_html_references() -> None:
    data = write("eml", BRAND, email_parts())
    message = parse(data)
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png",
    ]  # fmt: skip
    assert all(not p.defects for p in message.walk())
    html_part = message.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    [image] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert image.get_content() == LOGO
    assert image.get_content_disposition() == "inline"
    cid = str(image["Content-ID"]).strip("<>")
    [src] = lxml.html.document_fromstring(html).xpath("//img/@src")
    assert src == f"cid:{cid}"
    assert "data:" not in html  # the standalone page's data: URI is not sent
    assert write("eml", BRAND, email_parts()) == data  # byte-identical on a rerun


def test_html_and_eml_each_reach_the_logo_their_way_in_one_document() -> None:
    job = FormatJob(settings=SETTINGS, brand=BRAND)
    contact = ContactData(row=1, key="k", email="k@example.com", locale="en", consent="yes",
                          attributes={})  # fmt: skip
    doc = FormatInput(parts=email_parts(), contact=contact, locale="en", context={})
    page = get_format("html").writer(job).write(doc)
    message = get_format("eml").writer(job).write(doc)
    assert page is not None and message is not None
    assert b'src="data:image/png;base64,' in page
    html_part = parse(message).get_body(("html",))
    assert html_part is not None and 'src="cid:logo-' in html_part.get_content()


def test_an_authors_whole_document_sends_no_logo_part() -> None:
    page = "<!DOCTYPE html><html><head></head><body><p>Mine</p></body></html>"
    message = parse(write("eml", BRAND, email_parts(page)))
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/alternative", "text/plain", "text/html",
    ]  # fmt: skip


# --- pdf -----------------------------------------------------------------------------------------


def pdf_text(reader: pypdf.PdfReader) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_a_branded_pdf_is_a_letter_with_letterhead_and_footer_on_every_page() -> None:
    long_letter = LETTER + "\n\n" + "\n\n".join(["A paragraph of the letter, " * 30] * 12)
    reader = pypdf.PdfReader(io.BytesIO(write("pdf", BRAND, {"markdown": long_letter})))
    assert len(reader.pages) >= 2
    for page, text in zip(reader.pages, pdf_text(reader), strict=True):
        assert "Lumen & Loom GmbH · Torstraße 1 · <script>alert(1)</script>" in text
        assert "Amtsgericht Berlin HRB 12345" in text and "VAT DE123456789" in text
        assert len(page.images.keys()) == 1  # the logo, on every page
    assert "Dear Anna," in pdf_text(reader)[0]


def test_a_branded_pdf_uses_the_kit_font_and_colors() -> None:
    data = write("pdf", BRAND, {"markdown": LETTER})
    reader = pypdf.PdfReader(io.BytesIO(data))
    fonts = {
        str(font.get_object()["/BaseFont"])
        for font in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert any("NotoSans" in name for name in fonts)
    content = reader.pages[0].get_contents()
    assert content is not None
    colors = {
        "#{:02X}{:02X}{:02X}".format(*(round(float(c) * 255) for c in found.split()))
        for found in re.findall(rb"([\d.]+ [\d.]+ [\d.]+) (?:scn|SCN)\b", content.get_data())
    }
    # the rule and the heading in the primary color, the link in the link color, the text
    assert {"#0A6E5C", "#E76F51", "#1D1D1B"} <= colors


def test_without_a_logo_the_pdf_letterhead_prints_the_name() -> None:
    bare = BrandLayout(name="Lumen & Loom", colors={"primary": "#0A6E5C"})
    reader = pypdf.PdfReader(io.BytesIO(write("pdf", bare, {"markdown": LETTER})))
    text = pdf_text(reader)[0]
    assert text.startswith("Lumen & Loom")
    assert not reader.pages[0].images.keys()


def test_a_logo_typst_cannot_draw_leaves_the_name_in_the_letterhead() -> None:
    sizeless = b'<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"><rect/></svg>'
    odd = BrandLayout(name="Lumen & Loom", logo=sizeless, logo_media_type="image/svg+xml")
    reader = pypdf.PdfReader(io.BytesIO(write("pdf", odd, {"markdown": LETTER})))
    assert pdf_text(reader)[0].startswith("Lumen & Loom")
    # e-mail gets the SVG itself (no PNG could be drawn from it), Word the name
    [logo] = lxml.html.document_fromstring(write("html", odd, email_parts())).xpath("//img")
    assert logo.get("src").startswith("data:image/svg+xml;base64,")
    header = docx.Document(io.BytesIO(write("docx", odd, {"markdown": LETTER}))).sections[0].header
    assert [p.text for p in header.paragraphs] == ["Lumen & Loom"]


def test_the_typst_part_is_its_authors_layout() -> None:
    part = "\ufdd0Dear\ufdd1 Anna"  # a slotted typst part: one value
    assert write("pdf", BRAND, {"typst": part}) == write("pdf", None, {"typst": part})


def test_branded_pdfs_are_byte_identical_on_a_rerun() -> None:
    assert write("pdf", BRAND, {"markdown": LETTER}) == write("pdf", BRAND, {"markdown": LETTER})


# --- docx ----------------------------------------------------------------------------------------


def test_a_branded_docx_has_the_logo_in_its_header_and_the_lines_in_its_footer() -> None:
    data = write("docx", BRAND, {"markdown": LETTER})
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    images = [p for p in section.header.part.related_parts.values()]
    assert [(p.content_type, p.blob) for p in images] == [("image/png", LOGO)]
    [descr] = section.header._element.xpath(".//wp:docPr/@descr")
    assert descr == "Lumen & Loom"
    assert [p.text for p in section.footer.paragraphs] == [
        "Lumen & Loom GmbH  ·  Torstraße 1  ·  <script>alert(1)</script>",
        "Amtsgericht Berlin HRB 12345",
        "VAT DE123456789",
    ]
    styles = document.styles
    assert str(styles["Heading 2"].font.color.rgb) == "0A6E5C"
    assert str(styles["Hyperlink"].font.color.rgb) == "E76F51"
    fonts = styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:rFonts")[0]
    assert fonts.get(docx.oxml.ns.qn("w:ascii")) == "Noto Sans"
    assert [p.text for p in document.paragraphs][:2] == ["2 November 2026", "Dear Anna,"]


def test_an_svg_logo_in_docx_comes_with_its_png_fallback() -> None:
    svg_brand = BrandLayout(name="Lumen", logo=SVG, logo_media_type="image/svg+xml")
    data = write("docx", svg_brand, {"markdown": LETTER})
    header = docx.Document(io.BytesIO(data)).sections[0].header
    types = sorted(p.content_type for p in header.part.related_parts.values())
    assert types == ["image/png", "image/svg+xml"]
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/header1.xml").decode()
    assert 'r:embed="rIdLogo"' in xml and "asvg:svgBlip" in xml and 'r:embed="rIdLogoSvg"' in xml


def test_a_right_to_left_docx_puts_header_and_footer_at_the_right() -> None:
    data = write("docx", BRAND, {"markdown": "مرحبا"}, locale="ar-SA")
    files = zipfile.ZipFile(io.BytesIO(data))
    assert "<w:bidi/>" in files.read("word/header1.xml").decode()
    footer = files.read("word/footer1.xml").decode()
    # the German address keeps its own direction, at the right side of the page
    assert '<w:jc w:val="right"/>' in footer and "<w:rtl/>" not in footer


def test_branded_docx_are_byte_identical_on_a_rerun() -> None:
    assert write("docx", BRAND, {"markdown": LETTER}) == write("docx", BRAND, {"markdown": LETTER})


# --- no brand -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "eml", "pdf", "docx"])
def test_without_a_brand_outputs_are_as_before(fmt: str) -> None:
    """An unbranded job's writer is the one brands found: no layout, no logo part, no header."""
    parts = {**email_parts(), "markdown": LETTER}
    data = write(fmt, None, parts)
    if fmt == "html":
        assert data.decode() == HtmlFinisher().finish(
            FRAGMENT, preheader="Your points", lang="en-US", direction="ltr"
        )
    elif fmt == "eml":
        assert b"multipart/related" not in data and b"Content-ID" not in data
    elif fmt == "pdf":
        reader = pypdf.PdfReader(io.BytesIO(data))
        assert not reader.pages[0].images.keys()
        assert "Amtsgericht" not in pdf_text(reader)[0]
    else:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        assert not any("header" in n or "footer" in n or "media" in n for n in names)
