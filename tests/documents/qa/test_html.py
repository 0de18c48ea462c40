"""The HTML the checks read: a real parser, and each structure parsed once per job."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from brandloom.documents.qa import QAChecker, QAConfig, QAInput
from brandloom.documents.qa._html import HtmlReader, parse_html, values_are_inert
from brandloom.templates.engine import TemplateSource, compile_template

CHECKER_CONFIG = QAConfig(subject_required=False, spam_threshold=100)


def codes(html: str, config: QAConfig = CHECKER_CONFIG) -> list[str]:
    result = QAChecker(config).check(QAInput(parts={"html": html, "text": "Hello"}))
    return [issue.code for issue in result.issues]


def test_a_link_inside_a_comment_is_no_link() -> None:
    html = (
        '<p>Hi</p><!-- old: <a href="http://localhost/x">x</a> --><a href="https://ex.com/">ok</a>'
    )
    assert codes(html) == []
    # The same link outside the comment fails.
    assert "link.private_host" in codes('<a href="http://localhost/x">x</a>')


def test_a_data_href_is_no_link() -> None:
    html = '<div data-href="javascript:void(0)" data-src="x y">Hi</div>'
    assert codes(html) == []
    assert codes('<a href="javascript:void(0)">Hi</a>') == ["link.invalid"]


def test_an_image_whose_title_mentions_alt_has_no_alt() -> None:
    issues = QAChecker(CHECKER_CONFIG).check(
        QAInput(parts={"html": '<img src="https://ex.com/a.png" title="alt text to come">'})
    )
    assert [i.code for i in issues.issues] == ["image.missing_alt"]
    assert "https://ex.com/a.png" in issues.issues[0].message
    assert codes('<img src="https://ex.com/a.png" alt="">') == []  # decorative image
    assert codes('<IMG SRC="https://ex.com/a.png" ALT="Logo">') == []


def test_attribute_values_are_decoded() -> None:
    facts = parse_html('<a href="https://ex.com/?a=1&amp;b=2">A &amp; B</a>')
    assert facts.hrefs == ("https://ex.com/?a=1&b=2",)
    assert facts.anchors == (("https://ex.com/?a=1&b=2", "A & B"),)


def _render(template: str, **data: object) -> tuple[str, list[str]]:
    rendered = compile_template(TemplateSource({"html": template})).render(data, ("html",))
    assert rendered.html_chunks is not None
    return rendered.parts["html"], rendered.html_chunks


def _check(checker: QAChecker, template: str, **data: object) -> list[str]:
    html, chunks = _render(template, **data)
    result = checker.check(QAInput(parts={"html": html, "text": "Hi"}, html_chunks=chunks))
    return [issue.code for issue in result.issues]


def test_a_variable_attribute_value_is_checked_per_document() -> None:
    checker = QAChecker(CHECKER_CONFIG)
    template = '<p>Hi {{ name }}</p><a href="{{ url }}">Go</a><img src="{{ img }}" alt="x">'
    ok = {"name": "Ann", "url": "https://ex.com/?a=1&b=2", "img": "https://ex.com/a.png"}
    assert _check(checker, template, **ok) == []
    assert _check(checker, template, **{**ok, "url": "https://localhost/"}) == ["link.private_host"]
    assert _check(checker, template, **{**ok, "img": "ftp://ex.com/a.png"}) == ["link.invalid"]
    assert _check(checker, template, **ok) == []
    # Every document of that template shares one structure.
    assert len(checker._html._structures) == 1


def test_the_structure_follows_if_blocks() -> None:
    checker = QAChecker(CHECKER_CONFIG)
    template = (
        '<p>Hi</p>{% if vip %}<a href="https://localhost/vip">VIP</a>{% endif %}'
        '{% if pic %}<img src="https://ex.com/{{ pic }}">{% endif %}'
    )
    assert _check(checker, template, vip=False, pic="") == []
    assert _check(checker, template, vip=True, pic="") == ["link.private_host"]
    assert _check(checker, template, vip=False, pic="a.png") == ["image.missing_alt"]
    assert _check(checker, template, vip=False, pic="") == []


@pytest.mark.parametrize(
    ("template", "value", "has_alt"),
    [
        # Unquoted: the value ends the attribute and adds one (escaping keeps its spaces).
        ("<img src={{ v }}>", "a.png alt=x", True),
        ("<img src={{ v }}>", "a.png", False),
        # In the tag itself: a value adds attributes.
        ('<img src="a.png" {{ v }}>', "alt", True),
        ('<img src="a.png" {{ v }}>', "title", False),
        # Quoted: the value stays inside the attribute.
        ('<img src="{{ v }}">', 'a.png" alt="x', False),
    ],
)
def test_values_where_they_change_the_markup_are_parsed_per_document(
    template: str, value: str, has_alt: bool
) -> None:
    checker = QAChecker(CHECKER_CONFIG)
    for _ in range(2):  # the second read comes from the structure cache
        found = _check(checker, template, v=value)
        assert ("image.missing_alt" not in found) is has_alt


def test_a_value_holding_markup_is_parsed_per_document() -> None:
    checker = QAChecker(CHECKER_CONFIG)
    template = '{% set link %}<a href="{{ url }}">x</a>{% endset %}<p>{{ link }}</p>'
    assert _check(checker, template, url="https://ex.com/") == []
    assert _check(checker, template, url="https://localhost/") == ["link.private_host"]


@pytest.mark.parametrize(
    ("masked", "inert"),
    [
        ("<p>\ue0000\ue001</p>", True),
        ("<a href=\"\ue0000\ue001\" title='\ue0001\ue001'>", True),
        ("<!-- \ue0000\ue001 -->", True),
        # script and style keep character references as written: parsed whole
        ("<script>if (a < \ue0000\ue001) {}</script>", False),
        ("<style>.x { color: \ue0000\ue001 }</style>", False),
        ("<title>\ue0000\ue001</title><p>x</p>", True),
        ("<a href=\ue0000\ue001>", False),
        ("<a \ue0000\ue001>", False),
        ("<\ue0000\ue001>", True),  # "<" then a value: text (escaped values start no tag)
        ("<a\ue0000\ue001>", False),
        ("</a \ue0000\ue001>", False),
        ("<!DOCTYPE \ue0000\ue001>", False),
        ('<a title="x>y" href=\ue0000\ue001>', False),
        # "İ".lower() is two characters: the end tag is found in the text as written
        ("<title>" + "İ" * 40 + "</title><a href=\ue0000\ue001>x</a>", False),
    ],
)
def test_values_are_inert(masked: str, inert: bool) -> None:
    assert values_are_inert(masked) is inert


_STATIC = st.sampled_from(
    ['<a href="', "<a href=", '">', "'", "<a href='", "'>", '"', ">", "<", "</a>", "<img src=\"",
     "<img src=", " alt", ' title="alt"', " ", "<!-- ", " -->", '<div data-href="', "<p>",
     "<script>", "</script>", "<!DOCTYPE html>", "&amp;", "https://ex.com/", "Unsubscribe",
     "\n", "<table><tr><td>", "</td></tr></table>", "<A HREF=", "=", "<b>"]
)  # fmt: skip
_VALUE = st.lists(
    st.sampled_from([*"ab <>\"'&=/-!xé\n\t", "https://", "alt", "href"]), max_size=8
).map("".join)


@settings(max_examples=500)
@example(["<a href=", "<table><tr><td>", "<script>", escape("<")])
@given(
    st.lists(
        st.one_of(
            _STATIC,
            _VALUE.map(escape),
            st.sampled_from([Markup("<a href='http://x'>"), Markup('<img src="y">')]),
        ),
        max_size=25,
    )
)
def test_reading_by_structure_matches_a_full_parse(chunks: list[str]) -> None:
    html = "".join(chunks)
    reader = HtmlReader()
    assert reader.read(html, chunks) == parse_html(html)
    assert reader.read(html, chunks) == parse_html(html)  # from the cache
