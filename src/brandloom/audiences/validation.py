"""Per-row validation of audience data: key, duplicates, email, required fields, consent, locale.

Everything here is built once per file and then called once per row, so the hot path is plain
dict lookups, one precompiled regex and a compact duplicate table; Babel is consulted once per
distinct locale value.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from babel import Locale, UnknownLocaleError

from brandloom.audiences.mapping import ColumnPlan


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
    attributes: dict[str, str]  # template variables, see AudienceReader


@dataclass(slots=True)
class RejectedRow:
    """One data row that was not imported, with a stable ``code`` and a human ``reason``."""

    row: int
    code: str
    reason: str
    raw: list[str]  # field values as read (undecodable bytes shown as U+FFFD)


Result = ContactRow | RejectedRow
Validator = Callable[[int, list[str]], Result]

# --------------------------------------------------------------------------------------- email
# WHATWG "valid email address" (input type=email), plus: the domain needs at least one dot
# (a marketing contact at "user@localhost" is useless) and the whole address at most 254 chars.
_LOCAL = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL_MATCH = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+").fullmatch
_DOMAIN_MATCH = re.compile(rf"{_LABEL}(?:\.{_LABEL})+").fullmatch
_LOCAL_MATCH = re.compile(_LOCAL).fullmatch
MAX_EMAIL_LENGTH = 254


def is_valid_email(email: str) -> bool:
    """Syntax check only. Non-ASCII (IDN) domains are accepted when they IDNA-encode to a valid
    ASCII domain; the local part must be ASCII (no SMTPUTF8 addresses)."""
    if len(email) > MAX_EMAIL_LENGTH:
        return False
    if _EMAIL_MATCH(email) is not None:
        return True
    if email.isascii():
        return False
    local, at, domain = email.rpartition("@")
    if not at or _LOCAL_MATCH(local) is None:
        return False
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return _DOMAIN_MATCH(ascii_domain) is not None


# ------------------------------------------------------------------------------------- consent
_GRANTED = (
    "yes y true t 1 granted consented consent opt-in opted-in optin optedin opt_in "
    "subscribed subscribe double-opt-in double-opted-in doi confirmed accepted agreed "
    "ja oui si sí"
).split()
_DENIED = (
    "no n false f 0 denied opt-out opted-out optout optedout opt_out unsubscribed "
    "unsubscribe revoked withdrawn declined refused rejected nein non"
).split()
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
    """ISO 8601 date or datetime -> normalized ISO string (``Z`` becomes ``+00:00``); ``None``
    when it does not parse."""
    text = value.strip()
    try:
        if len(text) <= 10:
            return date.fromisoformat(text).isoformat()
        if text[-1] in "zZ":
            text = text[:-1] + "+00:00"
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------- locale
_LOCALE_SHAPE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*").fullmatch


class LocaleCache:
    """Babel-validated locale normalization, computed once per distinct raw value."""

    __slots__ = ("_cache", "_limit")

    def __init__(self, limit: int = 10_000) -> None:
        self._cache: dict[str, str | None] = {}
        self._limit = limit

    def __call__(self, value: str) -> str | None:
        """Normalized BCP 47 tag, or ``None`` when ``value`` is not a valid locale."""
        try:
            return self._cache[value]
        except KeyError:
            pass
        result = _parse_locale(value)
        if len(self._cache) < self._limit:
            self._cache[value] = result
        return result

    def __contains__(self, value: str) -> bool:
        return value in self._cache


def _parse_locale(value: str) -> str | None:
    text = value.strip()
    if _LOCALE_SHAPE(text) is None:
        return None
    try:
        parsed = Locale.parse(text.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    return "-".join(
        part for part in (parsed.language, parsed.script, parsed.territory, parsed.variant) if part
    )


# ------------------------------------------------------------------------------------ duplicates
class KeyIndex:
    """Open-addressing table of ``hash(key)`` -> first row, in two flat arrays.

    Storing 64-bit hashes instead of key strings keeps a million keys at about 24 MB. Two
    different keys with the same 64-bit hash would be reported as duplicates; with ~10^6 keys
    the chance is about 10^-7 per file.
    """

    __slots__ = ("_count", "_hashes", "_limit", "_mask", "_rows")

    def __init__(self, expected: int = 0) -> None:
        size = 1024
        while size < 2 * expected:
            size <<= 1
        self._count = 0
        self._allocate(size)

    def _allocate(self, size: int) -> None:
        self._hashes = array("q", [0]) * size
        self._rows = array("I", [0]) * size
        self._mask = size - 1
        self._limit = size // 2

    def __len__(self) -> int:
        return self._count

    def probe(self, h: int) -> int:
        """``-first_row`` if ``h`` (non-zero) is present, else the free slot for :meth:`insert`."""
        hashes = self._hashes
        mask = self._mask
        i = h & mask
        current = hashes[i]
        while current:
            if current == h:
                return -self._rows[i]
            i = (i + 1) & mask
            current = hashes[i]
        return i

    def insert(self, slot: int, h: int, row: int) -> None:
        """Store ``h`` at ``slot`` (from the :meth:`probe` just before)."""
        self._hashes[slot] = h
        self._rows[slot] = row
        self._count += 1
        if self._count > self._limit:
            old_hashes, old_rows = self._hashes, self._rows
            self._allocate(2 * len(old_hashes))
            hashes, rows, mask = self._hashes, self._rows, self._mask
            for old_slot, old_h in enumerate(old_hashes):
                if old_h:
                    i = old_h & mask
                    while hashes[i]:
                        i = (i + 1) & mask
                    hashes[i] = old_h
                    rows[i] = old_rows[old_slot]


# ------------------------------------------------------------------------------------- the rows
def _shown(value: str, limit: int = 80) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


def build_validator(plan: ColumnPlan, *, expected_rows: int = 0) -> Validator:
    """Return ``check(row, fields)`` validating one structurally sound row (``len(fields) ==
    len(plan.headers)``, decoded, no NUL, no over-long field).

    Checks in order, first failure wins: ``key.missing``, ``key.duplicate``, ``email.invalid``,
    ``field.required``, ``consent.invalid``, ``consent_at.invalid``, ``locale.invalid``. Only
    accepted rows claim their key, so a later valid row with the key of a rejected one is kept.
    """
    headers = plan.headers
    names = plan.names
    fields_at = plan.fields
    key_index = plan.key_index
    key_header = headers[key_index]
    key_lower = plan.key_field == "email"
    email_index = fields_at.get("email", -1)
    email_header = headers[email_index] if email_index >= 0 else ""
    consent_index = fields_at.get("consent", -1)
    consent_header = headers[consent_index] if consent_index >= 0 else ""
    source_index = fields_at.get("consent_source", -1)
    at_index = fields_at.get("consent_at", -1)
    at_header = headers[at_index] if at_index >= 0 else ""
    locale_index = fields_at.get("locale", -1)
    locale_header = headers[locale_index] if locale_index >= 0 else ""
    required = tuple((index, headers[index]) for index in plan.required)
    plain = tuple(
        (name, index)
        for name, index in fields_at.items()
        if name not in ("email", "locale", "consent", "consent_source", "consent_at")
    )
    consent_raw = _CONSENT_RAW.get
    email_match = _EMAIL_MATCH
    locale_of = LocaleCache()
    seen = KeyIndex(expected_rows)
    probe = seen.probe
    insert = seen.insert

    def check(row: int, fields: list[str]) -> Result:
        key = fields[key_index].strip()
        if key_lower:
            key = key.lower()
        if not key:
            return RejectedRow(row, "key.missing", f"empty key in column {key_header!r}", fields)
        h = hash(key) or 1
        slot = probe(h)
        if slot < 0:
            return RejectedRow(
                row,
                "key.duplicate",
                f"duplicate key {_shown(key)} in column {key_header!r} (first seen at row {-slot})",
                fields,
            )
        email: str | None = None
        if email_index >= 0:
            email = fields[email_index].strip()
            if email:
                if (len(email) > MAX_EMAIL_LENGTH or email_match(email) is None) and (
                    not is_valid_email(email)
                ):
                    return RejectedRow(
                        row,
                        "email.invalid",
                        f"invalid email in column {email_header!r}: {_shown(email)}",
                        fields,
                    )
            else:
                email = None
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
            if raw and not raw.isspace():
                consent_at = normalize_timestamp(raw)
                if consent_at is None:
                    return RejectedRow(
                        row,
                        "consent_at.invalid",
                        f"invalid date in column {at_header!r}: {_shown(raw)} "
                        "(expected ISO 8601 like 2024-05-31 or 2024-05-31T14:30:00Z)",
                        fields,
                    )
        locale: str | None = None
        if locale_index >= 0:
            raw = fields[locale_index]
            if raw and not raw.isspace():
                locale = locale_of(raw)
                if locale is None:
                    return RejectedRow(
                        row,
                        "locale.invalid",
                        f"invalid locale in column {locale_header!r}: {_shown(raw)}",
                        fields,
                    )
        source = fields[source_index].strip() or None if source_index >= 0 else None

        attributes = dict(zip(names, fields, strict=False))
        for name, index in plain:
            attributes[name] = fields[index].strip()
        if email_index >= 0:
            attributes["email"] = email or ""
        if locale_index >= 0:
            attributes["locale"] = locale or ""
        if consent_index >= 0:
            attributes["consent"] = consent
        if source_index >= 0:
            attributes["consent_source"] = source or ""
        if at_index >= 0:
            attributes["consent_at"] = consent_at or ""
        insert(slot, h, row)
        return ContactRow(row, key, email, locale, consent, source, consent_at, attributes)

    return check
