"""One locale model from CLDR: tags, scripts and writing direction."""

from __future__ import annotations

import pytest
from babel import Locale

from brandloom.kit import locale as locale_module
from brandloom.kit.locale import (
    LocaleTag,
    canonical_tag,
    nearest_locale,
    parse_locale,
    text_direction,
)


@pytest.mark.parametrize("tag", ["ary", "apc", "sdh", "skr", "bal", "pa-PK"])
def test_cldr_right_to_left_locales_a_hand_made_table_missed(tag: str) -> None:
    found = parse_locale(tag)
    assert found is not None and found.direction == "rtl"
    assert text_direction(tag) == "rtl"


@pytest.mark.parametrize(
    ("tag", "direction"),
    [
        ("ar", "rtl"),
        ("he_IL.UTF-8", "rtl"),
        ("iw", "rtl"),
        ("fa-IR", "rtl"),
        ("ckb", "rtl"),
        ("az-Arab", "rtl"),  # the script decides
        ("ug", "rtl"),
        ("ug-Cyrl", "ltr"),  # a script Babel has no data for in this language: CLDR's und-Cyrl
        ("bal-Latn", "ltr"),
        ("pa", "ltr"),  # Gurmukhi; pa-PK is Arabic script
        ("en-US", "ltr"),
        ("de-XX", "ltr"),  # unknown region: the language's direction
        ("xx", "ltr"),  # unknown: left to right
        (None, "ltr"),
        ("", "ltr"),
    ],
)
def test_direction(tag: str | None, direction: str) -> None:
    assert text_direction(tag) == direction


def test_a_tag_as_cldr_resolves_it() -> None:
    assert parse_locale("de_de") == LocaleTag("de-DE", "de", "Latn", "DE", Locale("de"))
    zh = parse_locale("zh-CN")
    assert zh is not None and (zh.tag, zh.script, zh.region, zh.minimal) == (
        "zh-Hans-CN",
        "Hans",
        "CN",
        "zh-CN",
    )
    pa = parse_locale("pa-PK")
    assert pa is not None and (pa.tag, pa.script, pa.minimal) == ("pa-Arab-PK", "Arab", "pa-PK")
    sr = parse_locale("sr-Latn")
    assert sr is not None and (sr.tag, sr.minimal) == ("sr-Latn", "sr-Latn")
    ar = parse_locale("ar")
    assert ar is not None and ar.script == "Arab"  # CLDR's likely script
    assert parse_locale("es-419") is not None
    assert parse_locale("fa_IR.UTF-8") == parse_locale("fa-IR")
    assert parse_locale("de_DE@euro") == parse_locale("de-DE")
    for bad in ("xx", "d", "de-XX", 'en"><script>', "root", " "):
        assert parse_locale(bad) is None


def test_nearest_locale_drops_what_cldr_does_not_know() -> None:
    assert nearest_locale("de-XX") == parse_locale("de")
    assert nearest_locale("de-DE-u-co-phonebk") == parse_locale("de-DE")
    assert nearest_locale("xx-YY") is None
    assert nearest_locale(42) is None


def test_canonical_tags_keep_unknown_ones_tidied() -> None:
    assert canonical_tag("zh_cn") == "zh-Hans-CN"
    assert canonical_tag("xx_yy") == "xx-YY"
    assert canonical_tag("xx-latn-yy") == "xx-Latn-YY"


def test_each_distinct_tag_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = Locale.parse

    def counting(identifier: object, *args: object, **kwargs: object) -> Locale:
        calls.append(str(identifier))
        return original(identifier, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(locale_module.Locale, "parse", counting)
    caches = (locale_module.parse_locale, locale_module.nearest_locale, text_direction)
    for cached in caches:
        cached.cache_clear()
    try:
        for _ in range(1000):
            assert text_direction("ar-EG") == "rtl"
            assert parse_locale("ar-EG") is not None
        assert calls.count("ar-EG") == 1
    finally:
        for cached in caches:
            cached.cache_clear()
