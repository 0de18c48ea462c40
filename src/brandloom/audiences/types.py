"""Declared column types: text from a spreadsheet becomes numbers, dates and structures.

An audience may declare ``types: {umsatz: decimal, letzter_einkauf: date}`` (keys are variable
names, as templates see them) and a ``locale`` (and optionally ``date_format`` /
``datetime_format``) to read them with. Undeclared columns stay text: nothing is inferred, so a
postcode ``01067`` never loses its zero. Parsing uses Babel (``parse_decimal`` in strict mode,
``parse_date``/``parse_time``); ISO 8601 dates are accepted whatever the locale.

Storage keeps values exact: integers, booleans and JSON values are stored as JSON, decimals as
their ``str`` (``Decimal`` -> text -> ``Decimal`` is lossless, no float ever), dates and
datetimes as ISO 8601. The audience records its ``types``, and :func:`attribute_decoder` turns
the stored text back into ``Decimal``/``date``/``datetime`` when contacts are loaded to render.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Final, Literal, cast, get_args

import orjson
from babel import Locale, UnknownLocaleError
from babel.dates import parse_date, parse_time, tokenize_pattern
from babel.numbers import format_decimal, parse_decimal

from brandloom.audiences.errors import AudienceError

ColumnType = Literal["string", "integer", "decimal", "date", "datetime", "boolean", "json"]
COLUMN_TYPES: Final[tuple[str, ...]] = get_args(ColumnType)
#: Contact fields that are normalized on the row itself and cannot be given a type.
UNTYPED_FIELDS: Final = frozenset({"key", "email", "locale", "consent"})

_TRUE: Final = frozenset({"true", "yes", "y", "1", "ja", "j", "oui", "si", "sí", "wahr", "x"})
_FALSE: Final = frozenset({"false", "no", "n", "0", "nein", "non", "falsch", ""})
_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)").fullmatch
_INTEGER = re.compile(r"[-+]?\d+").fullmatch
# What Babel's lenient date parser is allowed to see: three numbers with separators, no letters
# and nothing after them (it would otherwise drop "14:30" or "x" silently).
_DATE_SHAPE = re.compile(r"\d{1,4}[^\w\s]?\s?\d{1,2}[^\w\s]?\s?\d{1,4}\.?").fullmatch
_DATETIME_SPLIT = re.compile(
    r"(?P<date>\d{1,4}[^\w\s]?\s?\d{1,2}[^\w\s]?\s?\d{1,4}\.?)[\sT,]+"
    r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?)"
).fullmatch

Parse = Callable[[Any], Any]
_MISSING: Final = object()
_CACHE_LIMIT: Final = 50_000  # distinct values remembered per column and file


class TypeParser:
    """Parsers for one import's declared types, built once per file.

    ``parse(type)`` returns a function of one raw value (text; a JSON value from a JSONL file;
    a cell value from an XLSX sheet) that returns the typed value (``None`` for a blank one) or
    raises ``ValueError``; ``expected(type)`` says in words what it accepts.
    """

    def __init__(
        self,
        *,
        locale: str | None = None,
        date_format: str | None = None,
        datetime_format: str | None = None,
    ) -> None:
        self.locale_tag = locale
        self.locale: Locale | None = None
        if locale is not None:
            try:
                self.locale = Locale.parse(locale.strip().replace("-", "_"))
            except (ValueError, TypeError, UnknownLocaleError):
                raise AudienceError(
                    f"audience.locale: unknown locale {locale!r}",
                    code="audience.options",
                    details={"locale": locale},
                ) from None
        self.date_format = date_format
        self.datetime_format = datetime_format
        self._parsers: dict[str, Parse] = {
            "string": _string,
            "integer": self._integer,
            "decimal": self._decimal,
            "date": self._date,
            "datetime": self._datetime,
            "boolean": _boolean,
            "json": _json,
        }

    def parse(self, type_: str) -> Parse:
        """The parser of one column, remembering what each distinct text became (Babel takes
        10-30 us a value; dates and amounts repeat). JSON values are parsed every time: each
        contact gets its own lists and objects."""
        parse = self._parsers[type_]
        if type_ in ("json", "string"):
            return parse
        cache: dict[str, Any] = {}

        def cached(raw: Any) -> Any:
            if raw.__class__ is not str:
                return parse(raw)
            found = cache.get(raw, _MISSING)
            if found is _MISSING:
                found = parse(raw)  # raises before anything is remembered
                if len(cache) < _CACHE_LIMIT:
                    cache[raw] = found
            return found

        return cached

    def expected(self, type_: str) -> str:
        where = f" ({self.locale_tag})" if self.locale is not None else ""
        if type_ == "integer":
            return f"a whole number like {self._sample_number(Decimal(1234))}{where}"
        if type_ == "decimal":
            return f"a number like {self._sample_number(Decimal('1234.50'))}{where}"
        if type_ == "date":
            shown = self.date_format or (self._date_style() if self.locale else "yyyy-MM-dd")
            return f"a date as {shown}{where} or ISO 8601 (2026-02-03)"
        if type_ == "datetime":
            shown = self.datetime_format or (
                f"{self._date_style()} HH:mm" if self.locale else "yyyy-MM-ddTHH:mm:ss"
            )
            return f"a date and time as {shown}{where} or ISO 8601 (2026-02-03T14:30:00)"
        if type_ == "boolean":
            return "true/false, yes/no, 1/0 or ja/nein"
        if type_ == "json":
            return "a JSON value"
        return "text"

    def _sample_number(self, value: Decimal) -> str:
        if self.locale is None:
            return str(value)
        return format_decimal(
            value, format="#,##0.00" if value % 1 else "#,##0", locale=self.locale
        )

    def _date_style(self) -> str:
        assert self.locale is not None
        return str(self.locale.date_formats["medium"].pattern)

    # -- numbers ------------------------------------------------------------------------------
    def _decimal(self, raw: Any) -> Decimal | None:
        if isinstance(raw, bool):
            raise ValueError(raw)
        if isinstance(raw, int):
            return Decimal(raw)
        if isinstance(raw, float):
            return Decimal(repr(raw))  # the shortest text that reads back as this float
        if isinstance(raw, Decimal):
            return raw
        text = _text(raw).strip()
        if not text:
            return None
        if self.locale is None:
            if _PLAIN_NUMBER(text) is None:
                raise ValueError(text)
            return Decimal(text)
        try:
            value = parse_decimal(text, locale=self.locale, strict=True)
        except (ValueError, InvalidOperation):
            raise ValueError(text) from None
        if not value.is_finite():
            raise ValueError(text)
        return value

    def _integer(self, raw: Any) -> int | None:
        if isinstance(raw, bool):
            raise ValueError(raw)
        if isinstance(raw, int):
            return raw
        if isinstance(raw, str) and _INTEGER(raw.strip()) is not None:
            return int(raw.strip())
        value = self._decimal(raw)
        if value is None:
            return None
        if value != value.to_integral_value():
            raise ValueError(raw)
        return int(value)

    # -- dates --------------------------------------------------------------------------------
    def _date(self, raw: Any) -> dt.date | None:
        if isinstance(raw, dt.datetime):  # an XLSX date cell
            if raw.time() != dt.time():
                raise ValueError(raw)
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        text = _text(raw).strip()
        if not text:
            return None
        return self._parse_date(text)

    def _parse_date(self, text: str) -> dt.date:
        if len(text) == 10 and text[4:5] == "-":
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        if self.date_format is not None:
            return _with_pattern(text, self.date_format, self.locale).date()
        if self.locale is None or _DATE_SHAPE(text) is None:
            raise ValueError(text)
        try:
            return parse_date(text, locale=self.locale, format="short")
        except Exception:  # Babel raises ParseError, IndexError, ValueError on odd input
            raise ValueError(text) from None

    def _datetime(self, raw: Any) -> dt.datetime | None:
        if isinstance(raw, dt.datetime):
            return raw
        if isinstance(raw, dt.date):
            return dt.datetime(raw.year, raw.month, raw.day)
        text = _text(raw).strip()
        if not text:
            return None
        iso = text[:-1] + "+00:00" if text[-1] in "zZ" else text
        if text[4:5] == "-":
            try:
                return dt.datetime.fromisoformat(iso)
            except ValueError:
                pass
        if self.datetime_format is not None:
            return _with_pattern(text, self.datetime_format, self.locale)
        match = _DATETIME_SPLIT(text)
        if self.locale is None or match is None:
            raise ValueError(text)
        day = self._parse_date(match["date"])
        try:
            moment = parse_time(match["time"].replace(".", ":", 2), locale=self.locale)
        except Exception:  # Babel raises ParseError, IndexError, ValueError on odd input
            raise ValueError(text) from None
        return dt.datetime.combine(day, moment)


def _text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if raw is None:
        return ""
    raise ValueError(raw)


def _string(raw: Any) -> str:
    return raw if isinstance(raw, str) else orjson.dumps(raw).decode() if raw is not None else ""


def _boolean(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    text = _text(raw).strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(text)


def _json(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw  # already a JSON value (JSONL) or a cell value
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ValueError(raw) from None


# CLDR date field letters -> (regex, datetime field); Babel tokenizes the pattern.
_FIELDS: Final[dict[str, tuple[str, str]]] = {
    "d": (r"\d{1,2}", "day"),
    "M": (r"\d{1,2}", "month"),
    "L": (r"\d{1,2}", "month"),
    "y": (r"\d{1,4}", "year"),
    "H": (r"\d{1,2}", "hour"),
    "h": (r"\d{1,2}", "hour12"),
    "m": (r"\d{1,2}", "minute"),
    "s": (r"\d{1,2}", "second"),
    "a": (r"[AaPp]\.?[Mm]\.?", "ampm"),
}


@lru_cache(maxsize=64)
def _compile_pattern(pattern: str) -> re.Pattern[str]:
    """A regex for a CLDR pattern (``dd.MM.yyyy HH:mm``), tokenized by Babel; numeric fields
    only (a month name, ``MMM``, is refused)."""
    out: list[str] = []
    seen: set[str] = set()
    for kind, value in tokenize_pattern(pattern):
        if kind == "chars":
            out.append(re.escape(str(value)))
            continue
        letter, width = cast("tuple[str, int]", value)
        if letter not in _FIELDS or width > (4 if letter == "y" else 2):
            raise ValueError(f"unsupported field {letter * width!r} (numeric fields only)")
        regex, name = _FIELDS[letter]
        if letter == "y" and width == 2:
            regex = r"\d{2}"
        if name in seen:
            raise ValueError(f"field {letter!r} appears twice")
        seen.add(name)
        out.append(f"(?P<{name}>{regex})")
    if not {"day", "month", "year"} <= seen:
        raise ValueError("a date pattern needs day, month and year (d, M, y)")
    return re.compile("".join(out), re.IGNORECASE)


def check_pattern(pattern: str) -> str | None:
    """Why ``pattern`` cannot be a ``date_format``; ``None`` when it can."""
    if "%" in pattern:
        try:
            dt.datetime(2026, 2, 3, 14, 30).strftime(pattern)
        except ValueError as exc:
            return str(exc)
        return None
    try:
        _compile_pattern(pattern)
    except ValueError as exc:
        return str(exc)
    return None


def _with_pattern(text: str, pattern: str, locale: Locale | None) -> dt.datetime:
    if "%" in pattern:
        return dt.datetime.strptime(text, pattern)  # raises ValueError itself
    match = _compile_pattern(pattern).fullmatch(text)
    if match is None:
        raise ValueError(text)
    parts = match.groupdict()
    year = int(parts["year"])
    if len(parts["year"]) <= 2:
        year += 2000
    hour = int(parts.get("hour") or 0)
    if parts.get("hour12") is not None:
        hour = int(parts["hour12"]) % 12
        if (parts.get("ampm") or "").lower().startswith("p"):
            hour += 12
    return dt.datetime(
        year,
        int(parts["month"]),
        int(parts["day"]),
        hour,
        int(parts.get("minute") or 0),
        int(parts.get("second") or 0),
    )


def type_parser(
    *,
    types: Mapping[str, str],
    locale: str | None,
    date_format: str | None,
    datetime_format: str | None,
) -> TypeParser:
    """The parser for these options, checked without the file: raises ``AudienceError``
    (``audience.types`` / ``audience.options``) for an unknown type, a contact field given a
    type, an unknown locale or an unusable pattern."""
    for name, type_ in types.items():
        if type_ not in COLUMN_TYPES:
            raise AudienceError(
                f"audience.types.{name}: unknown type {type_!r}; types are "
                f"{', '.join(COLUMN_TYPES)}",
                code="audience.types",
                details={"variable": name, "type": type_},
            )
        if name in UNTYPED_FIELDS:
            raise AudienceError(
                f"audience.types.{name}: {name!r} is a contact field brandloom normalizes "
                "itself and cannot be given a type",
                code="audience.types",
                details={"variable": name},
            )
    for field, pattern in (("date_format", date_format), ("datetime_format", datetime_format)):
        if pattern is not None:
            problem = check_pattern(pattern)
            if problem is not None:
                raise AudienceError(
                    f"audience.{field}: {pattern!r} is not a usable pattern: {problem}",
                    code="audience.options",
                    details={field: pattern},
                )
    return TypeParser(locale=locale, date_format=date_format, datetime_format=datetime_format)


def check_types(
    types: Mapping[str, str], variables: list[str] | tuple[str, ...], *, source: str
) -> None:
    """Raise ``AudienceError`` (``audience.types``) for a name that is not a variable of the
    file (its columns' variable names and the contact fields they map to)."""
    for name in types:
        if name not in variables:
            shown = ", ".join(v for v in variables if v not in UNTYPED_FIELDS)
            raise AudienceError(
                f"audience.types.{name}: {source} has no column with the variable name "
                f"{name!r}; variables are: {shown}",
                code="audience.types",
                details={"variable": name},
            )


def stored_default(value: Any) -> Any:
    """orjson ``default``: how a typed value is stored (decimals as exact text)."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__}")


def _decoder(parse: Callable[[str], Any], error: type[Exception]) -> Callable[[Any], Any]:
    """A stored text back to its typed value; anything else, or a text ``parse`` refuses,
    as is."""

    def decode(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return parse(value)
            except error:
                return value
        return value

    return decode


_DECODERS: Final[dict[str, Callable[[Any], Any]]] = {
    "decimal": _decoder(Decimal, InvalidOperation),
    "date": _decoder(dt.date.fromisoformat, ValueError),
    "datetime": _decoder(dt.datetime.fromisoformat, ValueError),
}


def attribute_decoder(
    types: Mapping[str, str] | None,
) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """The function that turns stored attributes back into typed values (in place, returning the
    same dict), or ``None`` when the audience has no column stored as text that is not text
    (the common case costs nothing)."""
    steps = [(name, _DECODERS[t]) for name, t in (types or {}).items() if t in _DECODERS]
    if not steps:
        return None

    def decode(attributes: dict[str, Any]) -> dict[str, Any]:
        for name, step in steps:
            value = attributes.get(name)
            if value is not None:
                attributes[name] = step(value)
        return attributes

    return decode
