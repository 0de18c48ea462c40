"""Per-row validation of audience data: key, duplicates, email, required fields, consent, locale.

Everything here is built once per file and then called once per row, so the hot path is plain
dict lookups, one precompiled regex and two compact first-row tables (keys, addresses); Babel is
consulted once per distinct locale value.
"""

from __future__ import annotations

import ast
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Protocol

from brandloom.audiences.mapping import ColumnPlan
from brandloom.audiences.types import TypeParser
from brandloom.kit.address import (
    MAX_ADDRESS_LENGTH,
    PLAIN_ADDRESS,
    InvalidAddress,
    address_key,
)
from brandloom.kit.locale import parse_locale


@dataclass(slots=True)
class ContactRow:
    """One accepted contact."""

    row: int  # 1-based data row number
    key: str  # normalized key (email key: stripped + lowercased; other keys: stripped)
    email: str | None  # stripped, None when there is no email column or it is empty
    locale: str | None  # BCP 47 ("de-DE", "zh-Hans-CN"), None when empty
    consent: str  # "granted" | "denied" | "unknown"
    consent_source: str | None
    consent_at: str | None  # ISO 8601
    attributes: dict[str, Any]  # template variables (text unless typed), see AudienceReader
    # The row of the first accepted contact with the same address (case-insensitive, domain in
    # ASCII): its own row for the first one, None without an address. Decided here, in file
    # order, because the chunks of a job render apart.
    email_row: int | None = None


@dataclass(slots=True)
class RejectedRow:
    """One data row that was not imported, with a stable ``code`` and a human ``reason``."""

    row: int
    code: str
    reason: str
    raw: list[str]  # field values as read (undecodable bytes shown as U+FFFD)


Result = ContactRow | RejectedRow


class Validator(Protocol):
    """``check(row, fields, natives=None)``: ``natives`` are the values as the file holds them
    (JSON values, XLSX cells) where they are more than text; typed columns read them."""

    def __call__(self, row: int, fields: list[str], natives: list[Any] | None = None) -> Result: ...


# --------------------------------------------------------------------------------------- email
# Addresses follow brandloom.kit.address, the rules EML building uses too: an address accepted
# here can always be mailed. The domain needs at least one dot (a marketing contact at
# "user@localhost" is useless).


def key_candidates(key: str) -> tuple[str, ...]:
    """The stored keys a key typed by a user may stand for: itself, and the key it has as an
    e-mail key (``Ann@Straße.de`` -> ``ann@xn--strae-oqa.de``; others lowercased)."""
    wanted = key.strip()
    try:
        mailbox = address_key(wanted)
    except InvalidAddress:
        mailbox = wanted.lower()
    return tuple(dict.fromkeys((wanted, mailbox)))


# ------------------------------------------------------------------------------------- consent
_GRANTED = (
    *("yes", "y", "true", "t", "1", "granted", "consented", "consent", "confirmed"),
    *("opt-in", "opted-in", "optin", "optedin", "opt_in", "subscribed", "subscribe"),
    *("double-opt-in", "double-opted-in", "doi", "accepted", "agreed"),
    *("ja", "oui", "si", "sí"),
)
_DENIED = (
    *("no", "n", "false", "f", "0", "denied", "declined", "refused", "rejected"),
    *("opt-out", "opted-out", "optout", "optedout", "opt_out", "unsubscribed", "unsubscribe"),
    *("revoked", "withdrawn", "nein", "non"),
)
_UNKNOWN = ("", "unknown", "pending")
#: Normalized (stripped, lowercased) consent value -> "granted" | "denied" | "unknown".
CONSENT_VALUES: dict[str, str] = {
    **dict.fromkeys(_GRANTED, "granted"),
    **dict.fromkeys(_DENIED, "denied"),
    **dict.fromkeys(_UNKNOWN, "unknown"),
}
for _value in list(CONSENT_VALUES):  # "opt in", "double opt in" spelled with spaces
    CONSENT_VALUES.setdefault(_value.replace("-", " "), CONSENT_VALUES[_value])
# Raw spellings seen in exports, so the common case needs no strip()/lower().
_CONSENT_RAW: dict[str, str] = dict(CONSENT_VALUES)
for _value in list(CONSENT_VALUES):
    _CONSENT_RAW.setdefault(_value.upper(), CONSENT_VALUES[_value])
    _CONSENT_RAW.setdefault(_value.title(), CONSENT_VALUES[_value])
_CONSENT_RAW.update({"TRUE": "granted", "FALSE": "denied", "True": "granted", "False": "denied"})


def normalize_consent(value: str) -> str | None:
    """``"Opt-In"`` -> ``"granted"``; ``""`` -> ``"unknown"``; unrecognized -> ``None``."""
    found = _CONSENT_RAW.get(value)
    if found is None:
        found = CONSENT_VALUES.get(" ".join(value.strip().lower().replace("_", "-").split()))
    return found


# ------------------------------------------------------------------------------------ consent_at
def normalize_timestamp(value: str) -> str | None:
    """ISO 8601 date or datetime -> normalized ISO string (``Z`` becomes ``+00:00``); ``""`` for
    a blank value; ``None`` when it does not parse."""
    text = value.strip()
    if not text:
        return ""
    try:
        if len(text) <= 10:
            return date.fromisoformat(text).isoformat()
        if text[-1] in "zZ":
            text = text[:-1] + "+00:00"
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------- locale
def normalize_locale(value: str) -> str | None:
    """``"de_DE"``, ``"de-de"``, ``"EN"``, ``"zh-Hans-CN"`` -> BCP 47 (``"de-DE"``, ``"en"``,
    ``"zh-Hans-CN"``) as CLDR resolves it (see :func:`brandloom.kit.locale.parse_locale`: so
    ``"zh-CN"`` becomes ``"zh-Hans-CN"``); ``""`` for a blank value; ``None`` when CLDR does
    not know it."""
    if not value.strip():
        return ""
    found = parse_locale(value)
    return found.tag if found is not None else None


# ------------------------------------------------------------------------------------- the rows
_CACHE_LIMIT = 50_000  # distinct locale / timestamp values remembered per file
_MISSING: Final = "\x00missing"
_INITIAL_SLOTS = 1024


def _dict_builder(entries: list[tuple[int, str]]) -> Callable[[list[str]], dict[str, str]]:
    """``lambda f: {name: f[index], ...}`` compiled from an AST: a dict display with constant
    keys is ~3x faster than ``dict(zip(names, fields))``. Later entries win on equal names.
    Names only ever become string constants, never code."""
    row = ast.Name(id="f", ctx=ast.Load())
    display = ast.Dict(
        keys=[ast.Constant(value=name) for _, name in entries],
        values=[
            ast.Subscript(value=row, slice=ast.Constant(value=index), ctx=ast.Load())
            for index, _ in entries
        ],
    )
    function = ast.Lambda(
        args=ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg="f")],
            kwonlyargs=[],
            kw_defaults=[],
            defaults=[],
        ),
        body=display,
    )
    code = compile(ast.fix_missing_locations(ast.Expression(body=function)), "<attributes>", "eval")
    builder: Callable[[list[str]], dict[str, str]] = eval(code, {"__builtins__": {}})  # noqa: S307
    return builder


_TypedColumn = tuple[str, int, Callable[[Any], Any], str, str]


def _typed_columns(
    entries: list[tuple[int, str]],
    headers: list[str],
    types: Mapping[str, str],
    parser: TypeParser | None,
) -> list[_TypedColumn]:
    """(variable, column index, parse, header, what it expects) per declared non-text type."""
    if not types or parser is None:
        return []
    typed: list[_TypedColumn] = []
    for index, name in entries:
        type_ = types.get(name)
        if type_ is not None and type_ != "string":
            typed.append((name, index, parser.parse(type_), headers[index], parser.expected(type_)))
    return typed


def _table(expected: int) -> tuple[array[int], array[int]]:
    """An empty first-row table for ``expected`` values: ``hash(value)`` -> the first row that
    claimed it, by open addressing in two flat arrays (about 24 MB per million values, against
    ~100 MB for a dict of ints and more for the strings). Hashes are nonzero (0 marks a free
    slot), rows start at 1. Two different values with equal 64-bit hashes count as one; with
    10^6 values the odds are about 10^-7 per file. Kept at most half full."""
    size = _INITIAL_SLOTS
    while size < 2 * expected:
        size <<= 1
    return array("q", [0]) * size, array("I", [0]) * size


def _grown(hashes: array[int], firsts: array[int]) -> tuple[array[int], array[int]]:
    """The table at twice the size, every entry moved over."""
    size = 2 * len(hashes)
    new_hashes = array("q", [0]) * size
    new_firsts = array("I", [0]) * size
    mask = size - 1
    for old_slot, old_h in enumerate(hashes):
        if old_h:
            i = old_h & mask
            while new_hashes[i]:
                i = (i + 1) & mask
            new_hashes[i] = old_h
            new_firsts[i] = firsts[old_slot]
    return new_hashes, new_firsts


class _FirstRows:
    """A first-row table (see :func:`_table`) asked once per value: :meth:`first_or_claim`."""

    __slots__ = ("_firsts", "_hashes", "_mask", "_room")

    def __init__(self, expected: int) -> None:
        self._hashes, self._firsts = _table(expected)
        self._mask = len(self._hashes) - 1
        self._room = len(self._hashes) // 2

    def first_or_claim(self, h: int, row: int) -> int:
        """The row that claimed ``h`` first; ``row`` itself when none had (it claims it)."""
        hashes = self._hashes
        mask = self._mask
        slot = h & mask
        taken = hashes[slot]
        while taken:
            if taken == h:
                return self._firsts[slot]
            slot = (slot + 1) & mask
            taken = hashes[slot]
        hashes[slot] = h
        self._firsts[slot] = row
        self._room -= 1
        if not self._room:
            self._hashes, self._firsts = _grown(hashes, self._firsts)
            self._mask = len(self._hashes) - 1
            self._room = len(self._hashes) // 4  # half full now: grows again at half
        return row


def _shown(value: str, limit: int = 80) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


def build_validator(
    plan: ColumnPlan,
    *,
    expected_rows: int = 0,
    types: Mapping[str, str] | None = None,
    parser: TypeParser | None = None,
) -> Validator:
    """Return ``check(row, fields, natives=None)`` validating one structurally sound row
    (``len(fields) == len(plan.headers)``, decoded, no NUL, no over-long field; ``natives``: the
    same values as the file typed them, XLSX cells or JSONL values, read by typed columns).

    Checks in order, first failure wins: ``key.missing``, ``key.duplicate``, ``email.invalid``,
    ``field.required``, ``consent.invalid``, ``consent_at.invalid``, ``locale.invalid``,
    ``field.type`` (a value of a declared ``types`` column that ``parser`` cannot read). Only
    accepted rows claim their key, so a later valid row with the key of a rejected one is kept.

    Addresses follow :mod:`brandloom.kit.address`. An e-mail key is the address's
    :func:`~brandloom.kit.address.address_key` (lowercase, the domain in ASCII), so two rows
    reaching one mailbox are a duplicate key. With another key, each accepted contact with an
    address records the row of the first accepted contact with the same address key
    (``email_row``): a later one is flagged when its documents are rendered
    (``contact.duplicate_email``), not rejected, as its key differs.
    Keys and addresses are remembered by hash (see :func:`_table`).
    """
    headers = plan.headers
    names = plan.names
    fields_at = plan.fields
    key_index = plan.key_index
    key_header = headers[key_index]
    email_index = fields_at.get("email", -1)
    email_header = headers[email_index] if email_index >= 0 else ""
    key_is_email = email_index == key_index
    consent_index = fields_at.get("consent", -1)
    consent_header = headers[consent_index] if consent_index >= 0 else ""
    source_index = fields_at.get("consent_source", -1)
    at_index = fields_at.get("consent_at", -1)
    at_header = headers[at_index] if at_index >= 0 else ""
    locale_index = fields_at.get("locale", -1)
    locale_header = headers[locale_index] if locale_index >= 0 else ""
    required = tuple((index, headers[index]) for index in plan.required)
    # canonical fields whose column has another variable name are added under the canonical name
    aliases = [(name, index) for name, index in fields_at.items() if names[index] != name]
    entries = [*enumerate(names), *((i, n) for n, i in aliases)]
    build_attributes = _dict_builder(entries)
    typed = _typed_columns(entries, headers, types or {}, parser)
    consent_raw = _CONSENT_RAW.get
    new_contact = object.__new__
    timestamps: dict[str, str | None] = {}
    locales: dict[str, str | None] = {}
    email_match = PLAIN_ADDRESS
    hashes, firsts = _table(expected_rows)
    mask = len(hashes) - 1
    room = len(hashes) // 2
    addresses = _FirstRows(expected_rows if email_index >= 0 and not key_is_email else 0)
    address_first = addresses.first_or_claim

    def check(row: int, fields: list[str], natives: list[Any] | None = None) -> Result:
        nonlocal hashes, firsts, mask, room
        stripped = fields[key_index].strip()
        bad_address: str | None = None
        if key_is_email:
            # An e-mail key is its address's key (address_key): one mailbox is one contact.
            if email_match(stripped) is not None and len(stripped) <= MAX_ADDRESS_LENGTH:
                key = stripped.lower()  # address_key's plain case, inline
            elif stripped:
                try:
                    key = address_key(stripped)
                except InvalidAddress as exc:
                    key, bad_address = stripped.lower(), exc.reason
            else:
                key = ""
        else:
            key = stripped  # an e-mail key is the branch above: other keys keep their case
        if not key:
            return RejectedRow(row, "key.missing", f"empty key in column {key_header!r}", fields)
        h = hash(key) or 1
        slot = h & mask
        taken = hashes[slot]
        while taken:
            if taken == h:
                return RejectedRow(
                    row,
                    "key.duplicate",
                    f"duplicate key {_shown(key)} in column {key_header!r} "
                    f"(first seen at row {firsts[slot]})",
                    fields,
                )
            slot = (slot + 1) & mask
            taken = hashes[slot]

        email: str | None = None
        address_h = 0
        if key_is_email:
            email = stripped
        elif email_index >= 0:
            email = fields[email_index].strip() or None
            if email is None:
                pass
            elif email_match(email) is not None and len(email) <= MAX_ADDRESS_LENGTH:
                address_h = hash(email.lower()) or 1
            else:
                try:
                    address_h = hash(address_key(email)) or 1
                except InvalidAddress as exc:
                    bad_address = exc.reason
        if bad_address is not None:
            assert email is not None
            return RejectedRow(
                row,
                "email.invalid",
                f"invalid email in column {email_header!r}: {_shown(email)} ({bad_address})",
                fields,
            )
        if required:
            for index, header in required:
                if not fields[index].strip():
                    return RejectedRow(
                        row, "field.required", f"required column {header!r} is empty", fields
                    )
        consent = "unknown"
        if consent_index >= 0:
            raw = fields[consent_index]
            found = consent_raw(raw) or normalize_consent(raw)
            if found is None:
                return RejectedRow(
                    row,
                    "consent.invalid",
                    f"unrecognized consent value in column {consent_header!r}: {_shown(raw)}",
                    fields,
                )
            consent = found
        consent_at: str | None = None
        if at_index >= 0:
            raw = fields[at_index]
            if raw:
                consent_at = timestamps.get(raw, _MISSING)
                if consent_at is _MISSING:
                    consent_at = normalize_timestamp(raw)
                    if len(timestamps) < _CACHE_LIMIT:
                        timestamps[raw] = consent_at
                if consent_at is None:
                    return RejectedRow(
                        row,
                        "consent_at.invalid",
                        f"invalid date in column {at_header!r}: {_shown(raw)} "
                        "(expected ISO 8601 like 2024-05-31 or 2024-05-31T14:30:00Z)",
                        fields,
                    )
                consent_at = consent_at or None
        locale: str | None = None
        if locale_index >= 0:
            raw = fields[locale_index]
            if raw:
                locale = locales.get(raw, _MISSING)
                if locale is _MISSING:
                    locale = normalize_locale(raw)
                    if len(locales) < _CACHE_LIMIT:
                        locales[raw] = locale
                if locale is None:
                    return RejectedRow(
                        row,
                        "locale.invalid",
                        f"invalid locale in column {locale_header!r}: {_shown(raw)}",
                        fields,
                    )
                locale = locale or None
        source: str | None = None
        if source_index >= 0:
            source = fields[source_index].strip() or None

        attributes = build_attributes(fields)
        if typed:
            given: list[Any] = fields if natives is None else natives
            for name, index, parse, header, expected in typed:
                raw = given[index]
                try:
                    attributes[name] = parse(raw)
                except (ValueError, TypeError, ArithmeticError):
                    shown = raw if isinstance(raw, str) else fields[index]
                    return RejectedRow(
                        row,
                        "field.type",
                        f"row {row}, column {header!r} ({name}): {_shown(shown)} is not {expected}",
                        fields,
                    )
        hashes[slot] = h
        firsts[slot] = row
        room -= 1
        if not room:
            hashes, firsts = _grown(hashes, firsts)
            mask = len(hashes) - 1
            room = len(hashes) // 4  # half full now: grows again at half
        # Keys are unique, so an e-mail key is the first row of its address.
        email_row = row if key_is_email else address_first(address_h, row) if address_h else None
        # Same as ContactRow(row, key, ...) minus the __init__ call (~0.3 us of ~4 us per row);
        # tests pin that both build equal objects.
        contact = new_contact(ContactRow)
        contact.row = row
        contact.key = key
        contact.email = email
        contact.locale = locale
        contact.consent = consent
        contact.consent_source = source
        contact.consent_at = consent_at
        contact.attributes = attributes
        contact.email_row = email_row
        return contact

    return check
