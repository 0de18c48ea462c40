from __future__ import annotations

import io
import pickle
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

docx = pytest.importorskip("docx")
etree = pytest.importorskip("lxml.etree")

from brandloom.documents.formats.docx import DocxBuilder, DocxTemplate  # noqa: E402
from brandloom.templates.errors import (  # noqa: E402
    TemplateError,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
CREATED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
PAYLOADS = ["</w:t><w:p>", "a & b", "x]]>y", "<![CDATA[z]]>", "\"quoted\" 'single'", "&amp;"]
CONTROL = "bell\x07null\x00vt\x0besc\x1bend\ufffe"


def parts_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {info.filename: archive.read(info) for info in archive.infolist()}


def assert_wellformed(data: bytes) -> dict[str, bytes]:
    files = parts_of(data)
    for name, content in files.items():
        if name.endswith((".xml", ".rels")):
            etree.fromstring(content)  # raises on malformed XML
    return files


def open_docx(data: bytes) -> docx.document.Document:
    assert_wellformed(data)
    return docx.Document(io.BytesIO(data))


def texts(document: docx.document.Document) -> list[str]:
    return [p.text for p in document.paragraphs]


# ==============================================================================================
# Markdown -> DOCX
# ==============================================================================================

LETTER = """# Spring offer

Dear **Ana Souza**,

Thank you for being a *loyal* customer. Visit [our shop](https://acme.test/spring?a=1&b=2)
or [write to us](mailto:care@acme.test).

- **20% off** everything
- Free shipping
  - even abroad

1. Visit the shop
2. Enter code `SPRING`

3. Not a restart: same list

---

| Product | Price |
|---|--:|
| Shirt | $48 |

> A quote

```
code <x> & y
```

Warm regards,\\
Maria
"""


@pytest.fixture(scope="module")
def builder() -> DocxBuilder:
    return DocxBuilder(creation_date=CREATED, title="Spring & more")


def test_markdown_structure(builder: DocxBuilder) -> None:
    document = open_docx(builder.render(LETTER, lang="en-US", direction="ltr"))
    paragraphs = document.paragraphs
    assert paragraphs[0].style.name == "Heading 1"
    assert paragraphs[0].text == "Spring offer"
    assert paragraphs[1].text == "Dear Ana Souza,"
    bold = [r.text for r in paragraphs[1].runs if r.bold]
    assert bold == ["Ana Souza"]
    italic = [r.text for r in paragraphs[2].runs if r.italic]
    assert italic == ["loyal"]
    # a soft line break inside a paragraph is a space
    assert "Visit our shop\nor" not in paragraphs[2].text
    assert "shop or write to us." in paragraphs[2].text
    styles = [p.style.name for p in paragraphs]
    assert styles.count("List Paragraph") == 6
    assert "Quote" in styles and "Source Code" in styles
    code = next(p for p in paragraphs if p.style.name == "Source Code")
    assert code.text == "code <x> & y"
    assert paragraphs[-1].text == "Warm regards,\nMaria"  # hard break
    table = document.tables[0]
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["Product", "Price"],
        ["Shirt", "$48"],
    ]
    assert all(r.bold for r in table.rows[0].cells[0].paragraphs[0].runs)
    core = document.core_properties
    assert core.title == "Spring & more"
    assert core.created == CREATED


def test_hyperlinks_are_real_relationships(builder: DocxBuilder) -> None:
    data = builder.render(LETTER, lang="en-US", direction="ltr")
    document = open_docx(data)
    body = document.element.body
    links = body.findall(f".//{W}hyperlink")
    assert len(links) == 2
    rels = document.part.rels
    targets = [rels[link.get(R_ID)].target_ref for link in links]
    assert targets == ["https://acme.test/spring?a=1&b=2", "mailto:care@acme.test"]
    assert all(rels[link.get(R_ID)].is_external for link in links)
    texts_in_links = ["".join(t.text for t in link.iter(f"{W}t")) for link in links]
    assert texts_in_links == ["our shop", "write to us"]


def test_unsafe_links_are_plain_text(builder: DocxBuilder) -> None:
    md = "[x](javascript:alert(1)) [y](#anchor) [z](https://ok.test/) [v](VBScript:x)"
    document = open_docx(builder.render(md, lang="en", direction="ltr"))
    links = document.element.body.findall(f".//{W}hyperlink")
    assert len(links) == 1
    assert document.paragraphs[0].text == "[x](javascript:alert(1)) y z [v](VBScript:x)"


def numbering_of(paragraph: docx.text.paragraph.Paragraph) -> tuple[int, int] | None:
    num = paragraph._p.find(f"{W}pPr/{W}numPr")
    if num is None:
        return None
    return int(num.find(f"{W}ilvl").get(f"{W}val")), int(num.find(f"{W}numId").get(f"{W}val"))


def test_lists_levels_and_restarts(builder: DocxBuilder) -> None:
    md = "- a\n- b\n  - c\n\ntext\n\n1. one\n2. two\n\ntext\n\n1. again\n\nx\n\n5. five\n"
    data = builder.render(md, lang="en", direction="ltr")
    document = open_docx(data)
    nums = [numbering_of(p) for p in document.paragraphs]
    bullet = nums[0]
    assert bullet is not None and nums[1] == bullet
    assert nums[2] == (1, bullet[1])  # nested: level 1, same bullet list
    ordered = nums[4]
    assert ordered is not None and ordered[1] != bullet[1] and nums[5] == ordered
    again, five = nums[7], nums[9]
    assert again is not None and five is not None
    assert len({ordered[1], again[1], five[1]}) == 3  # each ordered list restarts
    numbering = parts_of(data)["word/numbering.xml"].decode()
    assert f'<w:num w:numId="{five[1]}"><w:abstractNumId w:val="1"/>' in numbering
    assert '<w:startOverride w:val="5"/>' in numbering


@pytest.mark.parametrize("payload", [*PAYLOADS, CONTROL])
def test_markdown_text_is_escaped(builder: DocxBuilder, payload: str) -> None:
    md = f"# {payload}\n\nHello {payload} **{payload}**\n\n- {payload}\n"
    document = open_docx(builder.render(md, lang="en", direction="ltr"))
    # Markdown decodes entities and turns NUL into U+FFFD; the rest is dropped by us.
    expected = re.sub("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe]", "", payload)
    expected = expected.replace("\x00", "\ufffd").replace("&amp;", "&")
    assert expected in document.paragraphs[0].text
    assert document.paragraphs[1].runs[-1].text.strip() == expected
    assert document.paragraphs[2].text == expected


def test_link_target_with_quotes_is_escaped(builder: DocxBuilder) -> None:
    md = '[a](<https://x.test/?q="><w:p>&z=1>)'
    document = open_docx(builder.render(md, lang="en", direction="ltr"))
    link = document.element.body.find(f".//{W}hyperlink")
    assert link is not None
    target = document.part.rels[link.get(R_ID)].target_ref
    assert target.startswith("https://x.test/?q=")
    assert "<w:p>" not in target  # markdown-it percent-encodes, XML escaping does the rest


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_valid_document(text: str) -> None:
    build = DocxBuilder(creation_date=CREATED)
    assert_wellformed(build.render(text, lang="en", direction="ltr"))
    assert_wellformed(build.render(text, lang="ar", direction="rtl"))


def test_rtl_sets_bidi_and_rtl(builder: DocxBuilder) -> None:
    md = "# عنوان\n\nمرحبا **سارة**\n\n- بند\n\n| أ | ب |\n|---|---|\n| ١ | ٢ |\n"
    data = builder.render(md, lang="ar-EG", direction="rtl")
    document = open_docx(data)
    body = document.element.body
    paragraphs = body.findall(f".//{W}p")
    assert paragraphs
    assert all(p.find(f"{W}pPr/{W}bidi") is not None for p in paragraphs)
    runs = body.findall(f".//{W}r")
    assert runs and all(r.find(f"{W}rPr/{W}rtl") is not None for r in runs)
    assert body.find(f"{W}tbl/{W}tblPr/{W}bidiVisual") is not None
    assert body.find(f"{W}sectPr/{W}bidi") is not None
    styles = parts_of(data)["word/styles.xml"].decode()
    assert '<w:lang w:val="ar-EG" w:bidi="ar-EG"/>' in styles
    assert 'w:cs="Arial"' in styles
    # bold also applies to complex scripts
    assert any(r.find(f"{W}rPr/{W}bCs") is not None for r in runs)


def test_auto_direction_follows_language(builder: DocxBuilder) -> None:
    xml = builder.document_xml("שלום", lang="he", direction="auto")
    assert "<w:bidi/>" in xml and "<w:rtl/>" in xml
    assert "<w:bidi/>" not in builder.document_xml("hello", lang="en", direction="auto")


def test_ltr_has_no_bidi(builder: DocxBuilder) -> None:
    xml = builder.document_xml(LETTER, lang="en-US", direction="ltr")
    assert "<w:bidi/>" not in xml and "<w:rtl/>" not in xml


@pytest.mark.parametrize(
    ("lang", "lang_xml", "font"),
    [
        ("zh-CN", '<w:lang w:val="zh-CN" w:eastAsia="zh-CN"/>', 'w:eastAsia="Microsoft YaHei"'),
        ("zh_TW", '<w:lang w:val="zh-TW" w:eastAsia="zh-TW"/>', 'w:eastAsia="Microsoft JhengHei"'),
        ("ja-JP", '<w:lang w:val="ja-JP" w:eastAsia="ja-JP"/>', 'w:eastAsia="MS Mincho"'),
        ("ko", '<w:lang w:val="ko" w:eastAsia="ko"/>', 'w:eastAsia="Malgun Gothic"'),
        ("fr-FR", '<w:lang w:val="fr-FR"/>', 'w:ascii="Calibri"'),
    ],
)
def test_language_and_fonts(builder: DocxBuilder, lang: str, lang_xml: str, font: str) -> None:
    data = builder.render("你好 hello", lang=lang, direction="ltr")
    files = assert_wellformed(data)
    styles = files["word/styles.xml"].decode()
    assert lang_xml in styles
    assert font in styles
    if lang[:2] in ("zh", "ja", "ko"):
        assert 'w:hint="eastAsia"' in styles
        fonts = files["word/fontTable.xml"].decode()
        assert "Noto" in fonts  # alternative-name hint for systems without the Office font
    assert files["word/settings.xml"].decode().count("themeFontLang") == 1


def test_invalid_language_is_left_out(builder: DocxBuilder) -> None:
    files = assert_wellformed(builder.render("x", lang='"><evil', direction="ltr"))
    assert "<w:lang" not in files["word/styles.xml"].decode()


def test_paper_size_follows_region(builder: DocxBuilder) -> None:
    assert 'w:w="12240"' in builder.document_xml("x", lang="en-US", direction="ltr")
    assert 'w:w="11906"' in builder.document_xml("x", lang="en-GB", direction="ltr")
    assert 'w:w="11906"' in builder.document_xml("x", lang="de", direction="ltr")


def test_builder_is_deterministic() -> None:
    one = DocxBuilder(creation_date=CREATED, title="T").render(LETTER, lang="en", direction="ltr")
    two = DocxBuilder(creation_date=CREATED, title="T").render(LETTER, lang="en", direction="ltr")
    assert one == two
    other_date = DocxBuilder(creation_date=datetime(2025, 3, 2, tzinfo=UTC), title="T")
    assert other_date.render(LETTER, lang="en", direction="ltr") != one
    with zipfile.ZipFile(io.BytesIO(one)) as archive:
        infos = archive.infolist()
    assert infos[0].filename == "[Content_Types].xml"
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_empty_markdown_is_a_valid_document(builder: DocxBuilder) -> None:
    document = open_docx(builder.render("", lang="en", direction="ltr"))
    assert texts(document) == [""]


def test_builder_pickles(builder: DocxBuilder) -> None:
    copy = pickle.loads(pickle.dumps(builder))
    assert copy.render("hi", lang="en", direction="ltr") == builder.render(
        "hi", lang="en", direction="ltr"
    )


# ==============================================================================================
# .docx templates
# ==============================================================================================


def make_template(build: Callable[[docx.document.Document], None]) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def letter_template(document: docx.document.Document) -> None:
    paragraph = document.add_paragraph()
    paragraph.add_run("Dear {")
    paragraph.add_run("{ first_")
    middle = paragraph.add_run("name }")
    middle.bold = True
    paragraph.add_run("}, welcome!")
    document.add_paragraph("{% if vip %}")
    document.add_paragraph("You are a VIP, {{ first_name|upper }}.")
    document.add_paragraph("{% endif %}")
    document.add_paragraph("Status: {% if vip %}gold{% else %}standard{% endif %}.")
    table = document.add_table(rows=4, cols=2)
    table.cell(0, 0).text = "Item"
    table.cell(0, 1).text = "Price"
    table.cell(1, 0).text = "{%tr for item in items %}"
    table.cell(2, 0).text = "{{ item.name }}"
    table.cell(2, 1).text = "{{ item.price }}"
    table.cell(3, 0).text = "{%tr endfor %}"
    document.add_paragraph("Note: {{ note }}")
    document.sections[0].header.paragraphs[0].text = "For {{ first_name }}"
    document.sections[0].footer.paragraphs[0].text = "Ref {{ ref|default('none') }}"


@pytest.fixture(scope="module")
def letter() -> DocxTemplate:
    return DocxTemplate(make_template(letter_template), creation_date=CREATED)


def compile_text(*paragraphs: str) -> DocxTemplate:
    def build(document: docx.document.Document) -> None:
        for text in paragraphs:
            document.add_paragraph(text)

    return DocxTemplate(make_template(build), creation_date=CREATED, origin="t.docx")


CONTACT = {
    "first_name": "Ana",
    "vip": True,
    "items": [{"name": "Shirt", "price": 48}, {"name": "Bag", "price": 32}],
    "note": "n/a",
}


def test_template_renders_text_split_runs_if_and_rows(letter: DocxTemplate) -> None:
    document = open_docx(letter.render(CONTACT))
    assert texts(document) == [
        "Dear Ana, welcome!",
        "You are a VIP, ANA.",
        "Status: gold.",
        "Note: n/a",
    ]
    first = document.paragraphs[0]
    assert first.runs[0].text == "Dear Ana"  # the tag moved whole into the run it started in
    assert [r.bold for r in first.runs] == [None, None, True, None]
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows == [["Item", "Price"], ["Shirt", "48"], ["Bag", "32"]]
    assert document.sections[0].header.paragraphs[0].text == "For Ana"
    assert document.sections[0].footer.paragraphs[0].text == "Ref none"


def test_template_false_branch_and_empty_loop(letter: DocxTemplate) -> None:
    document = open_docx(letter.render({**CONTACT, "vip": False, "items": []}))
    assert texts(document) == ["Dear Ana, welcome!", "Status: standard.", "Note: n/a"]
    assert [[c.text for c in row.cells] for row in document.tables[0].rows] == [["Item", "Price"]]


def test_template_variables(letter: DocxTemplate) -> None:
    assert letter.variables == frozenset({"first_name", "vip", "items", "note", "ref"})
    required = letter.required_variables()
    assert set(required) == {"first_name", "items", "note"}
    assert required["note"].line == 14  # the paragraph number (table cells count too)
    assert required["first_name"].part == "word/document.xml"


@pytest.mark.parametrize("payload", [*PAYLOADS, CONTROL])
def test_template_escapes_contact_data_once(letter: DocxTemplate, payload: str) -> None:
    data = letter.render({**CONTACT, "first_name": payload, "items": [{"name": payload}]})
    document = open_docx(data)
    expected = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe]", "", payload)
    assert document.paragraphs[0].text == f"Dear {expected}, welcome!"
    assert document.tables[0].rows[1].cells[0].text == expected
    assert document.sections[0].header.paragraphs[0].text == f"For {expected}"


def test_template_escape_filter_is_not_doubled() -> None:
    template = compile_text("{{ name|e }} / {{ name }}")
    document = open_docx(template.render({"name": "R&D <x>"}))
    assert texts(document) == ["R&D <x> / R&D <x>"]


def test_template_newlines_and_tabs_become_breaks(letter: DocxTemplate) -> None:
    document = open_docx(letter.render({**CONTACT, "note": "line 1\nline 2\tend"}))
    assert document.paragraphs[-1].text == "Note: line 1\nline 2\tend"


def test_template_smart_quotes_and_entities_in_tags() -> None:
    template = compile_text(
        "Hi {{ name|default(\u201cfriend\u201d) }}{% if n > 1 and s != \u2018x\u2019 %}!{% endif %}"
    )
    document = open_docx(template.render({"n": 2, "s": "y"}))
    assert texts(document) == ["Hi friend!"]


def test_template_explicit_paragraph_tags_and_cells() -> None:
    def build(document: docx.document.Document) -> None:
        document.add_paragraph("before")
        document.add_paragraph("{%p for x in xs %} ignored text")
        document.add_paragraph("- {{ x }}")
        document.add_paragraph("{%p endfor %}")
        table = document.add_table(rows=1, cols=1)
        cell = table.cell(0, 0)
        cell.paragraphs[0].text = "{% if show %}"
        cell.add_paragraph("shown")
        cell.add_paragraph("{% endif %}")

    template = DocxTemplate(make_template(build), creation_date=CREATED)
    document = open_docx(template.render({"xs": ["a", "b"], "show": False}))
    assert texts(document) == ["before", "- a", "- b"]
    cell = document.tables[0].cell(0, 0)
    assert [p.text for p in cell.paragraphs] == [""]  # a cell keeps one (empty) paragraph
    document = open_docx(template.render({"xs": [], "show": True}))
    assert [p.text for p in document.tables[0].cell(0, 0).paragraphs] == ["shown"]


def test_template_block_mixed_with_text_stays_inline() -> None:
    template = compile_text("Hello {% if a %}", "middle", "{% endif %}")
    document = open_docx(template.render({"a": False}))
    assert texts(document) == ["Hello "]
    document = open_docx(template.render({"a": True}))
    assert texts(document) == ["Hello ", "middle", ""]


def test_template_hyperlink_target() -> None:
    def build(document: docx.document.Document) -> None:
        paragraph = document.add_paragraph("Visit ")
        part = document.part
        rid = part.relate_to(
            "https://acme.test/u/%7B%7B%20id%20%7D%7D?x=1",
            docx.opc.constants.RELATIONSHIP_TYPE.HYPERLINK,
            is_external=True,
        )
        link = docx.oxml.OxmlElement("w:hyperlink")
        link.set(R_ID, rid)
        run = docx.oxml.OxmlElement("w:r")
        text = docx.oxml.OxmlElement("w:t")
        text.text = "your page"
        run.append(text)
        link.append(run)
        paragraph._p.append(link)

    template = DocxTemplate(make_template(build), creation_date=CREATED)
    assert template.variables == frozenset({"id"})
    document = open_docx(template.render({"id": 'a"b&c'}))
    link = document.element.body.find(f".//{W}hyperlink")
    assert document.part.rels[link.get(R_ID)].target_ref == 'https://acme.test/u/a"b&c?x=1'


@pytest.mark.parametrize(
    ("paragraphs", "line", "column", "needle"),
    [
        (["ok {{ a }}", "Dear {{ first_name }"], 2, 6, "not closed"),
        (["ok", "x {{ a + }}"], 2, 3, "{{ a + }}"),
        (["{% if a %}", "text"], 1, 1, "if"),
        (["{% for a in b %}", "{% endif %}"], 2, 1, "endif"),
        (["{% if a %}", "{{ a }}"], 1, 1, "never closed"),
    ],
)
def test_template_syntax_errors(paragraphs: list[str], line: int, column: int, needle: str) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        compile_text(*paragraphs)
    error = caught.value
    assert error.origin == "t.docx"
    assert error.part == "word/document.xml"
    assert (error.line, error.column) == (line, column)
    assert needle in str(error)


def test_template_block_across_structure_is_rejected() -> None:
    def build(document: docx.document.Document) -> None:
        document.add_paragraph("{% if a %}")
        table = document.add_table(rows=1, cols=1)
        table.cell(0, 0).text = "{% endif %}"

    with pytest.raises(TemplateSyntaxError, match="different places"):
        DocxTemplate(make_template(build), creation_date=CREATED)


def test_a_variable_in_an_element_a_tag_replaces_is_refused_not_dropped() -> None:
    """The text of a paragraph or row that a {%p %} / {%tr %} tag stands for is dropped: a
    variable there would vanish from every document, so the template is refused."""
    with pytest.raises(TemplateSyntaxError, match="replaced by a") as caught:
        compile_text("before", "{%p if vip %} Dear {{ first_name }}", "x", "{%p endif %}")
    assert (caught.value.line, caught.value.column) == (2, 20)

    def row(document: docx.document.Document) -> None:
        table = document.add_table(rows=3, cols=2)
        table.cell(0, 0).text = "{%tr for item in items %}"
        table.cell(0, 1).text = "{{ note }}"
        table.cell(1, 0).text = "{{ item.name }}"
        table.cell(2, 0).text = "{%tr endfor %}"

    with pytest.raises(TemplateSyntaxError, match="replaced by a"):
        DocxTemplate(make_template(row), creation_date=CREATED)
    # comments may go with the element; the text beside a tag is dropped as documented
    kept = compile_text("{%p if vip %} {# a note #} ignored", "shown", "{%p endif %}")
    assert texts(open_docx(kept.render({"vip": True}))) == ["shown"]


def test_template_sandbox_is_enforced() -> None:
    with pytest.raises(TemplateSecurityError) as caught:
        compile_text("hello", "{{ ''.__class__ }}")
    assert caught.value.line == 2
    with pytest.raises(TemplateSecurityError):
        compile_text("{% include 'x' %}")


def test_template_render_errors() -> None:
    template = compile_text("{{ missing + 1 }}")
    with pytest.raises(TemplateRenderError):
        template.render({})
    looping = compile_text("{% for i in xs %}{% for j in xs %}x{% endfor %}{% endfor %}")
    with pytest.raises(TemplateRenderError) as caught:
        looping.render({"xs": list(range(200))})
    assert caught.value.code == "template.limit_exceeded"


def test_template_unresolved_names_are_reported() -> None:
    template = compile_text("Hi {{ name }} {{ city }}")
    sink: list[str] = []
    document = open_docx(template.render({"name": "A"}, unresolved=sink))
    assert texts(document) == ["Hi A "]
    assert sink == ["city"]


def test_template_is_deterministic_and_copies_static_parts(letter: DocxTemplate) -> None:
    one = letter.render(CONTACT)
    assert one == letter.render(CONTACT)
    again = DocxTemplate(make_template(letter_template), creation_date=CREATED)
    assert again.render(CONTACT) != b""
    files = parts_of(one)
    assert b"2025-03-01T09:30:00Z" in files["docProps/core.xml"]
    source_names = list(parts_of(make_template(letter_template)))
    assert list(files) == source_names  # same parts, same order
    with zipfile.ZipFile(io.BytesIO(one)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_template_without_tags_is_copied() -> None:
    template = compile_text("plain text")
    assert template.variables == frozenset()
    assert texts(open_docx(template.render({}))) == ["plain text"]


def test_template_rejects_non_docx() -> None:
    with pytest.raises(TemplateError) as caught:
        DocxTemplate(b"not a zip", creation_date=CREATED)
    assert caught.value.code == "template.docx_invalid"


def test_template_pickles(letter: DocxTemplate) -> None:
    copy = pickle.loads(pickle.dumps(letter))
    assert copy.render(CONTACT) == letter.render(CONTACT)


WORD_STYLE_BODY = (
    '<w:p w:rsidR="00A1" w14:paraId="1A2B3C4D"><w:pPr><w:rPr><w:lang w:val="en-GB"/></w:rPr>'
    '</w:pPr><w:r><w:t xml:space="preserve">Dear {</w:t></w:r><w:proofErr w:type="spellStart"/>'
    '<w:r w:rsidR="00B2"><w:rPr><w:lang w:val="en-GB"/></w:rPr><w:t>{first</w:t></w:r>'
    '<w:bookmarkStart w:id="0" w:name="_GoBack"/><w:bookmarkEnd w:id="0"/>'
    '<w:r><w:rPr><w:i/></w:rPr><w:t>_name</w:t></w:r><w:proofErr w:type="spellEnd"/>'
    "<w:r><w:t>}</w:t></w:r><w:r><w:t>}, {% if n &gt; 1 %}many{% endif %}</w:t></w:r></w:p>"
)


def with_body(body: str) -> bytes:
    source = make_template(lambda document: document.add_paragraph("x"))
    files = parts_of(source)
    xml = files["word/document.xml"].decode()
    start = xml.index("<w:body>") + len("<w:body>")
    end = xml.index("<w:sectPr")
    xml = xml[:start] + body + xml[end:]
    if "xmlns:w14=" not in xml:
        xml = xml.replace(
            "<w:document ",
            '<w:document xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" ',
            1,
        )
    files["word/document.xml"] = xml.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_template_word_style_split_runs() -> None:
    template = DocxTemplate(with_body(WORD_STYLE_BODY), creation_date=CREATED)
    assert template.variables == frozenset({"first_name", "n"})
    document = open_docx(template.render({"first_name": "Zoë", "n": 2}))
    assert texts(document) == ["Dear Zoë, many"]
    runs = document.paragraphs[0].runs
    assert runs[0].text == "Dear Zoë"
    assert runs[1].text == "" and runs[2].text == ""  # emptied, formatting kept


def test_template_blocks_outside_text_are_rejected() -> None:
    body = "<w:p><w:r><w:instrText>{% if a %}</w:instrText></w:r></w:p>"
    with pytest.raises(TemplateSyntaxError, match="only supported in the document"):
        DocxTemplate(with_body(body), creation_date=CREATED)


def test_template_dtd_is_rejected() -> None:
    source = make_template(lambda document: document.add_paragraph("{{ a }}"))
    files = parts_of(source)
    xml = files["word/document.xml"].decode()
    files["word/document.xml"] = xml.replace("?>", '?><!DOCTYPE x [<!ENTITY a "b">]>', 1).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(TemplateSyntaxError, match="DTD"):
        DocxTemplate(buffer.getvalue(), creation_date=CREATED)


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=80), st.lists(st.text(max_size=20), max_size=3))
def test_template_any_data_gives_a_valid_document(name: str, items: list[str]) -> None:
    template = TEMPLATE_FOR_FUZZ
    data = template.render({**CONTACT, "first_name": name, "note": name, "items": items})
    document = open_docx(data)
    expected = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", name)
    expected = expected.replace("\r\n", "\n").replace("\r", "\n")
    assert document.paragraphs[-1].text == f"Note: {expected}"


TEMPLATE_FOR_FUZZ = DocxTemplate(make_template(letter_template), creation_date=CREATED)
