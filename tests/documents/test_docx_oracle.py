"""The hand-written DOCX writer checked against python-docx.

``DocxBuilder`` writes ``word/document.xml`` as strings (about 30x faster than python-docx,
``python benchmarks/run.py --only micro``). Its output opened with python-docx must show the
same paragraphs, styles, list levels, tables, runs (text, bold, italic, strike, character
style) and hyperlink targets as the same Markdown built with python-docx itself
(``benchmarks/references.py``, which the micro-benchmark times). With a brand's kit, also the
same default font, heading and link colors, header picture and footer lines.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
import pytest
from benchmarks.references import DocxKit, docx_with_python_docx
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph
from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.documents.formats import _docx_parts as parts
from brandloom.documents.formats.docx import DocxBuilder
from brandloom.documents.formats.registry import BrandLayout
from tests.oracle import ORACLE

BUILDER = DocxBuilder(creation_date=datetime(2026, 1, 1, tzinfo=UTC))

LETTER = """# Spring offer

Dear **Ana Souza**, thank you for being a *loyal* customer. Visit
[our **spring** shop](https://acme.test/spring?a=1&b=2) or [write to us](mailto:care@acme.test).

## What you get

- **20% off** everything, ~~no~~ *all* sizes
- Free shipping
  - even abroad
    - and to islands

  A second paragraph in the item.

1. Visit the shop
2. Enter code `SPRING` at checkout

> Quoted: *the best* shirts.
>
> Second quoted paragraph.

---

| Product | Price |
|---|--:|
| Shirt & tie | $48 |
| Socks <x> | $5 |

```
code <x> & y
  indented
```

Warm regards,\\
Maria ![logo](https://acme.test/logo.png)
"""

Run = tuple[str, bool, bool, bool, str | None, str | None]


def _kind(p: Paragraph) -> tuple[Any, ...]:
    """A paragraph's role, whichever way it is expressed (numbering or python-docx styles)."""
    name = p.style.name if p.style is not None else "Normal"
    ppr = p._p.pPr
    num = ppr.numPr if ppr is not None else None
    if num is not None and num.numId is not None:
        kind = "Bullet" if num.numId.val == parts.BULLET_NUM_ID else "Number"
        return ("list", kind, min(int(num.ilvl.val), 2))
    if name.startswith(("List Bullet", "List Number")):
        words = name.split()
        return ("list", words[1], int(words[2]) - 1 if len(words) > 2 else 0)
    if name == "List Paragraph":  # brandloom: a later paragraph of an item, indented per level
        ind = ppr.find(docx.oxml.ns.qn("w:ind")) if ppr is not None else None
        depth = int(ind.get(docx.oxml.ns.qn("w:left"))) // 720 if ind is not None else 1
        return ("list-continue", min(depth, 3) - 1)
    if name.startswith("List Continue"):
        words = name.split()
        return ("list-continue", int(words[2]) - 1 if len(words) > 2 else 0)
    return (name,)


def _runs(p: Paragraph) -> tuple[Run, ...]:
    runs: list[Run] = []
    for item in p.iter_inner_content():
        inner, link = (item.runs, item.address) if isinstance(item, Hyperlink) else ([item], None)
        for run in inner:
            style = run.style.name if run.style is not None else None
            style = None if style == "Default Paragraph Font" else style
            view = (run.text, bool(run.bold), bool(run.italic), bool(run.font.strike), style, link)
            if not view[0]:
                continue
            if runs and runs[-1][1:] == view[1:]:  # runs split differently, same formatting
                runs[-1] = (runs[-1][0] + view[0], *view[1:])
            else:
                runs.append(view)
    return tuple(runs)


def blocks(data: bytes) -> list[Any]:
    """The body as python-docx reads it: paragraphs (role, runs) and tables (cells)."""
    out: list[Any] = []
    for block in docx.Document(io.BytesIO(data)).iter_inner_content():
        if isinstance(block, Table):
            cells = [
                [(_kind(c.paragraphs[0]), _runs(c.paragraphs[0])) for c in r.cells]
                for r in block.rows
            ]
            out.append(("table", cells))
        else:
            out.append((_kind(block), _runs(block)))
    # brandloom ends a body that ends in a table (or is empty) with an empty paragraph, as
    # Word requires; python-docx's template does not.
    while out and out[-1] == (("Normal",), ()):
        out.pop()
    return out


def assert_same_as_python_docx(markdown: str) -> list[Any]:
    ours = blocks(BUILDER.render(markdown, lang="en-US", direction="ltr"))
    reference = blocks(docx_with_python_docx(markdown))
    assert ours == reference
    return ours


def test_letter_matches_python_docx() -> None:
    found = assert_same_as_python_docx(LETTER)
    roles = [b[0] for b in found if b[0] != "table"]
    assert ("Heading 1",) in roles and ("Heading 2",) in roles and ("Quote",) in roles
    assert ("list", "Bullet", 2) in roles and ("list", "Number", 0) in roles
    assert ("list-continue", 0) in roles and ("Source Code",) in roles
    assert any(b[0] == "table" for b in found)
    runs = [r for b in found if b[0] != "table" for r in b[1]]
    assert ("Ana Souza", True, False, False, None, None) in runs
    assert ("spring", True, False, False, "Hyperlink", "https://acme.test/spring?a=1&b=2") in runs
    assert ("no", False, False, True, None, None) in runs
    assert ("SPRING", False, False, False, "Verbatim Char", None) in runs


@pytest.mark.parametrize(
    "markdown",
    [
        "",
        "plain",
        "line one\\\nline two",
        "a  \nb",
        "***both*** and **bold _inner em_ bold**",
        "1. one\n   1. nested\n2. two",
        "- a\n\n  > quoted in a list\n- b",
        "> # heading in a quote",
        "| a |\n|---|\n| **b** |",
        'Ünïcödé 漢字 עברית & <tags> "quotes"',
        "[x](https://a.test/) [y](https://b.test/) [x again](https://a.test/)",
    ],
)
def test_edge_cases_match_python_docx(markdown: str) -> None:
    assert_same_as_python_docx(markdown)


# --- generated documents ----------------------------------------------------------------------

WORD = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")),
    min_size=1,
    max_size=8,
).filter(lambda w: w.strip() == w)


@st.composite
def inline(draw: st.DrawFn) -> str:
    pieces = []
    for _ in range(draw(st.integers(1, 6))):
        word = draw(WORD)
        mark = draw(st.sampled_from(["", "**", "*", "~~", "`", "link", "br"]))
        if mark == "link":
            pieces.append(f"[{word}](https://example.test/{draw(st.integers(0, 3))})")
        elif mark == "br":
            pieces.append(f"{word}\\\n")
        else:
            pieces.append(f"{mark}{word}{mark}")
    return " ".join(pieces).rstrip("\\\n")


@st.composite
def markdown(draw: st.DrawFn) -> str:
    out = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["p", "h", "ul", "ol", "quote", "code", "table", "hr"]))
        text = draw(inline())
        if kind == "h":
            out.append(f"{'#' * draw(st.integers(1, 6))} {text}")
        elif kind in ("ul", "ol"):
            items = [draw(inline()) for _ in range(draw(st.integers(1, 3)))]
            mark = "-" if kind == "ul" else "1."
            nested = "\n".join(f"   - {draw(inline())}" for _ in range(draw(st.integers(0, 2))))
            out.append(
                "\n".join(f"{mark} {item}" for item in items) + ("\n" + nested if nested else "")
            )
        elif kind == "quote":
            out.append(f"> {text}")
        elif kind == "code":
            out.append(f"```\n{text}\n```")
        elif kind == "table":
            out.append(f"| {draw(WORD)} | b |\n|---|---|\n| {text.replace('|', '')} | c |")
        elif kind == "hr":
            out.append("---")
        else:
            out.append(text)
    return "\n\n".join(out)


@settings(ORACLE, max_examples=60)
@given(markdown())
def test_generated_documents_match_python_docx(document: str) -> None:
    assert_same_as_python_docx(document)


# --- a brand's kit ----------------------------------------------------------------------------

LOGO = (Path(__file__).resolve().parents[2] / "benchmarks" / "logo.png").read_bytes()
KIT = BrandLayout(
    name="Acme & Sons",
    colors={"primary": "#0A6E5C", "link": "#E76F51"},
    font="Noto Sans",
    logo=LOGO,
    logo_media_type="image/png",
    address=("Acme & Sons Ltd", "1 Main Street <x>"),
    legal_footer=("Registered in England 0123456", "VAT GB123"),
)


def _reference_kit(kit: BrandLayout) -> DocxKit:
    # the header's logo box is 2.5 x 0.55 inch: a 360 x 120 logo is 0.55 inch high
    return DocxKit(
        font=kit.font,
        heading_color=kit.colors["primary"][1:],
        link_color=kit.colors["link"][1:],
        name=kit.name,
        logo_png=kit.logo,
        logo_size=(1_508_760, 502_920) if kit.logo else (0, 0),
        footer=("  \u00b7  ".join(kit.address), *kit.legal_footer),
    )


def kit_of(data: bytes) -> dict[str, Any]:
    """What a reader sees of the kit: the default font, heading and link colors, the header's
    pictures (type, bytes, size) and text, the footer's lines."""
    document = docx.Document(io.BytesIO(data))
    styles = document.styles
    font = styles["Normal"].font.name
    if font is None:  # brandloom sets it as the document default, python-docx on Normal
        [fonts] = styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:rFonts")
        font = fonts.get(docx.oxml.ns.qn("w:ascii"))
    section = document.sections[0]
    header = section.header
    pictures = [
        (
            header.part.related_parts[blip.get(docx.oxml.ns.qn("r:embed"))].content_type,
            header.part.related_parts[blip.get(docx.oxml.ns.qn("r:embed"))].blob,
        )
        for blip in header._element.xpath(".//a:blip")
    ]
    extents = [(int(e.get("cx")), int(e.get("cy"))) for e in header._element.xpath(".//wp:extent")]
    return {
        "font": font,
        "headings": {str(styles[f"Heading {n}"].font.color.rgb) for n in range(1, 7)},
        "link": str(styles["Hyperlink"].font.color.rgb),
        "pictures": pictures,
        "extents": extents,
        "header_text": [p.text for p in header.paragraphs if p.text],
        "footer": [p.text for p in section.footer.paragraphs],
    }


@pytest.mark.parametrize("markdown", [LETTER, "", "# Only a heading\n\n[a link](https://a.test/)"])
def test_a_branded_document_matches_python_docx(markdown: str) -> None:
    builder = DocxBuilder(creation_date=datetime(2026, 1, 1, tzinfo=UTC), brand=KIT)
    ours = builder.render(markdown, lang="en-US", direction="ltr")
    reference = docx_with_python_docx(markdown, _reference_kit(KIT))
    assert blocks(ours) == blocks(reference)  # the body is the unbranded one
    found = kit_of(ours)
    assert found == kit_of(reference)
    assert found["pictures"] == [("image/png", LOGO)]
    assert found["footer"] == ["Acme & Sons Ltd  ·  1 Main Street <x>", *KIT.legal_footer]


def test_a_brand_without_a_logo_names_itself_in_the_header() -> None:
    bare = BrandLayout(name="Acme & Sons", colors={"primary": "#0A6E5C", "link": "#E76F51"})
    builder = DocxBuilder(creation_date=datetime(2026, 1, 1, tzinfo=UTC), brand=bare)
    ours = kit_of(builder.render(LETTER, lang="en-US", direction="ltr"))
    reference = kit_of(
        docx_with_python_docx(
            LETTER,
            DocxKit(
                font=None, heading_color="0A6E5C", link_color="E76F51", name=bare.name,
                logo_png=None, logo_size=(0, 0), footer=(),
            ),
        )
    )  # fmt: skip
    # python-docx's default template declares its own theme font; ours is Calibri
    assert ours["font"] == "Calibri"
    ours["font"] = reference["font"]
    assert ours == reference
    assert ours["header_text"] == ["Acme & Sons"] and ours["footer"] == [""]
