"""Engine-independent marketing filters: locale-aware formatting, UTM tagging, escaping.

Every filter degrades gracefully: a value it cannot interpret comes back as text instead of
failing the render, because one odd contact row must not break a bulk job. The formatting
filters (``date``, ``number``, ``currency``, ``percent``) do not do that silently: given an
``unparsed`` list (the engine adapters pass the render's), they append ``(filter, value)`` for
every non-blank value they print unformatted, and QA reports it (``filter.unparsed_value``).
Only that failure branch does any work for it. Locale-aware
filters read the BCP 47 tag from the context variable ``locale`` (the engine adapters pass
it in) and fall back to ``en``.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping, Sized
from decimal import Decimal, InvalidOperation
from decimal import getcontext as _decimal_context
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import NumberPattern, get_decimal_symbol, get_group_symbol, parse_pattern
from babel.numbers import format_currency as _babel_currency
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import format_percent as _babel_percent

from brandloom.kit.locale import nearest_locale

FALLBACK_LOCALE = "en"
DATE_STYLES = frozenset({"short", "medium", "long", "full"})
UTM_KEYS = ("source", "medium", "campaign", "content", "term")

# Digits of the CLDR numbering systems Babel may pick as a locale default. Babel formats
# with the right symbols but always with ASCII digits, so we transliterate.
_ZERO_DIGIT = {
    "arab": 0x0660,
    "arabext": 0x06F0,
    "beng": 0x09E6,
    "deva": 0x0966,
    "gujr": 0x0AE6,
    "guru": 0x0A66,
    "knda": 0x0CE6,
    "khmr": 0x17E0,
    "laoo": 0x0ED0,
    "mlym": 0x0D66,
    "mymr": 0x1040,
    "nkoo": 0x07C0,
    "olck": 0x1C50,
    "orya": 0x0B66,
    "tamldec": 0x0BE6,
    "telu": 0x0C66,
    "thai": 0x0E50,
    "tibt": 0x0F20,
    "adlm": 0x1E950,
    "cakm": 0x11136,
    "mtei": 0xABF0,
    "vaii": 0xA620,
    "java": 0xA9D0,
    "bali": 0x1B50,
    "sund": 0x1BB0,
    "fullwide": 0xFF10,
    "hmnp": 0x1E140,  # Nyiakeng Puachue Hmong (hnj)
}
_DIGIT_TABLES = {
    name: str.maketrans({str(d): chr(zero + d) for d in range(10)})
    for name, zero in _ZERO_DIGIT.items()
}
_NUMERIC = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")


class LocaleInfo:
    """A parsed locale plus what formatting needs from it, cached per tag."""

    __slots__ = ("digits", "fast_numbers", "locale", "numbering", "patterns")

    def __init__(self, locale: Locale) -> None:
        self.locale = locale
        self.patterns: dict[tuple[str, int], Any] = {}
        #: (kind, fraction digits or pattern text) -> verified fast formatter, None when unusable.
        self.fast_numbers: dict[tuple[str, int | str | None], FastNumber | None] = {}
        system = str(getattr(locale, "default_numbering_system", "latn") or "latn")
        self.numbering = system if system in _DIGIT_TABLES else "latn"
        self.digits: dict[int, str] | None = _DIGIT_TABLES.get(system)

    def localize_digits(self, text: str) -> str:
        return text.translate(self.digits) if self.digits is not None else text

    def pattern(self, kind: str, fraction_digits: int) -> Any:
        """The locale's decimal/percent pattern with a fixed number of fraction digits."""
        key = (kind, fraction_digits)
        found = self.patterns.get(key)
        if found is None:
            formats = (
                self.locale.percent_formats if kind == "percent" else self.locale.decimal_formats
            )
            base = formats.get(None)
            if base is None:
                raise ValueError(f"locale {self.locale} has no {kind} pattern")
            pattern = copy.copy(base)
            pattern.frac_prec = (fraction_digits, fraction_digits)
            self.patterns[key] = found = pattern
        return found

    def fast_number(self, kind: str, fmt: int | str | None) -> FastNumber | None:
        """The verified :class:`FastNumber` for a decimal/percent format, ``None`` if unusable.

        ``fmt`` is a number of fraction digits, a CLDR pattern or ``None`` (the locale's own).
        Built and checked against Babel once per locale and format (see :meth:`FastNumber.build`).
        """
        key = (kind, fmt)
        try:
            return self.fast_numbers[key]
        except KeyError:
            pass
        if len(self.fast_numbers) >= _FAST_NUMBER_LIMIT:
            return None  # an unusual number of distinct patterns: stay on the Babel path
        fast: FastNumber | None = None
        try:
            if isinstance(fmt, int):
                pattern = self.pattern(kind, fmt)
            else:
                formats = (
                    self.locale.percent_formats
                    if kind == "percent"
                    else self.locale.decimal_formats
                )
                pattern = parse_pattern(formats[None] if fmt is None else fmt)
            fast = FastNumber.build(pattern, self.locale, self.numbering)
        except Exception:  # any trouble building it: the Babel path decides what happens
            fast = None
        self.fast_numbers[key] = fast
        return fast


# --- fast number formatting ----------------------------------------------------------------

_FAST_NUMBER_LIMIT = 64  # distinct (kind, format) fast formatters per locale
_INT_FAST_LIMIT = 10**15
_BABEL_QUOTED = re.compile(r"'([^']*)'")


def _unquote(match: re.Match[str]) -> str:
    return match.group(1) or "'"


#: Values every fast formatter is checked on against Babel before it is used: signs (with
#: negative zero), zero, small/large integers (grouping), rounding ties and carries, tiny
#: fractions, floats, Decimals with exponents and trailing zeros.
FAST_NUMBER_SAMPLES: tuple[int | float | Decimal, ...] = (
    0, 1, -1, 7, 12, 999, 1000, -1000, 12345, -12345, 123456, 1234567, -7654321, 98765432,
    123456789012, 10**15 - 1, -(10**17), 0.0, -0.0, 0.5, -0.5, 1.5, 2.5, 0.125, 0.135, 1.005,
    2.675, 1234.5, -1234.5678, 0.0001, -0.0001, 0.999999, 9999.9995, 1e-7, 1e16, 3.14159,
    123456789.987654321, 0.256, 0.1234, Decimal("-0"), Decimal("0.000"), Decimal("1E+3"),
    Decimal("-1E+5"), Decimal("12345.6789"), Decimal("9999.9999"), Decimal("0.0005"),
    Decimal("0.0015"), Decimal("-0.0025"), Decimal("1234567.891"), Decimal("37303"),
)  # fmt: skip


class FastNumber:
    """Babel's ``NumberPattern.apply`` for one locale, pattern and numbering system.

    The same ``Decimal`` operations as Babel (so the same rounding, context and errors), but
    the symbols, grouping and affixes are looked up once instead of per call: 2-6x faster than
    ``babel.numbers.format_decimal`` (integers gain most; ``python benchmarks/run.py --only
    micro``), which matters because a bulk job formats numbers for every contact.
    ``tests/templates/test_number_oracle.py`` checks the filters against Babel in every locale.
    Only plain patterns qualify (no scientific notation, significant digits or currency sign), and
    :meth:`build` returns one only when it matches Babel on :data:`FAST_NUMBER_SAMPLES`.
    :meth:`format` returns ``None`` for values it leaves to Babel (infinities, NaN).
    """

    __slots__ = (
        "decimal", "empty", "frac_max", "frac_min", "group", "grouping", "int_factor",
        "int_fraction", "int_min", "prefix", "quantum", "quoted", "scale", "suffix", "thousands",
    )  # fmt: skip

    def __init__(self, pattern: NumberPattern, locale: Locale, numbering: str) -> None:
        self.prefix: tuple[str, str] = (pattern.prefix[0], pattern.prefix[1])
        self.suffix: tuple[str, str] = (pattern.suffix[0], pattern.suffix[1])
        self.scale: int = pattern.scale
        self.int_min: int = pattern.int_prec[0]
        self.frac_min, self.frac_max = (int(pattern.frac_prec[0]), int(pattern.frac_prec[1]))
        self.grouping: tuple[int, int] = (pattern.grouping[0], pattern.grouping[1])
        self.group: str = get_group_symbol(locale, numbering_system=numbering)
        self.decimal: str = get_decimal_symbol(locale, numbering_system=numbering)
        self.quantum = Decimal(10) ** (-self.frac_max)
        self.empty = pattern.number_pattern == ""
        # Integers below _INT_FAST_LIMIT skip the Decimal round trip when that is exact: at most
        # 15 + scale integer digits and frac_max fraction digits fit the 28-digit precision of
        # the default context, so Babel's normalize/quantize neither round nor raise.
        exact = 0 <= self.scale <= 3 and self.frac_max <= 10
        self.int_factor = 10**self.scale if exact else 0
        # Integers: groups of three are Python's "," format; the fraction part is constant.
        self.thousands = self.grouping == (3, 3) and self.int_min <= 1
        self.int_fraction = self._fraction("")
        # Babel strips 'quoted' literals from the whole result; only needed if a quote can occur.
        self.quoted = "'" in "".join((*self.prefix, *self.suffix, self.group, self.decimal))

    @classmethod
    def build(cls, pattern: NumberPattern, locale: Locale, numbering: str) -> FastNumber | None:
        """A fast formatter for ``pattern``, or ``None`` when it is unsupported or not verified."""
        if pattern.exp_prec or "@" in pattern.pattern or "\xa4" in pattern.pattern:
            return None
        if min(pattern.grouping) < 1:
            return None
        fast = cls(pattern, locale, numbering)
        for value in FAST_NUMBER_SAMPLES:
            try:
                expected: str | None = pattern.apply(value, locale, numbering_system=numbering)
            except Exception:
                expected = None
            try:
                got = fast.format(value)
            except Exception:
                got = None
            if got is None or got != expected:
                return None
        return fast

    def format(self, value: int | float | Decimal) -> str | None:
        if (
            type(value) is int
            and self.int_factor
            and -_INT_FAST_LIMIT < value < _INT_FAST_LIMIT
            and _decimal_context().prec >= 28
        ):
            negative = int(value < 0)
            scaled = (-value if negative else value) * self.int_factor
            if self.thousands:
                whole = format(scaled, ",")
                if self.group != ",":
                    whole = whole.replace(",", self.group)
            else:
                whole = self._group(str(scaled))
            number = whole + self.int_fraction
        else:
            if not isinstance(value, Decimal):
                value = Decimal(str(value))
            value = value.scaleb(self.scale)
            negative = int(value.is_signed())
            value = abs(value).normalize()
            if not value.is_finite():
                return None
            whole, _, frac = f"{value.quantize(self.quantum):f}".partition(".")
            number = self._group(whole) + self._fraction(frac)
        out = self.prefix[negative] + ("" if self.empty else number) + self.suffix[negative]
        return _BABEL_QUOTED.sub(_unquote, out) if self.quoted else out

    def _group(self, whole: str) -> str:
        """The integer digits with group separators, as Babel's ``_format_int``."""
        if len(whole) < self.int_min:
            whole = "0" * (self.int_min - len(whole)) + whole
        size, rest = self.grouping
        if len(whole) <= size:
            return whole
        group = self.group
        tail = ""
        while len(whole) > size:
            tail = group + whole[-size:] + tail
            whole = whole[:-size]
            size = rest
        return whole + tail

    def _fraction(self, frac: str) -> str:
        """The decimal symbol and fraction digits (or nothing), as Babel's ``_format_frac``."""
        frac = frac or "0"
        low = self.frac_min
        if len(frac) < low:
            frac += "0" * (low - len(frac))
        if self.frac_max == 0 or (low == 0 and int(frac) == 0):
            return ""
        frac = frac.rstrip("0")
        if len(frac) < low:
            frac += "0" * (low - len(frac))
        return self.decimal + frac


@lru_cache(maxsize=512)
def _parse_locale(tag: str) -> LocaleInfo:
    # The nearest locale CLDR knows (de-XX -> de), else the fallback.
    found = nearest_locale(tag) or nearest_locale(FALLBACK_LOCALE)
    assert found is not None
    return LocaleInfo(found.locale)


def locale_info(tag: object) -> LocaleInfo:
    """The cached :class:`LocaleInfo` for a BCP 47 / POSIX tag, ``en`` when unusable."""
    if isinstance(tag, str) and tag and len(tag) <= 64:
        return _parse_locale(tag)
    return _parse_locale(FALLBACK_LOCALE)


# --- helpers ---------------------------------------------------------------------------


def text_of(value: object) -> str:
    """``str(value)`` with ``None`` as empty text (undefined values stringify to ``""``)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def is_blank(value: object) -> bool:
    """Missing, ``None``, ``False``, empty/whitespace text or an empty collection."""
    if value is None or value is False:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (int, float, Decimal)):
        return False
    if isinstance(value, Sized) and not isinstance(value, Mapping):
        try:
            return len(value) == 0
        except Exception:
            return False
    if isinstance(value, Mapping):
        return len(value) == 0
    return not bool(value)


def default(value: Any, default_value: Any = "") -> Any:
    """``value`` unless it is missing or blank (``None``, ``""``, empty collection).

    Numbers and ``True`` are never blank: ``0`` prints ``0``.
    """
    if value.__class__ is str:  # the common case, kept cheap
        return value if value and not value.isspace() else default_value
    return default_value if is_blank(value) else value


def to_number(value: object) -> int | float | Decimal | None:
    """A number from a number or numeric text, ``None`` when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, str) and len(value) < 64 and _NUMERIC.fullmatch(value):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def to_datetime(value: object) -> dt.date | None:
    """A date/datetime from a date, datetime, ISO 8601 text or a UNIX timestamp."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 40:
            return None
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text)
            return dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


# --- locale-aware formatting -------------------------------------------------------------

#: Where a formatting filter notes a value it printed unformatted: (filter name, the value).
Unparsed = list[tuple[str, str]]


def unformatted(name: str, value: object, unparsed: Unparsed | None) -> str:
    """``value`` as text, unchanged; a non-blank one is noted in ``unparsed`` (see the module
    docstring). Blank and missing values are not: ``variable.empty``/``unresolved`` cover them."""
    text = text_of(value)
    if unparsed is not None and text and not text.isspace():
        unparsed.append((name, text))
    return text


_DATE_CACHE_LIMIT = 8192
# (locale info, style, date or datetime, naive?) -> formatted text. Formatting is a pure
# function of these for plain dates and for naive or UTC datetimes (what ISO text, timestamps
# and the usual data give), so results are memoized; other values always go to Babel.
_date_cache: dict[tuple[LocaleInfo, str, dt.date, bool], str] = {}


def format_date(
    value: object,
    fmt: object = "medium",
    *,
    locale: object = None,
    unparsed: Unparsed | None = None,
) -> str:
    """``short|medium|long|full`` date style or a CLDR pattern (``d. MMMM y``, ``HH:mm``).

    A format containing ``%`` is a (locale-independent) ``strftime`` format, as Liquid
    templates written for Shopify expect.
    """
    when = to_datetime(value)
    if when is None:
        return unformatted("date", value, unparsed)
    info = locale_info(locale)
    style = fmt if isinstance(fmt, str) and fmt else "medium"
    if "%" in style:
        try:
            return when.strftime(style[:200])
        except (ValueError, KeyError, TypeError, AttributeError):
            return when.isoformat()
    key: tuple[LocaleInfo, str, dt.date, bool] | None = None
    if style in DATE_STYLES:
        day = when.date() if isinstance(when, dt.datetime) else when
        if type(day) is dt.date:
            key = (info, style, day, True)
    else:
        moment = (
            when if isinstance(when, dt.datetime) else dt.datetime(when.year, when.month, when.day)
        )
        if type(moment) is dt.datetime and (moment.tzinfo is None or moment.tzinfo is dt.UTC):
            key = (info, style, moment, moment.tzinfo is None)
    if key is not None:
        found = _date_cache.get(key)
        if found is not None:
            return found
    try:
        if style in DATE_STYLES:
            out = _babel_date(day, format=style, locale=info.locale)
        else:
            out = _babel_datetime(moment, format=style, locale=info.locale)
    except (ValueError, KeyError, TypeError, AttributeError):
        return when.isoformat()
    out = info.localize_digits(out)
    if key is not None:
        if len(_date_cache) >= _DATE_CACHE_LIMIT:
            _date_cache.clear()
        _date_cache[key] = out
    return out


def _fraction_digits(fmt: object) -> int | None:
    if isinstance(fmt, int) and not isinstance(fmt, bool):
        return max(0, min(fmt, 12))
    return None


def _format_plain(
    kind: str, value: object, fmt: object, locale: object, unparsed: Unparsed | None
) -> str:
    number: int | float | Decimal | None
    if isinstance(value, str) and 0 < len(value) <= 15 and value.isascii() and value.isdigit():
        number = int(value)  # equal to what to_number gives (a Decimal with exponent 0)
    else:
        number = to_number(value)
    if number is None:
        return unformatted(_FILTER_NAMES[kind], value, unparsed)
    info = locale_info(locale)
    digits = _fraction_digits(fmt)
    pattern = fmt if isinstance(fmt, str) and fmt else None
    try:
        fast = info.fast_number(kind, digits if digits is not None else pattern)
        out = fast.format(number) if fast is not None else None
        if out is not None:
            pass  # the verified fast path: the same text as Babel's, without its lookups
        elif digits is not None:
            out = info.pattern(kind, digits).apply(
                number, info.locale, numbering_system=info.numbering
            )
        else:
            babel_format = _babel_percent if kind == "percent" else _babel_decimal
            out = babel_format(
                number, format=pattern, locale=info.locale, numbering_system=info.numbering
            )
    except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError):
        return unformatted(_FILTER_NAMES[kind], value, unparsed)
    return info.localize_digits(out)


_FILTER_NAMES = {"decimal": "number", "percent": "percent"}


def format_number(
    value: object, fmt: object = None, *, locale: object = None, unparsed: Unparsed | None = None
) -> str:
    """Locale-aware decimal (``1.234,5`` in de-DE).

    ``fmt`` is a number of fraction digits (``2`` -> ``1.234,50``) or a CLDR pattern
    (``#,##0.00``).
    """
    return _format_plain("decimal", value, fmt, locale, unparsed)


def format_currency(
    value: object,
    code: object = "USD",
    fmt: object = None,
    *,
    locale: object = None,
    unparsed: Unparsed | None = None,
) -> str:
    """Locale-aware money amount for an ISO 4217 code (``1.234,50 €`` for EUR in de-DE)."""
    number = to_number(value)
    if number is None:
        return unformatted("currency", value, unparsed)
    info = locale_info(locale)
    currency = code.strip().upper() if isinstance(code, str) and code.strip() else "USD"
    pattern = fmt if isinstance(fmt, str) and fmt else None
    try:
        out = _babel_currency(
            number,
            currency[:8],
            format=pattern,
            locale=info.locale,
            numbering_system=info.numbering,
        )
    except (ValueError, KeyError, TypeError, ArithmeticError):
        return unformatted("currency", value, unparsed)
    return info.localize_digits(out)


def format_percent(
    value: object, fmt: object = None, *, locale: object = None, unparsed: Unparsed | None = None
) -> str:
    """Locale-aware percentage of a ratio: ``0.25`` -> ``25 %`` in de-DE.

    ``fmt`` is a number of fraction digits or a CLDR pattern, as for :func:`format_number`.
    """
    return _format_plain("percent", value, fmt, locale, unparsed)


# --- text ------------------------------------------------------------------------------

_WORD_BREAK = re.compile(r"([-\s(\[{<\"/]+)")


def title(value: object) -> str:
    """Capitalise each word (``o'neil-smith`` -> ``O'neil-Smith``; keeps ``it's`` sane)."""
    return "".join(
        piece[:1].upper() + piece[1:].lower() if piece else piece
        for piece in _WORD_BREAK.split(text_of(value))
    )


def url_encode(value: object) -> str:
    """Percent-encode text for a query-string value (spaces become ``+``)."""
    return quote_plus(text_of(value), safe="")


def utm(
    url: object,
    source: object = None,
    medium: object = None,
    campaign: object = None,
    content: object = None,
    term: object = None,
) -> str:
    """Add or replace ``utm_*`` query parameters on an http(s) URL, keeping the fragment.

    Parameters that are missing or blank are left alone; other query parameters keep
    their exact encoding and order.
    """
    text = text_of(url).strip()
    if not text:
        return text
    values = dict(zip(UTM_KEYS, (source, medium, campaign, content, term), strict=True))
    params = [(f"utm_{k}", text_of(v)) for k, v in values.items() if not is_blank(v)]
    if not params:
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if parts.scheme.lower() not in ("http", "https", ""):
        return text
    replaced = {name for name, _ in params}
    kept = [
        item
        for item in parts.query.split("&")
        if item and unquote_plus(item.split("=", 1)[0]) not in replaced
    ]
    kept.extend(f"{name}={quote(val, safe='')}" for name, val in params)
    return urlunsplit(parts._replace(query="&".join(kept)))


# --- Markdown escaping -------------------------------------------------------------------

_MD_TABLE = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|~"})
_MD_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_MD_LINE_START = re.compile(
    r"(?m)^([ \t]*)(?:(#)|([-+])(?=[ \t]|$)|(\d{1,9})([.)])(?=[ \t]|$)|([=-]+)[ \t]*$)"
)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, hash_, bullet, digits, dot, rule = match.groups()
    if hash_:
        return f"{indent}\\#"
    if bullet:
        return f"{indent}\\{bullet}"
    if digits:
        return f"{indent}{digits}\\{dot}"
    return indent + "".join("\\" + ch for ch in rule) + match.group(0)[len(indent) + len(rule) :]


def markdown_escape(value: object) -> str:
    """Escape Markdown/HTML-significant characters so data can't add links, HTML or blocks.

    Always escaped: ``\\ ` * _ [ ] < > | ~``; ``&`` before an entity; ``#``, list markers
    and setext underlines at the start of a line.
    """
    text = text_of(value).translate(_MD_TABLE)
    if "&" in text:
        text = _MD_ENTITY.sub(r"\\&", text)
    if any(ch in text for ch in "#-+=.)"):
        text = _MD_LINE_START.sub(_escape_line_start, text)
    return text
