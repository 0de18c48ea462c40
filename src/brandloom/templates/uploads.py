"""A template sent as files (multipart): its parts, catalogs and per-locale parts, decoded.

The API's ``POST /v1/templates/files`` takes what a spec folder holds (``email.html``,
``messages/de.yaml``, ...) so nobody has to turn files into JSON strings by hand. Everything
here works on bytes already received; the router enforces the size limit while reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import orjson
import yaml

from brandloom.errors import ValidationFailed
from brandloom.templates.catalog_files import parse_catalog
from brandloom.templates.messages import locale_key
from brandloom.templates.parts import TEXT_PARTS

# A template's file is copy, not data: anything larger is a mistake.
MAX_TEMPLATE_FILE_BYTES = 2 * 1024 * 1024


def decode_text(raw: bytes, field: str, filename: str | None) -> str:
    """A part's text: UTF-8 (a BOM is dropped); anything else is refused naming the field."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"{field} ({filename or 'upload'}): not UTF-8 text (byte {exc.start})",
            code="template.not_utf8",
        ) from None


def catalog_locale(filename: str | None, field: str) -> str:
    """The locale a catalog file is for, from its name: ``de.yaml``, ``pt-BR.po``,
    ``messages/de_AT.json``."""
    stem = PurePath(filename or "").stem
    if not stem:
        raise ValidationFailed(
            f"{field}: a catalog file is named by its locale (de.yaml, pt-BR.po)",
            code="template.messages",
        )
    return locale_key(stem)


def uploaded_messages(files: list[tuple[str | None, bytes]]) -> dict[str, dict[str, Any]]:
    """Catalog files (filename, bytes) -> locale -> messages; two files for one locale and a
    name that is not a catalog (.yaml, .yml, .json, .po) are refused."""
    out: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for filename, raw in files:
        locale = catalog_locale(filename, "messages")
        name = PurePath(filename or "").name
        if locale in out:
            raise ValidationFailed(
                f"messages: {names[locale]} and {name} are both catalogs for '{locale}'",
                code="template.messages",
            )
        out[locale] = parse_catalog(raw, name, f"messages.{locale}")
        names[locale] = name
    return out


def uploaded_locales(raw: bytes, filename: str | None) -> dict[str, dict[str, str]]:
    """A YAML or JSON file: locale -> part -> text (``{ja: {subject: ...}}``)."""
    name = PurePath(filename or "locales.yaml").name
    try:
        data = orjson.loads(raw) if name.lower().endswith(".json") else yaml.safe_load(raw)
    except (orjson.JSONDecodeError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            f"locales ({name}): not valid YAML or JSON: {exc}", code="template.invalid"
        ) from None
    if not isinstance(data, Mapping):
        raise ValidationFailed(
            f"locales ({name}): expected locale -> part -> text", code="template.invalid"
        )
    out: dict[str, dict[str, str]] = {}
    for locale, parts in data.items():
        if not isinstance(parts, Mapping) or not all(isinstance(v, str) for v in parts.values()):
            raise ValidationFailed(
                f"locales.{locale} ({name}): expected part -> text", code="template.invalid"
            )
        unknown = sorted(set(map(str, parts)) - set(TEXT_PARTS))
        if unknown:
            raise ValidationFailed(
                f"locales.{locale} ({name}): unknown part(s) {unknown}; parts are "
                f"{list(TEXT_PARTS)}",
                code="template.invalid",
            )
        out[str(locale)] = {str(k): v for k, v in parts.items()}
    return out
