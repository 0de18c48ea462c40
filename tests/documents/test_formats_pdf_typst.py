"""PDF from a ``typst`` template part: contact data stays data, paths compile once, images
come only from the template's assets, and a job runs it end to end."""

from __future__ import annotations

import io
import json
import re
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker

from brandloom.cli.generate import generate, validate
from brandloom.cli.specfile import read_spec_file
from brandloom.documents.formats.pdf_layout import LayoutError, LayoutRenderer
from brandloom.documents.pipeline import ContactData, JobRenderer, RenderSettings
from brandloom.documents.qa import QAConfig
from brandloom.errors import BrandloomError, ValidationFailed
from brandloom.templates.assets import check_assets
from brandloom.templates.engine import (
    CompiledTemplate,
    TemplateSource,
    TemplateSyntaxError,
    compile_template,
)
from brandloom.templates.slots import OPEN
from tests.factories import write_csv

pypdf = pytest.importorskip("pypdf")

DATE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def png(width: int, height: int, rgb: tuple[int, int, int] = (11, 87, 208)) -> bytes:
    """A solid PNG (no imaging library needed)."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


LOGO = png(120, 40)


@pytest.fixture(scope="module")
def renderer() -> LayoutRenderer:
    return LayoutRenderer(creation_date=DATE, title="Statement", assets={"logo.png": LOGO})


def layout(source: str) -> CompiledTemplate:
    return compile_template(TemplateSource({"typst": source}, "jinja", {"typst": "letter.typ"}))


def render(
    renderer: LayoutRenderer, template: CompiledTemplate, doc_id: str = "d", **context: Any
) -> bytes:
    text = template.render({"locale": "en-US", **context}).parts["typst"]
    return renderer.render(text, lang="en-US", direction="ltr", doc_id=doc_id)


def reader(pdf: bytes) -> Any:
    return pypdf.PdfReader(io.BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in reader(pdf).pages)


def images_of(page: Any) -> list[tuple[int, int]]:
    """(width, height) of each image XObject a page draws."""
    xobjects = page["/Resources"].get("/XObject", {})
    found = [x.get_object() for x in xobjects.values()]
    return [(int(x["/Width"]), int(x["/Height"])) for x in found if x["/Subtype"] == "/Image"]


# -- contact data is printed, never evaluated -----------------------------------------------------

INJECTIONS = [
    "#sys.exit()",
    "*bold*",
    "_x_",
    "$x$",
    "@ref",
    "<label>",
    "\\",
    "]",
    '#read("/etc/hostname")',
    '#import "@preview/cetz:0.3.4": *',
    "#import",
    "`tick` ```block```",
    '"quoted"',
    "a -- b",
    "a --- b",
    "...",
    "it's 'single'",
    "~",
    "#{ 1 + 1 }",
    "}) ] )",
    "// comment",
    "/* c */",
    "= not a heading",
    "- not a list",
    "\\u{41}",
    "<b>x</b> &amp;",
    "{{ 7*7 }} {% if true %}",
    "https://example.com/?a=1#x",
    "#let x = 1;",
    "Ünïcödé — “curly” ‘q’ – …",
]
POSITIONS = {
    "markup": "START {{ v }} STOP",
    "content block": "#box[START {{ v }} STOP]",
    "code": '#text(fill: blue, "START " + {{ v }} + " STOP")',
    "strong": "START *{{ v }}* STOP",
    "heading": "= START {{ v }} STOP",
    "table cell": "#table(columns: 1, [START {{ v }} STOP])",
    "page footer": "#set page(footer: [START {{ v }} STOP])\nBody",
}


@pytest.mark.parametrize("position", list(POSITIONS))
def test_every_value_prints_character_for_character(
    renderer: LayoutRenderer, position: str
) -> None:
    template = layout("#set page(width: 30cm, height: auto, margin: 1cm)\n" + POSITIONS[position])
    for value in INJECTIONS:
        text = text_of(render(renderer, template, v=value))
        found = re.search(r"START (.*) STOP", text, re.S)
        # exactly the input: no markup, no smart quotes, no -- or ... shorthands, nothing read
        assert found is not None and found.group(1) == value, (position, value, text)


def test_contact_data_never_names_a_file(renderer: LayoutRenderer) -> None:
    template = layout("Photo: {{ photo }}\n\n#box[{{ other }}]")
    pdf = render(renderer, template, photo="logo.png", other='#image("logo.png")')
    assert images_of(reader(pdf).pages[0]) == []
    assert "Photo: logo.png" in text_of(pdf) and '#image("logo.png")' in text_of(pdf)
    with pytest.raises(LayoutError, match="contact data never names a file"):
        render(renderer, layout("#image({{ photo }})"), photo="logo.png")


# -- a branded layout ------------------------------------------------------------------------------

STATEMENT = """\
#set page(
  margin: (top: 3.2cm, rest: 2cm),
  header: grid(columns: (auto, 1fr), align: (left + horizon, right + horizon),
    image("logo.png", width: 3cm), text(size: 9pt)[Northwind Outfitters · Account statement]),
  footer: context align(center, text(size: 8pt)[{{ key }} · Page #counter(page).display()]),
)
= Statement for {{ first_name }} {{ last_name }}

{% if tier == "gold" %}#text(fill: rgb("#b8860b"))[*Gold member*] since {{ since }}.
{% else %}Member since {{ since }}.{% endif %}

#columns(2)[
  Account: {{ key }}
  #colbreak()
  Balance: *{{ balance | currency("EUR") }}*
]

#table(
  columns: (1fr, auto),
  table.header([*Item*], [*Amount*]),
{% for row in rows %}  [{{ row.item }}], [{{ row.amount | currency("EUR") }}],
{% endfor %})
"""


def test_letterhead_logo_columns_and_table(renderer: LayoutRenderer) -> None:
    rows = [{"item": f"Order {i} · Jacket", "amount": 10 + i} for i in range(70)]
    pdf = render(
        renderer,
        layout(STATEMENT),
        first_name="Ann",
        last_name='"Ada" O’Brien',
        tier="gold",
        since="2019",
        key="C-0042",
        balance=1234.5,
        rows=rows,
    )
    pages = reader(pdf).pages
    assert len(pages) >= 2
    for page in pages:  # the letterhead, logo included, is on every page
        assert images_of(page) == [(120, 40)]
        assert "Northwind Outfitters · Account statement" in page.extract_text()
    first = pages[0].extract_text()
    for piece in (
        'Statement for Ann "Ada" O’Brien',
        "Gold member since 2019.",
        "Account: C-0042",
        "Balance: €1,234.50",
        "Item Amount",
        "Order 0 · Jacket €10.00",
    ):
        assert piece in first, (piece, first)
    assert "Order 69 · Jacket €79.00" in pages[-1].extract_text()
    assert "C-0042 · Page 2" in pages[1].extract_text()  # a value in the footer


# -- paths: one Typst source per distinct control-flow path ---------------------------------------


def test_each_path_compiles_once_and_a_thousand_contacts_share_one() -> None:
    fresh = LayoutRenderer(creation_date=DATE, assets={"logo.png": LOGO})
    template = layout(
        '#image("logo.png", width: 2cm)\n'
        "{% if vip %}*VIP* {% endif %}Dear {{ name }}, you have {{ points }} points."
    )
    first = render(fresh, template, name="Ann", points=1, vip=True)
    for i in range(1000):
        pdf = render(fresh, template, doc_id=str(i), name=f"Name {i}", points=i, vip=False)
    assert fresh.sources_built == 2  # the VIP path and the other one
    assert "Dear Name 999, you have 999 points." in text_of(pdf)
    assert "VIP Dear Ann, you have 1 points." in text_of(first)
    fresh.close()


def test_a_loop_length_is_part_of_the_path() -> None:
    fresh = LayoutRenderer(creation_date=DATE)
    template = layout("{% for x in xs %}item {{ x }}; {% endfor %}")
    for xs in (["a"], ["b"], ["a", "b"], ["c", "d"], [], ["e", "f", "g"]):
        text = text_of(render(fresh, template, xs=xs))
        assert all(f"item {x};" in text for x in xs), (xs, text)
    assert fresh.sources_built == 4  # lengths 1, 2, 0 and 3
    fresh.close()


def test_output_is_byte_identical_and_its_id_follows_the_document(
    renderer: LayoutRenderer,
) -> None:
    template = layout("Dear {{ name }}")
    first = render(renderer, template, "doc-1", name="Ann")
    render(renderer, template, "doc-2", name="Bob")
    assert render(renderer, template, "doc-1", name="Ann") == first
    again = LayoutRenderer(creation_date=DATE, title="Statement", assets={"logo.png": LOGO})
    assert render(again, template, "doc-1", name="Ann") == first
    other = render(renderer, template, "doc-3", name="Ann")
    assert other != first and len(other) == len(first)
    info = reader(first).metadata
    assert info["/Title"] == "Statement" and info["/CreationDate"].startswith("D:20260301090000")


# -- files: only the template's assets -------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('#image("/etc/passwd")', "file not found (searched at etc/passwd)"),
        ('#image("../../../../etc/passwd")', "would escape the project root"),
        ('#box(image("/" + "etc/hostname"))', "file not found"),
        ('#let f = "/etc/hostname"\n#image(f)', "file not found"),
        ('#image("seal.svg")', "absolute paths are not allowed"),
        ('#import "@preview/cetz:0.3.4": *', "`import` is not allowed"),
    ],
)
def test_paths_outside_the_assets_fail_cleanly(source: str, message: str) -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
        b'<image href="file:///etc/hostname" width="9" height="9"/></svg>'
    )
    fresh = LayoutRenderer(creation_date=DATE, assets={"logo.png": LOGO, "seal.svg": svg})
    with pytest.raises(LayoutError) as info:
        render(fresh, layout("Hello {{ name }}\n" + source), name="Ann")
    error = info.value
    assert not error.known_path
    assert error.message.startswith("typst part: ") and message in error.message
    assert "brandloom-layout" not in error.message and "/tmp" not in error.message
    fresh.close()


def test_assets_are_image_files_with_plain_names() -> None:
    assert check_assets({"logo.png": LOGO}) == {"logo.png": LOGO}
    for name, data, reason in [
        ("../logo.png", LOGO, "is not an image file name"),
        ("logo.exe", LOGO, "is not an image file name"),
        (".hidden.png", LOGO, "is not an image file name"),
        ("logo.jpg", LOGO, "is not a JPG image"),
        ("logo.png", b"#import", "is not a PNG image"),
        ("big.png", LOGO + b"\x00" * (2 * 1024 * 1024), "is larger than"),
    ]:
        with pytest.raises(ValidationFailed, match=re.escape(reason)):
            check_assets({name: data})


# -- errors ----------------------------------------------------------------------------------------


def test_a_typst_error_names_the_part_and_the_line(renderer: LayoutRenderer) -> None:
    template = layout("= Hello {{ name }}\n\n#table(columns: 2, [{{ city }}]\n")
    with pytest.raises(LayoutError) as info:
        render(renderer, template, name="Ann", city="Oslo")
    assert not info.value.known_path
    assert info.value.message == (
        "typst part: unclosed delimiter (line 3 of the rendered layout: "
        "`#table(columns: 2, [{{…}}]`)"
    )


def test_values_that_break_a_working_path_fail_that_document_only(
    renderer: LayoutRenderer,
) -> None:
    template = layout("Points: #int({{ points }})")
    assert "Points: 7" in text_of(render(renderer, template, points="7"))
    with pytest.raises(LayoutError) as info:
        render(renderer, template, points="seven")
    assert info.value.known_path


def test_jinja_syntax_errors_name_the_file_and_line() -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        layout("= Hello\n\n{% if vip %}VIP{% endif %} {{ name }\n")
    assert info.value.message.startswith("typst (letter.typ) line 3, column 36: unexpected '}'")


# -- the pdf format: which part a document is made from -------------------------------------------


def _job(parts: dict[str, str], **assets: bytes) -> JobRenderer:
    return JobRenderer(
        templates={None: compile_template(TemplateSource(parts))},
        weights=[],
        qa=QAConfig(),
        assets=assets,
        settings=RenderSettings(
            job_key="job",
            seed="1",
            default_locale="en-US",
            outputs=("pdf",),
            email=None,
            email_domain="example.com",
            eml_date=DATE,
            keep_parts=False,
        ),
    )


def _pdf_text(job: JobRenderer, **attributes: Any) -> str:
    result = job.render_chunk([ContactData(1, "ann", None, "en-US", "granted", attributes)])
    return text_of(result.documents[0].files["pdf"][1])


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (
            {
                "typst": "From typst {{ n }}",
                "pdf": "From pdf",
                "markdown": "From md",
                "html": "<p>x</p>",
            },
            "From typst 1",
        ),
        ({"pdf": "From pdf", "markdown": "From md", "html": "<p>From html</p>"}, "From pdf"),
        ({"markdown": "From md", "html": "<p>From html</p>"}, "From md"),
        ({"html": "<p>From html {{ n }}</p>"}, "From html 1"),
    ],
)
def test_typst_then_pdf_then_markdown_then_html(parts: dict[str, str], expected: str) -> None:
    assert _pdf_text(_job(parts), n=1).strip() == expected


def test_in_a_job_a_broken_layout_stops_and_a_broken_value_fails_one_document() -> None:
    job = _job({"typst": '#image("logo.png", width: 1cm) #int({{ n }})'}, **{"logo.png": LOGO})
    good = ContactData(1, "a", None, "en-US", "granted", {"n": "4"})
    bad = ContactData(2, "b", None, "en-US", "granted", {"n": "four"})
    result = job.render_chunk([good, bad])
    assert [o.qa_status for o in result.outcomes] == ["pass", "fail"]
    assert result.outcomes[1].qa_issues[0]["code"] == "pdf.layout_error"
    assert [d.key for d in result.documents] == ["a"]
    with pytest.raises(LayoutError, match="typst part: file not found"):
        _job({"typst": '#image("logo.png")'}).render_chunk([good])


# -- a real job from a spec ------------------------------------------------------------------------

LETTER = """\
#set page(header: [#image("logo.png", width: 3cm) #h(1fr) Northwind Outfitters])
= {% if vip == "yes" %}Dear valued member{% else %}Hello{% endif %} {{ first_name }}

Your city: {{ city }}.

#table(columns: 2, [Name], [{{ first_name }}], [Key], [{{ key }}])
"""


def _letter_spec(folder: Path, letter: str = LETTER) -> Path:
    (folder / "assets").mkdir(parents=True, exist_ok=True)
    (folder / "assets" / "logo.png").write_bytes(LOGO)
    (folder / "letter.typ").write_text(letter, encoding="utf-8")
    write_csv(
        folder / "contacts.csv",
        [
            [
                "ann@example.com",
                '#read("/etc/hostname") "q" -- ...',
                "Berlin",
                "de-DE",
                "yes",
                "yes",
            ],
            ["bob@example.com", "*Bob* $x$", "<Paris>", "fr-FR", "yes", "no"],
            ["cy@example.com", "Cy", "@Lima \\", "es-PE", "yes", "no"],
        ],
        header=["email", "first_name", "city", "locale", "consent", "vip"],
    )
    spec = {
        "name": "letters",
        "audience": {"path": "contacts.csv", "key": "email"},
        "template": {"typst": "letter.typ", "assets": ["assets"]},
        "outputs": ["pdf"],
        "email": {"date": "2026-03-01T09:00:00+00:00"},
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.usefixtures("default_workspace")
def test_a_bulk_job_renders_a_branded_letter_per_contact(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    spec = _letter_spec(tmp_path / "in")

    def run(out: Path) -> dict[str, Any]:
        return generate(
            factory,
            database_url=database_url,
            workspace_name=None,
            spec_path=spec,
            out_dir=out,
            workers=1,
        ).report

    report = run(tmp_path / "out")
    assert report["documents"] == {"pdf": 3} and report["qa"]["failed"] == 0
    expected = {
        "ann@example.com": 'Dear valued member #read("/etc/hostname") "q" -- ...',
        "bob@example.com": "Hello *Bob* $x$",
        "cy@example.com": "Hello Cy",
    }
    cities = {
        "ann@example.com": "Berlin",
        "bob@example.com": "<Paris>",
        "cy@example.com": "@Lima \\",
    }
    for key, heading in expected.items():
        pdf = (tmp_path / "out" / "pdf" / f"{key}.pdf").read_bytes()
        page = reader(pdf).pages[0]
        text = page.extract_text()
        assert heading in text and f"Your city: {cities[key]}." in text, text
        assert f"Key {key}" in text
        assert images_of(page) == [(120, 40)]
    again = tmp_path / "again"
    run(again)
    for key in expected:
        assert (again / "pdf" / f"{key}.pdf").read_bytes() == (
            tmp_path / "out" / "pdf" / f"{key}.pdf"
        ).read_bytes()
    manifest = [json.loads(x) for x in (tmp_path / "out" / "manifest.jsonl").read_text().split()]
    assert [m["files"] for m in manifest] == [{"pdf": f"pdf/{k}.pdf"} for k in expected]

    # validate renders previews exactly as the job does: a Typst error shows up there too
    summary = validate(spec)
    assert summary.accepted == 3 and len(summary.previews) == 3
    shown = summary.previews[0]["parts"]["typst"]  # values in place, for people
    assert '= Dear valued member #read("/etc/hostname") "q" -- ...' in shown and OPEN not in shown


@pytest.mark.usefixtures("default_workspace")
def test_a_job_whose_layout_does_not_compile_fails_naming_the_part(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    spec = _letter_spec(tmp_path / "in", letter="= Hello {{ first_name }}\n#text(fill: red)[\n")
    with pytest.raises(BrandloomError) as info:
        generate(
            factory,
            database_url=database_url,
            workspace_name=None,
            spec_path=spec,
            out_dir=tmp_path / "out",
            workers=1,
        )
    assert "typst part: unclosed delimiter (line 2 of the rendered layout" in info.value.message


def test_a_spec_names_the_typst_file_and_line_of_a_syntax_error(tmp_path: Path) -> None:
    spec = _letter_spec(tmp_path, letter="= Hello\n\n{{ first_name }\n")
    with pytest.raises(TemplateSyntaxError) as info:
        read_spec_file(spec)
    assert info.value.message.startswith(f"typst ({tmp_path / 'letter.typ'}) line 3")
    (tmp_path / "assets" / "notes.txt").write_text("not an image")  # not taken from a folder
    spec = _letter_spec(tmp_path)
    assert read_spec_file(spec).prepared.assets == {"logo.png": LOGO}
    data = yaml.safe_load(spec.read_text())
    data["template"]["assets"] = ["assets/notes.txt"]
    spec.write_text(yaml.safe_dump(data))
    with pytest.raises(ValidationFailed, match=r"notes\.txt' is not an image file name"):
        read_spec_file(spec)
