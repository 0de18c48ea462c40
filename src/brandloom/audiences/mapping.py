"""Header handling: canonical contact fields, automatic column mapping and variable names.

Headers are matched after *normalization* (lowercase, surrounding whitespace and the characters
space, ``_``, ``-`` and ``.`` removed), so ``"E-Mail"``, ``"e_mail"`` and ``"EMAIL"`` all match
the alias ``email``. Explicit overrides (``ImportOptions.columns``) always win over aliases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from brandloom.audiences.errors import AudienceError

#: Canonical fields in resolution order, each with its aliases (already normalized), best first.
CANONICAL_FIELDS: dict[str, tuple[str, ...]] = {
    "id": (
        "customerid",
        "contactid",
        "id",
        "externalid",
        "subscriberid",
        "userid",
        "clientid",
        "customernumber",
        "kundennummer",
    ),
    "email": ("email", "emailaddress", "mail", "emailadresse", "courriel"),
    "locale": (
        "locale",
        "language",
        "lang",
        "languagecode",
        "preferredlanguage",
        "sprache",
        "langue",
    ),
    "first_name": ("firstname", "givenname", "forename", "vorname", "prenom", "prénom", "nombre"),
    "last_name": ("lastname", "surname", "familyname", "nachname", "nom", "apellido", "apellidos"),
    "consent": (
        "consent",
        "optin",
        "subscribed",
        "marketingconsent",
        "emailconsent",
        "emailoptin",
        "marketingoptin",
        "acceptsemailmarketing",
        "acceptsmarketing",
    ),
    "consent_source": ("consentsource", "optinsource", "consentorigin"),
    "consent_at": (
        "consentat",
        "consentdate",
        "consenttimestamp",
        "consenttime",
        "consentedat",
        "optindate",
        "optintimestamp",
        "optinat",
    ),
}

#: Accepted spellings of canonical names in ``ImportOptions.columns`` / ``key`` / ``required``.
FIELD_SYNONYMS: dict[str, str] = {"key": "id"}

#: Contact fields that every row exposes outside ``attributes``.
ROW_VARIABLES: tuple[str, ...] = (
    "key",
    "email",
    "locale",
    "consent",
    "consent_source",
    "consent_at",
)

_NORMALIZE_RE = re.compile(r"[\s_.\-]+")
_VARIABLE_RE = re.compile(r"[\W_]+")


def normalize_header(header: str) -> str:
    """``" E-Mail Address "`` -> ``"emailaddress"`` (used only for matching)."""
    return _NORMALIZE_RE.sub("", header.lstrip("\ufeff").lower())


def variable_name(header: str) -> str:
    """``"First Name"`` -> ``"first_name"``; ``""`` when nothing alphanumeric is left."""
    return _VARIABLE_RE.sub("_", header.lower()).strip("_")


def variable_names(headers: list[str]) -> list[str]:
    """Variable names for every column, made unique: empty names become ``column_<n>``
    (1-based position) and repeated names get ``_2``, ``_3``, ... appended."""
    names: list[str] = []
    used: set[str] = set()
    for position, header in enumerate(headers, start=1):
        base = variable_name(header) or f"column_{position}"
        name = base
        suffix = 2
        while name in used:
            name = f"{base}_{suffix}"
            suffix += 1
        used.add(name)
        names.append(name)
    return names


def canonical_name(name: str) -> str | None:
    """The canonical field called ``name`` (``"email"``, ``"E-Mail"``, ``"First Name"``,
    ``"key"``), if any."""
    return _CANONICAL_BY_NORMALIZED.get(normalize_header(name))


_CANONICAL_BY_NORMALIZED: dict[str, str] = {
    **{normalize_header(name): name for name in CANONICAL_FIELDS},
    **{normalize_header(name): field for name, field in FIELD_SYNONYMS.items()},
}


def find_header(headers: list[str], name: str) -> int | None:
    """Index of the header called ``name``: exact match first, then ignoring case and surrounding
    whitespace. The first of several equal headers wins."""
    try:
        return headers.index(name)
    except ValueError:
        pass
    wanted = name.strip().casefold()
    for index, header in enumerate(headers):
        if header.strip().lstrip("\ufeff").casefold() == wanted:
            return index
    return None


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    """Where everything lives in a row of ``headers``."""

    headers: list[str]
    names: list[str]  # variable name of every column, same order as headers
    fields: dict[str, int]  # canonical field -> column index
    key_index: int
    key_field: str | None  # canonical field that is the key ("email", "id", ...) or None
    required: list[int]  # column indexes that must be non-empty

    @property
    def mapping(self) -> dict[str, str]:
        return {field: self.headers[index] for field, index in self.fields.items()}

    @property
    def variables(self) -> list[str]:
        out = list(self.names)
        seen = set(out)
        for name in (*self.fields, *ROW_VARIABLES):
            if name not in seen:
                seen.add(name)
                out.append(name)
        return out


def _describe(headers: list[str]) -> str:
    shown = ", ".join(repr(h) for h in headers[:30])
    return shown + (", ..." if len(headers) > 30 else "")


def plan_columns(
    headers: list[str],
    *,
    key: str | None,
    columns: Mapping[str, str],
    required: tuple[str, ...],
) -> ColumnPlan:
    """Resolve overrides, automatic mapping, the key column and required columns.

    Raises :class:`AudienceError` (``audience.mapping``) naming the culprit for an override with
    an unknown field name or a header that does not exist, a key or required column that cannot
    be found, or a file without any usable key column.
    """
    fields: dict[str, int] = {}
    used: set[int] = set()
    for field_name, header in columns.items():
        canonical = canonical_name(field_name)
        if canonical is None:
            raise AudienceError(
                f"unknown contact field {field_name!r} in column mapping; "
                f"known fields: {', '.join(CANONICAL_FIELDS)}",
                code="audience.mapping",
                details={"field": field_name},
            )
        index = find_header(headers, header)
        if index is None:
            raise AudienceError(
                f"column {header!r} (mapped to {canonical!r}) does not exist in the file; "
                f"headers are: {_describe(headers)}",
                code="audience.mapping",
                details={"field": canonical, "column": header},
            )
        fields[canonical] = index
        used.add(index)

    normalized = [normalize_header(h) for h in headers]
    for canonical, aliases in CANONICAL_FIELDS.items():
        if canonical in fields:
            continue
        for alias in aliases:
            match = next(
                (i for i, n in enumerate(normalized) if n == alias and i not in used), None
            )
            if match is not None:
                fields[canonical] = match
                used.add(match)
                break

    key_field: str | None
    if key is not None:
        key_index = find_header(headers, key)
        key_field = None
        if key_index is None:
            canonical = canonical_name(key)
            if canonical is not None and canonical in fields:
                key_index = fields[canonical]
        if key_index is None:
            raise AudienceError(
                f"key column {key!r} not found; headers are: {_describe(headers)}",
                code="audience.mapping",
                details={"key": key},
            )
        key_field = next((f for f, i in fields.items() if i == key_index), None)
    elif "email" in fields:
        key_field, key_index = "email", fields["email"]
    elif "id" in fields:
        key_field, key_index = "id", fields["id"]
    else:
        raise AudienceError(
            "no key column: found neither an email nor an id column; pass the key column "
            f"explicitly. Headers are: {_describe(headers)}",
            code="audience.mapping",
        )

    required_indexes: list[int] = []
    for name in required:
        index = find_header(headers, name)
        if index is None:
            canonical = canonical_name(name)
            if canonical is not None:
                index = fields.get(canonical)
        if index is None:
            raise AudienceError(
                f"required column {name!r} not found; headers are: {_describe(headers)}",
                code="audience.mapping",
                details={"required": name},
            )
        if index not in required_indexes:
            required_indexes.append(index)

    return ColumnPlan(
        headers=headers,
        names=variable_names(headers),
        fields=fields,
        key_index=key_index,
        key_field=key_field,
        required=required_indexes,
    )
