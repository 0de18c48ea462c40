"""Catalog files: a locale's messages as YAML, JSON or gettext .po, read and written.

The CLI reads the files a spec names, the API reads uploaded ones; both get the same mapping
(key -> message, nested groups and plural messages allowed in YAML and JSON). A .po file's
``msgid`` is the key and its ``msgstr`` the message; plural .po entries are refused (CLDR plural
messages are written in YAML or JSON as ``count``, ``one``, ``other``, ...).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

import orjson
import yaml

from brandloom.templates.messages import MessagesError

CATALOG_SUFFIXES = (".yaml", ".yml", ".json", ".po")


def catalog_suffix(name: str, where: str) -> str:
    """The file's kind by its name's suffix; a name with another suffix is refused."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in CATALOG_SUFFIXES:
        raise MessagesError(
            f"{where}: {PurePath(name).name}: a catalog is a {', '.join(CATALOG_SUFFIXES)} file"
        )
    return suffix


def parse_catalog(raw: bytes, name: str, where: str) -> dict[str, Any]:
    """A catalog file's messages; ``name`` (a path or an upload's file name) picks the format
    and is named, with ``where`` (``template.messages.de``), in every error."""
    suffix = catalog_suffix(name, where)
    if suffix == ".po":
        return _read_po(raw, name, where)
    try:
        data = orjson.loads(raw) if suffix == ".json" else yaml.safe_load(raw)
    except (orjson.JSONDecodeError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MessagesError(f"{where}: {name}: not valid {suffix[1:].upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise MessagesError(f"{where}: {name}: expected a mapping of key -> message")
    return data


def _read_po(raw: bytes, name: str, where: str) -> dict[str, Any]:
    from babel.messages.pofile import PoFileError, read_po

    try:
        catalog = read_po(io.BytesIO(raw), abort_invalid=True)
    except (PoFileError, ValueError, UnicodeDecodeError) as exc:
        raise MessagesError(f"{where}: {name}: not a valid .po file: {exc}") from None
    messages: dict[str, Any] = {}
    for message in catalog:
        if not message.id:
            continue  # the header
        if message.pluralizable:
            raise MessagesError(
                f"{where}: {name} line {message.lineno}: plural .po entries are not supported; "
                "write plural messages in YAML or JSON (count, one, other, ...)"
            )
        if not message.string:
            raise MessagesError(
                f"{where}: {name} line {message.lineno}: msgid {message.id!r} has no translation"
            )
        messages[str(message.id)] = str(message.string)
    return messages


def write_pot(keys: Iterable[str], sources: Mapping[str, str] | None = None) -> bytes:
    """A gettext template (.pot) with one entry per key, for translators' tools; ``sources``
    (key -> text, e.g. the default locale's messages) fill each entry's comment."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(fuzzy=False)
    for key in sorted(keys):
        source = (sources or {}).get(key)
        catalog.add(key, "", auto_comments=[source] if source else [])
    out = io.BytesIO()
    write_po(out, catalog, omit_header=False, width=0)
    return out.getvalue()
