"""Locale tags: one parse per distinct tag, from Babel's CLDR data, shared by the audience import,
the template filters and messages, and the output formats (``lang``/``dir`` in HTML, Word's
language and bidi settings, the PDF's language and fonts).

:func:`parse_locale` reads a BCP 47 tag (``de-DE``, ``zh-Hans-CN``, ``es-419``) or a POSIX one
(``de_DE``, ``fa_IR.UTF-8``, ``de_DE@euro``) the way Babel's ``Locale.parse`` resolves it
(``zh-CN`` is ``zh-Hans-CN``, ``pa-PK`` is ``pa-Arab-PK``), knows its script (the tag's, else
CLDR's likely one: ``ar`` is written in ``Arab``) and takes the writing direction from
CLDR's character order, so every right-to-left locale CLDR knows (``ary``, ``apc``, ``sdh``,
``skr``, ``bal``, ``pa-PK`` among them) is right to left without a table kept here. A script
subtag Babel has no data for (``ug-Cyrl``) is kept, and its direction is that of the script's
most likely locale in CLDR (``und-Cyrl`` -> ``ru``).

Every function is cached per distinct input: per document they cost a dictionary lookup. A
tag's direction loads the locale's CLDR data on first use, so code that needs only the tag (the
audience import) does not load it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.core import get_global

__all__ = [
    "LocaleTag",
    "canonical_tag",
    "nearest_locale",
    "parse_locale",
    "text_direction",
]

Direction = Literal["ltr", "rtl"]

# Language (2-3 letters) then subtags; "_" and "-" both separate, as in POSIX names.
_SHAPE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*").fullmatch
_SCRIPT = re.compile(r"[A-Za-z]{4}").fullmatch
_CACHE = 4096


@dataclass(frozen=True, slots=True)
class LocaleTag:
    """One locale as CLDR knows it."""

    tag: str  # BCP 47 as resolved: "de-DE", "zh-Hans-CN", "pa-Arab-PK", "ug-Cyrl"
    language: str  # "de"
    script: str | None  # "Hans", "Arab": as given or resolved, else CLDR's likely script
    region: str | None  # "DE", "419"
    locale: Locale = field(compare=False, repr=False)  # Babel's, for formats and plurals
    # The tag without a script CLDR would assume anyway ("zh-Hans-CN" -> "zh-CN"; "sr-Latn"
    # stays): the form tools that know "language-REGION" only (Word) expect.
    minimal: str = field(compare=False, repr=False, default="")
    # A script the tag names that Babel has no data for in this language (ug-Cyrl): its
    # direction is the script's, not the language's.
    other_script: str | None = field(compare=False, repr=False, default=None)

    @property
    def direction(self) -> Direction:
        """``"rtl"`` or ``"ltr"``, from CLDR's character order. Computed on use: it loads the
        locale's CLDR data, which the audience import (that needs only the tag) never does."""
        if self.other_script is not None:
            found = _script_direction(self.other_script)
            if found is not None:
                return found
        return "rtl" if self.locale.character_order == "right-to-left" else "ltr"


def _text(value: str) -> str:
    """``fa_IR.UTF-8`` / ``de_DE@euro`` -> ``fa-IR`` / ``de-DE``."""
    return value.strip().split(".", 1)[0].split("@", 1)[0].replace("_", "-")


@lru_cache(maxsize=256)
def _script_direction(script: str) -> Direction | None:
    likely = get_global("likely_subtags").get(f"und_{script}")
    if likely is None:
        return None
    try:
        order = Locale.parse(likely).character_order
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    return "rtl" if order == "right-to-left" else "ltr"


def _likely_script(language: str, region: str | None) -> str | None:
    """The script CLDR expects for a language (in a region): ``ar`` -> ``Arab``."""
    likely: Mapping[str, str] = get_global("likely_subtags")
    found = (likely.get(f"{language}_{region}") if region else None) or likely.get(language)
    if found is None:
        return None
    subtags = found.split("_")
    return subtags[1] if len(subtags) > 1 and _SCRIPT(subtags[1]) else None


@lru_cache(maxsize=_CACHE)
def parse_locale(value: str) -> LocaleTag | None:
    """The :class:`LocaleTag` of ``value``; None when it is no tag or CLDR does not know it."""
    text = _text(value)
    if _SHAPE(text) is None:
        return None
    try:
        locale = Locale.parse(text, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    script = locale.script
    subtags = text.split("-")
    given = subtags[1].title() if len(subtags) > 1 and _SCRIPT(subtags[1]) else None
    other_script = None
    if given is not None and given != script:
        # Babel has no data for this script in this language (ug-Cyrl): keep the script the
        # tag names; it is written in the direction CLDR gives that script.
        script = other_script = given
    language, region, variant = locale.language, locale.territory, locale.variant
    likely = _likely_script(language, region)
    return LocaleTag(
        tag="-".join(p for p in (language, script, region, variant) if p),
        language=language,
        script=script or likely,
        region=region,
        locale=locale,
        minimal="-".join(p for p in (language, script, region, variant) if p and p != likely),
        other_script=other_script,
    )


@lru_cache(maxsize=_CACHE)
def nearest_locale(value: object) -> LocaleTag | None:
    """:func:`parse_locale`, dropping trailing subtags until CLDR knows the rest (``de-XX`` ->
    ``de``, ``de-DE-u-co-phonebk`` -> ``de-DE``); None when not even the language is known."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    found = parse_locale(value)
    if found is not None:
        return found
    subtags = _text(value).split("-")
    for end in range(len(subtags) - 1, 0, -1):
        found = parse_locale("-".join(subtags[:end]))
        if found is not None:
            return found
    return None


@lru_cache(maxsize=_CACHE)
def text_direction(value: str | None) -> Direction:
    """``"rtl"`` for a locale CLDR writes right to left, else ``"ltr"`` (unknown ones too)."""
    found = nearest_locale(value)
    return found.direction if found is not None else "ltr"


@lru_cache(maxsize=_CACHE)
def canonical_tag(value: str) -> str:
    """The BCP 47 form of ``value`` (:attr:`LocaleTag.tag`); a tag CLDR does not know keeps its
    subtags with their case tidied (``xx_yy`` -> ``xx-YY``), so it can still be matched."""
    found = parse_locale(value)
    if found is not None:
        return found.tag
    subtags = _text(value).split("-")
    return "-".join(
        [
            subtags[0].lower(),
            *(s.title() if _SCRIPT(s) else s.upper() if len(s) == 2 else s for s in subtags[1:]),
        ]
    )


def language_of(tag: str) -> str:
    """The language subtag of a locale tag, lowercased (``de-AT`` -> ``de``, ``pt_BR`` ->
    ``pt``), without asking CLDR: briefs, catalogs and channels name languages this way."""
    return tag.replace("_", "-").split("-", 1)[0].strip().lower()
