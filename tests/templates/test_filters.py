"""Marketing filters: locale-aware formatting, UTM tagging, defaults, escaping (both engines)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest

from brandloom.templates import filters as F
from brandloom.templates.engine import TemplateSource, compile_template


def render(template: str, engine: str = "jinja", part: str = "subject", **ctx: object) -> str:
    compiled = compile_template(TemplateSource({part: template}, engine))
    return compiled.render(ctx).parts[part]


JINJA_FORMATS = (
    "{{ d | date('short') }}|{{ d | date('long') }}|{{ n | number }}|"
    "{{ n | currency('EUR') }}|{{ p | percent }}"
)
LIQUID_FORMATS = (
    "{{ d | date: 'short' }}|{{ d | date: 'long' }}|{{ n | number }}|"
    "{{ n | currency: 'EUR' }}|{{ p | percent }}"
)
DATA = {"d": "2024-03-05", "n": 1234567.891, "p": 0.256}


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "de-DE",
            "05.03.24|5. März 2024|1.234.567,891|1.234.567,89\xa0€|26\xa0%",
        ),
        ("ja-JP", "2024/03/05|2024年3月5日|1,234,567.891|€1,234,567.89|26%"),
        ("en-US", "3/5/24|March 5, 2024|1,234,567.891|€1,234,567.89|26%"),
        # CLDR: plain "ar" uses Latin digits, ar-EG Arabic-Indic digits and separators.
        (
            "ar",
            "5\u200f/3\u200f/2024|5 مارس 2024|1,234,567.891|\u200f1,234,567.89\xa0€|26%",
        ),
        (
            "ar-EG",
            "٥\u200f/٣\u200f/٢٠٢٤|٥ مارس ٢٠٢٤|١٬٢٣٤٬٥٦٧٫٨٩١|\u200f١٬٢٣٤٬٥٦٧٫٨٩\xa0€|٢٦%",
        ),
    ],
)
@pytest.mark.parametrize("engine", ["jinja", "liquid"])
def test_locale_formats(engine: str, locale: str, expected: str) -> None:
    template = JINJA_FORMATS if engine == "jinja" else LIQUID_FORMATS
    assert render(template, engine, locale=locale, **DATA) == expected


def test_locale_falls_back_to_en_and_accepts_posix_tags() -> None:
    assert render("{{ n | number }}", n=1234.5) == "1,234.5"
    assert render("{{ n | number }}", n=1234.5, locale="xx-YY") == "1,234.5"
    assert render("{{ n | number }}", n=1234.5, locale=42) == "1,234.5"
    assert render("{{ n | number }}", n=1234.5, locale="de_AT") == "1.234,5"
    # Unknown extension/region subtags fall back to the language.
    assert render("{{ n | number }}", n=1234.5, locale="de-XX") == "1.234,5"


def test_locale_objects_are_cached() -> None:
    assert F.locale_info("de-DE") is F.locale_info("de-DE")


def test_date_accepts_date_datetime_iso_and_patterns() -> None:
    when = dt.datetime(2024, 3, 5, 14, 30)
    assert render("{{ d | date('long') }}", d=when, locale="de-DE") == "5. März 2024"
    assert render("{{ d | date('long') }}", d=when.date()) == "March 5, 2024"
    assert render("{{ d | date('HH:mm') }}", d=when) == "14:30"
    assert render("{{ d | date('d. MMMM y') }}", d="2024-03-05T10:00:00Z", locale="de") == (
        "5. März 2024"
    )
    assert render("{{ d | date }}", d="2024-03-05") == "Mar 5, 2024"
    assert render("{{ d | date('long', locale='fr') }}", d="2024-03-05") == "5 mars 2024"


def test_unparsable_values_pass_through() -> None:
    assert render("{{ d | date('long') }}", d="next tuesday") == "next tuesday"
    assert render("{{ n | number }}", n="n/a") == "n/a"
    assert render("{{ n | currency('EUR') }}", n=None) == ""
    assert render("{{ missing | currency('EUR') }}") == ""


def test_currency_from_numeric_text_and_other_codes() -> None:
    assert render("{{ n | currency('JPY') }}", n="1234.6", locale="ja-JP") == "￥1,235"
    assert render("{{ n | currency('USD') }}", n="19.99", locale="en-US") == "$19.99"
    assert render("{{ n | currency }}", n=5) == "$5.00"


@pytest.mark.parametrize("engine", ["jinja", "liquid"])
def test_utm_adds_and_replaces_params_and_keeps_fragment(engine: str) -> None:
    url = "https://shop.example/p?id=7&utm_source=old&x=a%20b#reviews"
    template = (
        "{{ u | utm(source='newsletter', medium='email', campaign=c) }}"
        if engine == "jinja"
        else "{{ u | utm: source: 'newsletter', medium: 'email', campaign: c }}"
    )
    out = render(template, engine, u=url, c="spring sale")
    parts = urlsplit(out)
    assert parts.fragment == "reviews"
    query = parse_qsl(parts.query)
    assert query == [
        ("id", "7"),
        ("x", "a b"),
        ("utm_source", "newsletter"),
        ("utm_medium", "email"),
        ("utm_campaign", "spring sale"),
    ]
    assert "x=a%20b" in out  # untouched params keep their exact encoding


def test_utm_edge_cases() -> None:
    assert F.utm("https://a.example") == "https://a.example"
    assert F.utm("https://a.example", source="") == "https://a.example"
    assert F.utm("https://a.example", source="s") == "https://a.example?utm_source=s"
    assert F.utm("mailto:a@b.example", source="s") == "mailto:a@b.example"
    assert F.utm("", source="s") == ""
    assert F.utm("/relative/path?a=1", term="x y") == "/relative/path?a=1&utm_term=x%20y"


def test_utm_in_html_is_attribute_escaped() -> None:
    out = render(
        '<a href="{{ u | utm(source="nl", medium="email") }}">x</a>',
        part="html",
        u="https://a.example/?q=1",
    )
    assert out == '<a href="https://a.example/?q=1&amp;utm_source=nl&amp;utm_medium=email">x</a>'


@pytest.mark.parametrize("engine", ["jinja", "liquid"])
def test_url_encode(engine: str) -> None:
    out = render("{{ q | url_encode }}", engine, q="a b&c=d/é")
    assert out == "a+b%26c%3Dd%2F%C3%A9"


@pytest.mark.parametrize("engine", ["jinja", "liquid"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "there"), ("", "there"), ("   ", "there"), ("Ada", "Ada"), (0, "0"), ([], "there")],
)
def test_default_treats_empty_as_missing(engine: str, value: object, expected: str) -> None:
    template = (
        "{{ name | default('there') }}" if engine == "jinja" else "{{ name | default: 'there' }}"
    )
    if engine == "liquid" and value == "   ":
        expected = "   "  # liquid's own `default` keeps whitespace-only strings
    assert render(template, engine, name=value) == expected
    assert render(template, engine) == "there"


def test_default_alias_and_classic_mode() -> None:
    assert render("{{ name | d('x') }}", name="") == "x"
    assert render("{{ name | default('x', false) }}", name="") == ""
    assert render("{{ name | default('x', false) }}") == "x"


def test_title_and_builtin_filters() -> None:
    assert render("{{ n | title }}", n="o'neil-smith von HOLSTEIN") == "O'neil-Smith Von Holstein"
    assert render("{{ n | upper }}|{{ n | lower }}|{{ n | capitalize }}", n="aDa") == (
        "ADA|ada|Ada"
    )
    assert render("{{ n | trim | replace('a', 'o') }}", n="  banana ") == "bonono"
    assert render("{{ n | truncate(9) }}", n="hello wonderful world") == "hello..."
    assert render("{{ xs | length }} {{ xs | first }} {{ xs | last }}", xs=[1, 2, 3]) == "3 1 3"
    assert render("{{ xs | join(', ') }}", xs=["a", "b"]) == "a, b"
    assert render("{{ n | round(1) }} {{ s | int + 1 }} {{ s | float }}", n=2.345, s="41") == (
        "2.3 42 41.0"
    )
    assert render("{{ n | abs }}", n=-3) == "3"
    assert render("{{ h | striptags }} {{ h | striptags | wordcount }}", h="<b>two</b> words") == (
        "two words 2"
    )
    assert render("{{ h | e }}", h="<b>") == "&lt;b&gt;"


def test_markdown_escape() -> None:
    assert F.markdown_escape("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))"
    assert F.markdown_escape("<img src=x>") == "\\<img src=x\\>"
    assert F.markdown_escape("a_b*c*") == "a\\_b\\*c\\*"
    assert F.markdown_escape("# title\n- item\n1. first") == "\\# title\n\\- item\n1\\. first"
    assert F.markdown_escape("&lt;b&gt; Tom & Jerry") == "\\&lt;b\\&gt; Tom & Jerry"
    assert F.markdown_escape("19.99 -5% Hello!") == "19.99 -5% Hello!"
    assert F.markdown_escape(None) == ""


@pytest.mark.parametrize("engine", ["jinja", "liquid"])
def test_fraction_digits_and_patterns(engine: str) -> None:
    if engine == "jinja":
        template = "{{ n | number(2) }}|{{ n | number('#,##0.0') }}|{{ p | percent(1) }}"
    else:
        template = "{{ n | number: 2 }}|{{ n | number: '#,##0.0' }}|{{ p | percent: 1 }}"
    assert render(template, engine, n=1234.5, p=0.1234, locale="de-DE") == (
        "1.234,50|1.234,5|12,3\xa0%"
    )
    assert render(template, engine, n=1234.5, p=0.1234, locale="ar-EG") == (
        "١٬٢٣٤٫٥٠|١٬٢٣٤٫٥|١٢٫٣%"
    )


def test_strftime_formats_for_liquid_habits() -> None:
    assert render("{{ d | date: '%d/%m/%Y' }}", "liquid", d="2024-03-05") == "05/03/2024"


# ------------------------------------------------------------------ values a filter cannot read


UNPARSED = {
    "jinja": (
        "{{ u | currency('EUR') }}|{{ u | number(2) }}|{{ d | date('short') }}|{{ p | percent }}|"
        "{{ blank | currency('EUR') }}|{{ missing | date }}"
    ),
    "liquid": (
        "{{ u | currency: 'EUR' }}|{{ u | number: 2 }}|{{ d | date: 'short' }}|{{ p | percent }}|"
        "{{ blank | currency: 'EUR' }}|{{ missing | date }}"
    ),
}


@pytest.mark.parametrize("engine", ["jinja", "liquid"])
def test_values_a_filter_cannot_read_are_printed_unchanged_and_noted(engine: str) -> None:
    compiled = compile_template(TemplateSource({"subject": UNPARSED[engine]}, engine))
    context = {"u": "1.234,50", "d": "03.02.2026", "p": "viel", "blank": "", "locale": "de-DE"}
    rendered = compiled.render(context)
    assert rendered.parts["subject"] == "1.234,50|1.234,50|03.02.2026|viel||"
    assert rendered.unparsed == [
        ("currency", "1.234,50"),
        ("number", "1.234,50"),
        ("date", "03.02.2026"),
        ("percent", "viel"),
    ]  # blank and missing values are left to variable.empty / variable.unresolved


@pytest.mark.parametrize("engine", ["jinja", "liquid"])
def test_typed_values_format_and_note_nothing(engine: str) -> None:
    template = UNPARSED[engine].split("|{{ blank")[0]
    compiled = compile_template(TemplateSource({"subject": template}, engine))
    context = {
        "u": Decimal("1234.50"),
        "d": dt.date(2026, 2, 3),
        "p": Decimal("0.25"),
        "locale": "de-DE",
    }
    rendered = compiled.render(context)
    assert rendered.parts["subject"] == "1.234,50\xa0€|1.234,50|03.02.26|25\xa0%"
    assert rendered.unparsed == []


def test_the_filter_functions_note_only_when_given_a_list() -> None:
    assert F.format_currency("abc", "EUR", locale="de-DE") == "abc"
    noted: F.Unparsed = []
    assert F.format_currency("abc", "EUR", locale="de-DE", unparsed=noted) == "abc"
    assert F.format_number(" ", unparsed=noted) == " "
    assert noted == [("currency", "abc")]


# -------------------------------------------------------------- structured values (JSON lists)


@pytest.mark.parametrize(
    ("engine", "template"),
    [
        (
            "jinja",
            "{{ tags | join(',') }}|{{ address.city }}|{{ address['zip'] }}|"
            "{% for t in tags %}[{{ t }}]{% endfor %}|{{ tags | length }}",
        ),
        (
            "liquid",
            "{{ tags | join: ',' }}|{{ address.city }}|{{ address['zip'] }}|"
            "{% for t in tags %}[{{ t }}]{% endfor %}|{{ tags | size }}",
        ),
    ],
)
def test_lists_iterate_and_objects_have_attributes(engine: str, template: str) -> None:
    compiled = compile_template(TemplateSource({"subject": template}, engine))
    context = {"tags": ["vip", "new"], "address": {"city": "Köln", "zip": "50667"}}
    assert compiled.render(context).parts["subject"] == "vip,new|Köln|50667|[vip][new]|2"
