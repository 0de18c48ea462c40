"""The ``number``, ``percent`` and ``currency`` filters checked against ``babel.numbers``.

``format_number`` and ``format_percent`` take a hand-written path for plain patterns (about 6x
faster than Babel, ``python benchmarks/run.py --only micro``); ``format_currency`` calls Babel.
Whatever the path, the text must be exactly what ``babel.numbers.format_decimal``,
``format_percent`` and ``format_currency`` give for the same value, locale and pattern, for
locales of every region, script and numbering system. Babel writes ASCII digits even for
locales whose default numbering system is another (Arabic, Bengali, Myanmar, ...), where the
filters write the locale's own digits: those are compared digit by digit.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from decimal import Decimal

from babel import Locale, localedata
from babel.numbers import format_currency, format_decimal, format_percent
from hypothesis import given
from hypothesis import strategies as st

from brandloom.templates import filters as F
from tests.oracle import ORACLE

LOCALES = sorted(localedata.locale_identifiers())
CURRENCIES = ["EUR", "USD", "JPY", "GBP", "CHF", "INR", "BRL", "KWD", "CNY", "SEK", "XXX"]
PATTERNS: list[str | None] = [None, "#,##0.00", "#,##0.###", "0.0", "#,##,##0.##", "#0%"]

VALUES = st.one_of(
    st.integers(min_value=-(10**18), max_value=10**18),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15),
    st.sampled_from([0, -0.0, 0.5, 2.5, 1.005, 2.675, 1234.5, Decimal("-0.0015")]),
)


def _ascii_digits(text: str) -> str:
    return "".join(
        str(unicodedata.decimal(ch)) if unicodedata.decimal(ch, None) is not None else ch
        for ch in text
    )


def _babel_or_text(call: Callable[[], str], value: object) -> str:
    try:
        return call()
    except (ValueError, KeyError, TypeError, ArithmeticError):
        return F.text_of(value)  # the filters print what they cannot format


def assert_same(ours: str, babel: str, tag: str) -> None:
    if Locale.parse(tag).default_numbering_system == "latn":
        assert ours == babel
    else:
        assert _ascii_digits(ours) == babel
        assert ours != babel or not any(ch.isdigit() for ch in babel)  # native digits


@ORACLE
@given(value=VALUES, tag=st.sampled_from(LOCALES), pattern=st.sampled_from(PATTERNS))
def test_number_equals_babel_format_decimal(value: object, tag: str, pattern: str | None) -> None:
    expected = _babel_or_text(
        lambda: format_decimal(value, format=pattern, locale=tag, numbering_system="default"),
        value,
    )
    assert_same(F.format_number(value, pattern, locale=tag), expected, tag)


@ORACLE
@given(value=VALUES, tag=st.sampled_from(LOCALES), pattern=st.sampled_from([None, "#,##0.0%"]))
def test_percent_equals_babel_format_percent(value: object, tag: str, pattern: str | None) -> None:
    expected = _babel_or_text(
        lambda: format_percent(value, format=pattern, locale=tag, numbering_system="default"),
        value,
    )
    assert_same(F.format_percent(value, pattern, locale=tag), expected, tag)


@ORACLE
@given(value=VALUES, tag=st.sampled_from(LOCALES), code=st.sampled_from(CURRENCIES))
def test_currency_equals_babel_format_currency(value: object, tag: str, code: str) -> None:
    expected = _babel_or_text(
        lambda: format_currency(value, code, locale=tag, numbering_system="default"), value
    )
    assert_same(F.format_currency(value, code, locale=tag), expected, tag)


def test_every_locale_formats_like_babel() -> None:
    """Each locale once, with values that exercise grouping, rounding and signs."""
    values = [0, -1, 1234567, -1234.5678, 0.125, Decimal("12345.6789"), 10**15 + 7]
    for tag in LOCALES:
        for value in values:
            expected = format_decimal(value, locale=tag, numbering_system="default")
            assert_same(F.format_number(value, locale=tag), expected, tag)
            expected = format_currency(value, "EUR", locale=tag, numbering_system="default")
            assert_same(F.format_currency(value, "EUR", locale=tag), expected, tag)
