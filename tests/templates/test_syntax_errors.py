"""Syntax errors carry part, origin, line and column for both engines."""

from __future__ import annotations

import pytest

from brandloom.errors import BrandloomError
from brandloom.templates.engine import TemplateSource, TemplateSyntaxError, compile_template


def error_for(source: str, engine: str = "jinja", part: str = "html") -> TemplateSyntaxError:
    with pytest.raises(TemplateSyntaxError) as info:
        compile_template(TemplateSource({part: source}, engine, {part: "emails/welcome.html"}))
    return info.value


def test_message_names_part_origin_line_and_column() -> None:
    err = error_for("<html>\n<body>\n<p>Hi {{ user.name }</p>")
    assert (err.line, err.column) == (3, 20)
    assert err.part == "html"
    assert err.origin == "emails/welcome.html"
    assert str(err) == "html (emails/welcome.html) line 3, column 20: unexpected '}'"
    assert isinstance(err, BrandloomError)
    assert err.code == "template.syntax_error"
    assert err.status == 422
    assert err.details["line"] == 3 and err.details["column"] == 20


@pytest.mark.parametrize(
    ("source", "line", "column", "reason"),
    [
        ("Hello {{ name }", 1, 15, "unexpected '}'"),
        ("a\nb {% endfor %}", 2, 6, "unknown tag 'endfor'"),
        ("line1\nline2 {{ a b }}", 2, 12, "expected token 'end of print statement', got 'b'"),
        ("x\n  {{ price | nofilter }}", 2, 14, "unknown filter 'nofilter'"),
        ("{{ 'abc }}", 1, 4, "unexpected char"),
        ("{% if x %}\n<p>open", 2, 8, "Unexpected end of template"),
        ("{{ x + }}", 1, 8, "unexpected 'end of print statement'"),
        ("{% for %}{% endfor %}", 1, 8, "Expected an expression"),
        ("one\ntwo\n   {% if a %}{% else %}{% else %}{% endif %}", 3, 27, "unknown tag 'else'"),
    ],
)
def test_jinja_positions(source: str, line: int, column: int, reason: str) -> None:
    err = error_for(source)
    assert (err.line, err.column) == (line, column), str(err)
    assert reason in err.reason


@pytest.mark.parametrize(
    ("source", "line", "column", "reason"),
    [
        ("{% foo %}", 1, 4, "unexpected tag 'foo'"),
        ("a\nbb {{ x..y }}", 2, 8, "expected end of expression"),
        ("line1\n  {{ x | nofilter }}", 2, 10, "unknown filter 'nofilter'"),
        ("Hi\n{{ 'a' | }}", 2, 9, "expected word"),
        ("Hi {{ name }", 1, 4, "expected '}}'"),
        ("x\n{% if a %}\n<p>open", 3, 8, "endif"),
        ("{% include 'secret' %}", 1, 4, "unexpected tag 'include'"),
    ],
)
def test_liquid_positions(source: str, line: int, column: int, reason: str) -> None:
    err = error_for(source, "liquid")
    assert (err.line, err.column) == (line, column), str(err)
    assert reason in err.reason
    assert str(err).startswith(f"html (emails/welcome.html) line {line}, column {column}: ")


@pytest.mark.parametrize("engine", ["jinja", "liquid"])
def test_part_name_in_message(engine: str) -> None:
    err = error_for("Hi {{ first_name", engine, part="subject")
    assert err.part == "subject"
    assert str(err).startswith("subject (emails/welcome.html) line 1, column ")


def test_inline_origin_by_default_and_crlf_sources() -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        compile_template(TemplateSource({"text": "a\r\nb\r\n{{ x y }}"}))
    err = info.value
    assert (err.line, err.column) == (3, 6)
    assert str(err).startswith("text (inline) line 3, column 6: ")


def test_derived_parts_report_their_origin() -> None:
    compiled = compile_template(TemplateSource({"html": "<p>{{ x }}</p>"}))
    assert compiled.derived == frozenset({"text", "markdown"})
