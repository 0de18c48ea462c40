"""``brandloom messages extract|check``: the keys a template's parts read and how far each
locale's catalog covers them, from a spec file, before anything is generated.

Unlike ``validate``, which stops at the first problem, ``check`` reads every catalog and lists
every problem (a key a catalog lacks, a key no part reads, placeholders that differ between
translations), so a translator gets the whole list at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brandloom.cli.specfile import read_catalog
from brandloom.documents.spec import JobSpec, SpecError, load_spec, resolve_part
from brandloom.templates.catalog_files import write_pot
from brandloom.templates.messages import Catalogs, locale_key, no_catalogs_message, used_keys


@dataclass(slots=True)
class KeyUse:
    key: str
    # where the template reads it: "subject", "locales.ja.subject", "variant B.html"
    parts: list[str]
    source: str | None  # the default locale's message, when there is one


@dataclass(slots=True)
class LocaleCoverage:
    locale: str
    origin: str
    present: int
    missing: list[str]
    unused: list[str]  # keys of this catalog no part reads


@dataclass(slots=True)
class CatalogReport:
    default_locale: str
    keys: list[KeyUse]
    locales: list[LocaleCoverage]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _sources(
    spec_path: Path,
) -> tuple[JobSpec, dict[str, str], dict[str, dict[str, Any]], dict[str, str]]:
    """The spec, every part's text by where it is used, the catalogs and their files."""
    spec, base = load_spec(spec_path)
    tpl = spec.template
    if tpl is None:
        raise SpecError(
            "this spec has a brief: its template and catalogs are written by `brandloom "
            "generate` (see the stored template)",
            code="spec.brief_template",
        )
    sources: dict[str, str] = {}
    for name, value in tpl.text_parts().items():
        sources[name] = resolve_part(value, base, part=name)[0]
    for tag, overrides in (tpl.locales or {}).items():
        for name, value in overrides.items():
            sources[f"locales.{tag}.{name}"] = value
    for variant in spec.variants:
        for name, value in variant.overrides().items():
            sources[f"variant {variant.name}.{name}"] = resolve_part(
                value, base, part=f"{variant.name}.{name}"
            )[0]
    catalogs: dict[str, dict[str, Any]] = {}
    origins: dict[str, str] = {}
    for tag, catalog in (tpl.messages or {}).items():
        catalogs[tag], origin = read_catalog(catalog, base, tag)
        # a catalog next to the spec is named as the spec names it (messages/de.yaml)
        path = Path(origin)
        origins[tag] = str(path.relative_to(base)) if path.is_relative_to(base) else origin
    return spec, sources, catalogs, origins


def catalog_report(spec_path: Path) -> CatalogReport:
    """Every key the parts read, with each catalog's coverage and every problem found."""
    spec, sources, messages, origins = _sources(spec_path)
    catalogs = Catalogs(messages, default_locale=spec.locale, origins=origins)
    used: dict[str, list[str]] = {}
    for where, text in sources.items():
        for key in used_keys({where: text}, catalogs):
            used.setdefault(key, []).append(where)
    default = catalogs.locale_for(spec.locale)
    default_flat = catalogs.catalogs[default].flat if default else {}
    keys = [
        KeyUse(
            key=key,
            parts=where,
            source=default_flat[key].source() if key in default_flat else None,
        )
        for key, where in sorted(used.items())
    ]
    coverage = [
        LocaleCoverage(
            locale=catalog.locale,
            origin=catalog.origin,
            present=sum(1 for key in used if key in catalog.flat),
            missing=sorted(key for key in used if key not in catalog.flat),
            unused=sorted(key for key in catalog.flat if key not in used),
        )
        for catalog in catalogs.catalogs.values()
    ]
    problems = catalogs.problems(used)
    if used and not catalogs:
        problems.append(no_catalogs_message(used))
    return CatalogReport(
        default_locale=locale_key(spec.locale), keys=keys, locales=coverage, problems=problems
    )


def pot_file(report: CatalogReport) -> bytes:
    """The keys as a gettext template (.pot): the default locale's text in each comment."""
    return write_pot(
        [k.key for k in report.keys], {k.key: k.source for k in report.keys if k.source}
    )
