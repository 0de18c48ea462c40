"""The fast number/date paths of the filters give exactly Babel's output (and fall back to it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from babel import localedata
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_decimal, format_percent, parse_pattern
from hypothesis import given, settings
from hypothesis import strategies as st

from brandloom.templates import filters as F

ALL_LOCALES = sorted(localedata.locale_identifiers())
SOME_LOCALES = [
    "en_US", "de_DE", "de_CH", "fr_FR", "hi_IN", "bn", "ar_SA", "ar_EG", "fa", "my", "zh_CN",
    "ja_JP", "pt_BR", "es_ES", "it_IT", "ru", "sv", "nb", "pl", "he", "ur_IN", "th", "ne", "mr",
]  # fmt: skip
PATTERNS: list[int | str | None] = [
    None, 0, 1, 2, 3, 12, "#,##0.00", "#,##,##0.###", "0.0;(0.0)", "'x'#,##0'y'", "#0", "#,##0.0",
    "00000.00", "#,##0%", "#,##0.00\u2030", "0.###E0", "@@@", "\u00a4#,##0.00",
]  # fmt: skip

NUMBERS = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, places=None, min_value=-(10**18), max_value=10**18),
    st.sampled_from([0, -0.0, 0.5, 2.5, -2.5, 1.005, 2.675, 10**15, 10**15 - 1, -(10**15)]),
    st.sampled_from([Decimal("-0"), Decimal("1E+3"), Decimal("0.0005"), Decimal("-0.0015")]),
)


def _babel(kind: str, value: object, fmt: int | str | None, tag: str) -> str:
    """The filter's reference path: straight Babel, as before the fast path existed."""
    info = F._parse_locale(tag)
    number = F.to_number(value)
    if number is None:
        return F.text_of(value)
    try:
        if isinstance(fmt, int):
            out = info.pattern(kind, fmt).apply(
                number, info.locale, numbering_system=info.numbering
            )
        else:
            babel_format = format_percent if kind == "percent" else format_decimal
            out = babel_format(
                number, format=fmt, locale=info.locale, numbering_system=info.numbering
            )
    except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError):
        return F.text_of(value)
    return info.localize_digits(out)


@settings(max_examples=1000, deadline=None)
@given(
    value=NUMBERS,
    tag=st.sampled_from(SOME_LOCALES),
    kind=st.sampled_from(["decimal", "percent"]),
    fmt=st.sampled_from(PATTERNS),
)
def test_fast_number_equals_babel(
    value: object, tag: str, kind: str, fmt: int | str | None
) -> None:
    fast = F.format_percent if kind == "percent" else F.format_number
    assert fast(value, fmt, locale=tag) == _babel(kind, value, fmt, tag)


@settings(max_examples=300, deadline=None)
@given(
    value=st.one_of(
        st.integers(min_value=-(10**16), max_value=10**16).map(str),
        st.from_regex(r"\A\s*[-+]?(\d{1,20}(\.\d{0,8})?|\.\d{1,8})([eE][-+]?\d{1,3})?\s*\Z"),
        st.text(max_size=8),
    ),
    tag=st.sampled_from(SOME_LOCALES),
    fmt=st.sampled_from([None, 2]),
)
def test_fast_number_equals_babel_for_numeric_text(value: str, tag: str, fmt: int | None) -> None:
    assert F.format_number(value, fmt, locale=tag) == _babel("decimal", value, fmt, tag)


def test_fast_number_is_built_and_verified_for_every_locale() -> None:
    samples = [0, -1, 1234567, -1234.5678, 0.125, Decimal("12345.6789"), 10**15 + 7]
    for tag in ALL_LOCALES:
        info = F._parse_locale(tag)
        for kind in ("decimal", "percent"):
            fast = info.fast_number(kind, None)
            assert fast is not None, (tag, kind)  # CLDR's own patterns all qualify today
            formats = (
                info.locale.percent_formats if kind == "percent" else info.locale.decimal_formats
            )
            pattern = parse_pattern(formats[None])
            for value in samples:
                expected = pattern.apply(value, info.locale, numbering_system=info.numbering)
                assert fast.format(value) == expected, (tag, kind, value)


def test_unsupported_patterns_use_babel() -> None:
    info = F.locale_info("en-US")
    for fmt in ("0.###E0", "@@@", "\u00a4#,##0.00"):
        assert info.fast_number("decimal", fmt) is None
    for fmt in ("0.###E0", "@@@", "\u00a4#,##0.00", "not a pattern ;;"):
        assert F.format_number(1234.5, fmt, locale="en-US") == _babel(
            "decimal", 1234.5, fmt, "en-US"
        )
    assert F.format_number(1234.5, "0.###E0", locale="en-US") == "1.234E3"


def test_fast_number_not_used_when_it_disagrees_with_babel(monkeypatch: pytest.MonkeyPatch) -> None:
    # Verification at build time: a formatter that differs from Babel on a sample is rejected.
    real = F.FastNumber.format

    def wrong(self: F.FastNumber, value: int | float | Decimal) -> str | None:
        out = real(self, value)
        return None if out is None else out.replace("3", "8")

    monkeypatch.setattr(F.FastNumber, "format", wrong)
    info = F.LocaleInfo(F._parse_locale("de-DE").locale)
    assert info.fast_number("decimal", None) is None
    assert info.fast_numbers[("decimal", None)] is None  # remembered: Babel from now on


def test_fast_number_edge_values() -> None:
    for value, expected in [
        (0, "0"), (-0.0, "-0"), (Decimal("-0"), "-0"), (-0.0001, "-0"), (1234567, "1.234.567"),
        (2.5, "2,5"), (0.0005, "0"), (0.0015, "0,002"), (10**15, "1.000.000.000.000.000"),
        ("0012", "12"), (float("inf"), "∞"), (float("nan"), "NaN"),
    ]:  # fmt: skip
        assert F.format_number(value, locale="de-DE") == expected
        assert F.format_number(value, locale="de-DE") == _babel("decimal", value, None, "de-DE")
    # 29+ significant digits do not fit Babel's decimal context: text comes back, as before.
    huge = "1" * 30
    assert F.format_number(huge, locale="en") == _babel("decimal", huge, None, "en") == huge


def test_fast_number_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(F, "_FAST_NUMBER_LIMIT", 3)
    info = F.LocaleInfo(F._parse_locale("en").locale)
    for digits in range(6):
        info.fast_number("decimal", digits)
    assert len(info.fast_numbers) == 3
    assert F.format_number(1.23456, 5, locale="en") == "1.23456"


# --- dates -------------------------------------------------------------------------------

DATES = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))
NAIVE = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1))
DATE_FORMATS = ["short", "medium", "long", "full", "d. MMMM y", "HH:mm", "EEEE, d MMM y h:mm a z"]


def _babel_date_reference(value: object, fmt: str, tag: str) -> str:
    when = F.to_datetime(value)
    if when is None:
        return F.text_of(value)
    info = F._parse_locale(tag)
    try:
        if fmt in F.DATE_STYLES:
            day = when.date() if isinstance(when, dt.datetime) else when
            out = babel_date(day, format=fmt, locale=info.locale)
        else:
            moment = (
                when
                if isinstance(when, dt.datetime)
                else dt.datetime(when.year, when.month, when.day)
            )
            out = babel_datetime(moment, format=fmt, locale=info.locale)
    except (ValueError, KeyError, TypeError, AttributeError):
        return when.isoformat()
    return info.localize_digits(out)


@settings(max_examples=600, deadline=None)
@given(
    value=st.one_of(
        DATES, NAIVE, DATES.map(dt.date.isoformat), NAIVE.map(lambda d: d.isoformat() + "Z"),
        NAIVE.map(lambda d: d.replace(tzinfo=dt.UTC)),
        NAIVE.map(lambda d: d.replace(tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))),
    ),
    fmt=st.sampled_from(DATE_FORMATS),
    tag=st.sampled_from(SOME_LOCALES),
)  # fmt: skip
def test_cached_dates_equal_babel(value: object, fmt: str, tag: str) -> None:
    first = F.format_date(value, fmt, locale=tag)
    assert F.format_date(value, fmt, locale=tag) == first  # served from the cache
    assert first == _babel_date_reference(value, fmt, tag)


def test_date_cache_keeps_instants_in_other_zones_apart() -> None:
    utc = dt.datetime(2024, 3, 5, 12, 0, tzinfo=dt.UTC)
    plus2 = utc.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert utc == plus2  # equal instants ...
    assert F.format_date(utc, "HH:mm", locale="en") == "12:00"
    assert F.format_date(plus2, "HH:mm", locale="en") == "14:00"  # ... formatted apart
    naive = dt.datetime(2024, 3, 5, 12, 0)
    assert F.format_date(naive, "HH:mm z", locale="en") == _babel_date_reference(
        naive, "HH:mm z", "en"
    )
    assert F.format_date(utc, "HH:mm z", locale="en") == _babel_date_reference(utc, "HH:mm z", "en")


def test_date_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(F, "_DATE_CACHE_LIMIT", 5)
    F._date_cache.clear()
    for day in range(1, 20):
        assert F.format_date(f"2024-01-{day:02d}", "long", locale="en") == f"January {day}, 2024"
        assert len(F._date_cache) <= 5
