"""The CLI's edge: a spec file (SPEC.yaml) and the files it names, read and checked once.

What comes out is plain data for the id-based services: the render options, the template's
parts as text (files read), the Word template's and the assets' bytes, the audience file and its
import options. Nothing below the CLI reads a file a spec names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from brandloom.audiences.reader import ImportOptions
from brandloom.documents.flows import PreparedTemplate, prepare_template
from brandloom.documents.spec import (
    JobSpec,
    RenderSpec,
    SpecError,
    load_spec,
    resolve_part,
)
from brandloom.documents.spec import resolve_path as resolve_spec_path
from brandloom.kit.hashing import sha256_hex
from brandloom.templates.assets import ASSET_SUFFIXES, asset_digests
from brandloom.templates.catalog_files import catalog_suffix, parse_catalog


@dataclass(slots=True)
class SpecFile:
    """A spec file with every file it names read and every variant compiled."""

    spec: JobSpec
    base: Path
    prepared: PreparedTemplate
    origins: dict[str, str]
    audience_path: Path | None
    options: ImportOptions
    digest: str  # identifies every input: a ``--resume`` must be given the same
    # a ``brief:`` spec: the template written for it and its cost (for report.json)
    generation: dict[str, Any] | None = None

    def render_spec(self, *, audience_id: str, template_id: str) -> RenderSpec:
        """The resolved spec the services take: the audience and template by id."""
        spec = self.spec
        return RenderSpec.model_validate(
            {
                **spec.options(),
                "variants": [
                    {
                        "name": v.name,
                        "weight": v.weight,
                        **({"messages": v.messages} if v.messages else {}),
                        **self.prepared.variants[v.name],
                    }
                    for v in spec.variants
                ],
                "audience_id": audience_id,
                "template_id": template_id,
            }
        )


BriefWriter = Callable[[JobSpec, Path, ImportOptions], tuple[JobSpec, dict[str, Any]]]
"""Turns a spec with ``brief:`` into one with its template (inline parts and catalogs, and the
variants it defines) and what to report of it (``report.json``: template id, LLM calls,
tokens, cost)."""


def read_spec_file(path: Path, *, brief_writer: BriefWriter | None = None) -> SpecFile:
    """Read SPEC.yaml and the files it names; compile the template (syntax errors raise here).

    A spec with ``brief:`` gets its template from ``brief_writer`` first."""
    spec, base = load_spec(path)
    generation: dict[str, Any] | None = None
    if spec.brief is not None:
        if brief_writer is None:
            raise SpecError(
                "brief: this command reads a template; `brandloom generate` writes one from a "
                "brief",
                code="spec.brief_template",
            )
        spec, generation = brief_writer(spec, base, import_options(spec))
    tpl = spec.template
    assert tpl is not None
    parts: dict[str, str] = {}
    origins: dict[str, str] = {}
    for name, value in tpl.text_parts().items():
        parts[name], origins[name] = resolve_part(value, base, part=name)
    if spec.email.unsubscribe_url:
        parts["unsubscribe_url"] = spec.email.unsubscribe_url
        origins["unsubscribe_url"] = "email.unsubscribe_url"
    engine = tpl.engine or (
        "liquid" if any(o.endswith(".liquid") for o in origins.values()) else "jinja"
    )
    docx = _read_docx(tpl.docx, base, origins) if tpl.docx is not None else None
    variants: dict[str, dict[str, str]] = {}
    for variant in spec.variants:
        variants[variant.name] = {
            part: resolve_part(value, base, part=f"{variant.name}.{part}")[0]
            for part, value in variant.overrides().items()
        }
    messages: dict[str, dict[str, Any]] = {}
    for locale, catalog in (tpl.messages or {}).items():
        messages[locale], origins[f"messages.{locale}"] = read_catalog(catalog, base, locale)
    assets = read_assets(tpl.assets or [], base)
    prepared = prepare_template(
        spec,
        engine=engine,
        parts=parts,
        variants=variants,
        docx=docx,
        origins=origins,
        messages=messages,
        locales=tpl.locales or {},
        assets=assets,
    )
    aud = spec.audience
    options = import_options(spec)
    digest = sha256_hex(
        orjson.dumps(
            {
                "spec": spec.model_dump(mode="json", by_alias=True),
                "parts": prepared.parts,
                "variants": variants,
                "engine": engine,
                "docx": sha256_hex(docx) if docx is not None else None,
                **({"messages": messages} if messages else {}),
                **({"assets": asset_digests(assets)} if assets else {}),
            },
            option=orjson.OPT_SORT_KEYS,
        )
    )
    return SpecFile(
        spec=spec,
        base=base,
        prepared=prepared,
        origins=origins,
        audience_path=resolve_spec_path(aud.path, base) if aud.path else None,
        options=options,
        digest=digest,
        generation=generation,
    )


def import_options(spec: JobSpec) -> ImportOptions:
    """How the spec's audience file is read."""
    aud = spec.audience
    return ImportOptions(
        key=aud.key,
        columns=dict(aud.columns),
        required=tuple(aud.required),
        format=aud.format,
        delimiter=aud.delimiter,
        encoding=aud.encoding,
        sheet=aud.sheet,
        types=dict(aud.types),
        locale=aud.locale,
        date_format=aud.date_format,
        datetime_format=aud.datetime_format,
    )


def _read_docx(value: str, base: Path, origins: dict[str, str]) -> bytes:
    docx_path = resolve_spec_path(value, base)
    if docx_path.suffix.lower() != ".docx":
        raise SpecError(f"template.docx: expected a .docx file, got {docx_path.name}")
    try:
        data = docx_path.read_bytes()
    except OSError as exc:
        raise SpecError(
            f"template.docx: cannot read {docx_path}: {exc.strerror or exc}",
            code="spec.file_not_found",
        ) from None
    origins["docx"] = str(docx_path)
    return data


def read_assets(paths: list[str], base: Path) -> dict[str, bytes]:
    """``template.assets``: files, or folders whose image files are taken (not their
    subfolders); each is named by its file name (``#image("logo.png")``)."""
    assets: dict[str, bytes] = {}
    for value in paths:
        path = resolve_spec_path(value, base)
        files = (
            sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in ASSET_SUFFIXES)
            if path.is_dir()
            else [path]
        )
        for file in files:
            if file.name in assets:
                raise SpecError(f"template.assets: two files are named {file.name}")
            try:
                assets[file.name] = file.read_bytes()
            except OSError as exc:
                raise SpecError(
                    f"template.assets: cannot read {file}: {exc.strerror or exc}",
                    code="spec.file_not_found",
                ) from None
    return assets


def read_catalog(
    value: str | Mapping[str, Any], base: Path, locale: str
) -> tuple[dict[str, Any], str]:
    """A catalog given inline or as a file (YAML, JSON or gettext .po, see
    ``templates.catalog_files``), and where it came from."""
    where = f"template.messages.{locale}"
    if not isinstance(value, str):
        return dict(value), "inline"
    path = resolve_spec_path(value, base)
    catalog_suffix(str(path), where)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(
            f"{where}: cannot read {path}: {exc.strerror or exc}", code="spec.file_not_found"
        ) from None
    return parse_catalog(raw, str(path), where), str(path)
