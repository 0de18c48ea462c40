from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.documents.formats.html import HtmlFinisher
from brandloom.kit.locale import text_direction

FULL = """<!DOCTYPE html>
<html>
<head>
<title>Spring</title>
<style>
p { color: #333333; }
.btn { background: #0a0; }
@media (max-width: 600px) { .container { width: 100% !important; } }
</style>
</head>
<body class="x">
<div class="container"><p>Hello &amp; welcome</p><a class="btn" href="https://e.com/">Go</a></div>
</body>
</html>"""


@pytest.fixture(scope="module")
def finisher() -> HtmlFinisher:
    return HtmlFinisher()


def test_css_is_inlined_and_media_queries_kept(finisher: HtmlFinisher) -> None:
    out = finisher.finish(FULL)
    assert '<p style="color: #333333;">' in out
    assert 'style="background: #0a0;"' in out
    assert "@media (max-width: 600px)" in out
    style_blocks = re.findall(r"<style[^>]*>(.*?)</style>", out, re.S)
    assert len(style_blocks) == 1
    assert "color: #333333" not in style_blocks[0]  # plain rules are gone
    assert "Hello &amp; welcome" in out


def test_head_essentials(finisher: HtmlFinisher) -> None:
    out = finisher.finish(FULL)
    assert out.startswith("<!DOCTYPE html>")
    assert out.count('<meta charset="utf-8">') == 1
    assert re.search(r"<head><meta charset=\"utf-8\">", out)  # charset first in <head>
    assert out.count('<meta name="viewport"') == 1
    assert '<html dir="ltr">' in out


def test_existing_charset_is_replaced_and_viewport_kept(finisher: HtmlFinisher) -> None:
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
        '<meta name="viewport" content="width=600"></head><body><p>x</p></body></html>'
    )
    out = finisher.finish(html)
    assert "iso-8859-1" not in out
    assert out.count("charset") == 1
    assert 'content="width=600"' in out
    assert out.count('name="viewport"') == 1


def test_preheader_hidden_and_escaped(finisher: HtmlFinisher) -> None:
    out = finisher.finish(FULL, preheader='Save <b>20%</b> & "more"\nnow')
    body = out.index("<body")
    div = out.index("<div", body)
    assert out[out.index(">", body) + 1 :].startswith('<div style="display:none;')
    assert div < out.index('class="container"')
    assert "Save &lt;b&gt;20%&lt;/b&gt; &amp; &quot;more&quot; now</div>" in out
    assert "<b>20%</b>" not in out
    assert "mso-hide:all" in out


def test_no_preheader_no_div(finisher: HtmlFinisher) -> None:
    assert "display:none" not in finisher.finish(FULL)
    assert "display:none" not in finisher.finish(FULL, preheader="")


def test_fragment_is_wrapped(finisher: HtmlFinisher) -> None:
    out = finisher.finish("<p>Hi</p>", preheader="Preview", lang="de")
    assert out.startswith('<!DOCTYPE html><html lang="de" dir="ltr"><head><meta charset="utf-8">')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in out
    assert out.endswith("<p>Hi</p></body></html>")
    assert ">Preview</div><p>Hi</p>" in out


def test_fragment_with_style(finisher: HtmlFinisher) -> None:
    out = finisher.finish(
        "<style>p{color:red} @media (max-width:600px){p{color:blue}}</style><p>Hi</p>"
    )
    assert '<p style="color: red;">Hi</p>' in out
    assert "@media (max-width:600px)" in out
    assert out.startswith("<!DOCTYPE html>")
    assert out.count("<body") == 1


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("ar", "rtl"),
        ("ar-EG", "rtl"),
        ("he", "rtl"),
        ("he_IL.UTF-8", "rtl"),
        ("iw", "rtl"),
        ("fa-IR", "rtl"),
        ("ur", "rtl"),
        ("yi", "rtl"),
        ("az-Arab", "rtl"),
        ("ug-Cyrl", "ltr"),
        ("en-US", "ltr"),
        ("de", "ltr"),
        ("zh-Hant-TW", "ltr"),
        (None, "ltr"),
        ("", "ltr"),
    ],
)
def test_text_direction(locale: str | None, expected: str) -> None:
    assert text_direction(locale) == expected


@pytest.mark.parametrize("locale", ["ar", "he"])
def test_lang_and_dir_for_rtl(finisher: HtmlFinisher, locale: str) -> None:
    out = finisher.finish(FULL, lang=locale, direction=text_direction(locale))
    assert f'<html lang="{locale}" dir="rtl">' in out


def test_existing_lang_and_dir_replaced(finisher: HtmlFinisher) -> None:
    html = '<html LANG="en" class="c" DIR=ltr><head></head><body><p>x</p></body></html>'
    out = finisher.finish(html, lang="ar_EG", direction="rtl")
    assert '<html class="c" lang="ar-EG" dir="rtl">' in out
    kept = finisher.finish(html, direction="rtl")
    assert '<html LANG="en" class="c" dir="rtl">' in kept


def test_invalid_lang_is_ignored_and_direction_checked(finisher: HtmlFinisher) -> None:
    out = finisher.finish("<p>x</p>", lang='en"><script>')
    assert "<script>" not in out
    assert "lang=" not in out
    with pytest.raises(ValueError):
        finisher.finish("<p>x</p>", direction="sideways")


def test_document_without_css_is_not_reparsed(finisher: HtmlFinisher) -> None:
    html = '<!DOCTYPE html><html><head></head><body><p data-x="1">a&nbsp;b</p></body></html>'
    out = finisher.finish(html)
    assert '<p data-x="1">a&nbsp;b</p>' in out


def test_deterministic(finisher: HtmlFinisher) -> None:
    assert finisher.finish(FULL, preheader="p", lang="fr") == HtmlFinisher().finish(
        FULL, preheader="p", lang="fr"
    )


@settings(max_examples=60)
@given(st.text(max_size=300), st.text(max_size=50))
def test_never_crashes_and_always_complete(
    finisher: HtmlFinisher, fragment: str, preheader: str
) -> None:
    out = finisher.finish(fragment, preheader=preheader, lang="en")
    assert out.lower().startswith("<!doctype")
    assert '<meta charset="utf-8">' in out
    assert "<body" in out
