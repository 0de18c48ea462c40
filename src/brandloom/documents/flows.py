"""Render jobs from a resolved spec: prepare the template, create the job, preview a contact.

Everything here takes ids and objects, never file paths: the CLI resolves a spec file at its
edge (``cli/specfile.py``) into a :class:`~brandloom.documents.spec.RenderSpec` and the API
receives one. Validation happens before anything is written: a bad spec, template or audience
raises a ``BrandloomError`` (exit code 2 in the CLI, 4xx in the API).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from brandloom.audiences.models import AudienceState
from brandloom.audiences.repository import AudienceRepository
from brandloom.audiences.service import audience_locales, contact_from_fields, get_audience
from brandloom.audiences.types import attribute_decoder
from brandloom.audiences.validation import ContactRow, key_candidates, normalize_locale
from brandloom.brands.service import JobBrand, brand_for_job
from brandloom.cache import Cache
from brandloom.db.base import utcnow
from brandloom.documents.formats.docx import DocxTemplate, compile_docx
from brandloom.documents.kind import KIND as RENDER_KIND
from brandloom.documents.kind import (
    JobBrands,
    RenderParams,
    check_localized_variables,
    localize,
    recorded_brands,
    render_settings,
)
from brandloom.documents.pipeline import ContactData, JobRenderer, Localization
from brandloom.documents.spec import RenderOptions, RenderSpec, SpecError
from brandloom.documents.variants import FixedAssigner
from brandloom.errors import ConflictError, NotFoundError, ValidationFailed
from brandloom.jobs import service as job_service
from brandloom.jobs.models import Job
from brandloom.kit.ids import new_id
from brandloom.settings import Settings
from brandloom.storage import api_jobs_location, is_remote, join_location
from brandloom.templates.assets import check_assets
from brandloom.templates.engine import CompiledTemplate
from brandloom.templates.service import (
    compile_variants,
    get_template,
    save_template,
    template_assets,
)
from brandloom.templates.slots import strip_slots
from brandloom.workspaces.models import Workspace


@dataclass(slots=True)
class PreparedTemplate:
    """A template with every variant compiled for one spec: ready to run or preview."""

    engine: str
    parts: dict[str, str]  # text parts, plus ``unsubscribe_url`` when the spec has one
    variants: dict[str, dict[str, str]]  # variant -> part overrides
    weights: list[tuple[str, float]]
    compiled: dict[str | None, CompiledTemplate]
    docx: bytes | None
    docx_compiled: DocxTemplate | None
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # locale -> catalog
    locales: dict[str, dict[str, str]] = field(default_factory=dict)  # locale -> part overrides
    variant_messages: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    localization: Localization | None = None
    assets: dict[str, bytes] = field(default_factory=dict)  # name -> the image a typst part places

    def check_variables(self, available: list[str] | tuple[str, ...]) -> None:
        """Every variable used without a fallback is a column of the audience or a builtin;
        so is every placeholder of a message. ``t`` (the messages) is not a column's."""
        check_localized_variables(
            self.compiled, self.docx_compiled, available, localization=self.localization
        )


def prepare_template(
    options: RenderOptions,
    *,
    engine: str,
    parts: Mapping[str, str],
    variants: Mapping[str, Mapping[str, str]] | None = None,
    docx: bytes | None = None,
    origins: Mapping[str, str] | None = None,
    messages: Mapping[str, Mapping[str, Any]] | None = None,
    locales: Mapping[str, Mapping[str, str]] | None = None,
    variant_messages: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    assets: Mapping[str, bytes] | None = None,
) -> PreparedTemplate:
    """Check that the template can make every output and compile every variant.

    ``variants`` are the resolved part overrides (default: the spec's inline ones); ``origins``
    name where each part came from, for error messages (a file, or ``inline``; a catalog's
    origin is under ``messages.<locale>``). ``messages`` (locale -> catalog) and ``locales``
    (locale -> part overrides) make the template multilingual; ``variant_messages`` are the
    keys each variant overrides (default: the spec's ``variants[].messages``); ``assets`` are
    the images the ``typst`` part places (checked here).
    """
    parts = dict(parts)
    origins = dict(origins or {})
    if options.email.unsubscribe_url and "unsubscribe_url" not in parts:
        parts["unsubscribe_url"] = options.email.unsubscribe_url
        origins["unsubscribe_url"] = "email.unsubscribe_url"
    if not {"html", "text", "markdown", "sms", "typst"} & set(parts):
        raise SpecError("template: give at least one of html, text, markdown, sms or typst")
    for fmt in ("html", "sms"):
        if fmt in options.outputs and fmt not in parts:
            raise SpecError(f"outputs has '{fmt}' but template.{fmt} is missing")
    for fmt in ("pdf", "docx"):
        if fmt not in options.outputs or (fmt == "docx" and docx is not None):
            continue
        own = ("typst", "pdf") if fmt == "pdf" else ("docx",)
        if not {*own, "markdown", "html"} & set(parts):
            raise SpecError(
                f"outputs has '{fmt}': give "
                f"{', '.join(f'template.{p}' for p in own)}, template.markdown or template.html"
            )
    resolved = (
        {name: dict(o) for name, o in variants.items()}
        if variants is not None
        else {v.name: v.overrides() for v in options.variants}
    )
    compiled = compile_variants(engine=engine, parts=parts, variants=resolved, origins=origins)
    chosen = (
        variant_messages
        if variant_messages is not None
        else {v.name: v.messages for v in options.variants if v.messages}
    )
    own_messages = {
        name: {loc: dict(m) for loc, m in by_locale.items()} for name, by_locale in chosen.items()
    }
    localization = localize(
        default_locale=options.locale,
        engine=engine,
        parts=parts,
        variants=resolved,
        messages=messages or {},
        locales=locales or {},
        variant_messages=own_messages,
        origins=origins,
    )
    docx_compiled = (
        compile_docx(docx, origin=origins.get("docx", "template.docx"))
        if docx is not None
        else None
    )
    return PreparedTemplate(
        engine=engine,
        parts=parts,
        variants=resolved,
        weights=[(v.name, v.weight) for v in options.variants],
        compiled=compiled,
        docx=docx,
        docx_compiled=docx_compiled,
        messages={loc: dict(m) for loc, m in (messages or {}).items()},
        locales={loc: dict(p) for loc, p in (locales or {}).items()},
        variant_messages=own_messages,
        localization=localization,
        assets=check_assets(assets),
    )


def eml_date_for(options: RenderOptions, created_at: datetime) -> datetime:
    """The Date of every message (and the creation date of PDF and DOCX outputs):
    ``email.date``, else when the job was created (``created_at``, whole seconds).

    Recorded in the job's params, so a resume and every worker use the same date and the
    outputs stay byte-identical.
    """
    if options.email.date:
        try:
            value = datetime.fromisoformat(options.email.date)
        except ValueError:
            raise SpecError(f"email.date: not an ISO 8601 date: {options.email.date!r}") from None
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return created_at.replace(microsecond=0)


def render_params(
    options: RenderOptions, prepared: PreparedTemplate, *, eml_date: datetime
) -> RenderParams:
    return RenderParams(
        spec=options.options(),
        variants=prepared.variants,
        weights=prepared.weights,
        eml_date=eml_date.isoformat(),
        variant_messages=prepared.variant_messages,
    )


def inline_messages(
    messages: Mapping[str, str | Mapping[str, Any]] | None,
) -> dict[str, dict[str, Any]]:
    """Catalogs given inline (the API): a file path is something only the CLI can read."""
    out: dict[str, dict[str, Any]] = {}
    for locale, catalog in (messages or {}).items():
        if not isinstance(catalog, Mapping):
            raise SpecError(
                f"template.messages.{locale}: give the catalog inline (key -> message); "
                "a file is read by the CLI, or uploaded with the template"
            )
        out[locale] = dict(catalog)
    return out


def catalog_warnings(
    localization: Localization, contact_locales: Iterable[str | None]
) -> list[dict[str, str]]:
    """A warning (``template.unused_catalog``) for each catalog no contact of the audience gets:
    usually a locale column that is missing or written differently (``de`` vs ``ger``)."""
    contact_locales = list(contact_locales)
    known = sorted({loc for loc in contact_locales if loc is not None})
    if not known:
        audience = f"no contact has a locale (all get {localization.default_locale})"
    else:
        more = f" and {len(known) - 20} more" if len(known) > 20 else ""
        audience = f"the contacts' locales are {', '.join(known[:20])}{more}"
    catalogs = next(iter(localization.catalogs.values()))
    return [
        {
            "code": "template.unused_catalog",
            "message": f"messages.{locale} ({catalogs.catalogs[locale].origin}): no contact "
            f"of the audience gets this catalog; {audience}",
        }
        for locale in catalogs.unused(contact_locales)
    ]


def api_out_dir(settings: Settings, job_id: str) -> Path | str:
    """Where an API job's outputs go: ``<storage_url>/jobs/<id>``, else the data dir's jobs."""
    if settings.storage_url:
        location = join_location(api_jobs_location(settings), job_id)
        return location if is_remote(location) else Path(location)
    return settings.jobs_dir / job_id


def create_render_job(
    session: Session,
    workspace: Workspace,
    *,
    spec: RenderSpec,
    out_dir: Path | str | None = None,
    settings: Settings,
    digest: str | None = None,
    job_id: str | None = None,
    cache: Cache | None = None,
    origins: Mapping[str, str] | None = None,
    generation: Mapping[str, Any] | None = None,
) -> Job:
    """Validate a render spec fully (template, variables) and record its job.

    ``out_dir`` defaults to the API's job outputs (:func:`api_out_dir`). An audience still
    importing makes the job wait for the import: its variables are checked when it starts.
    ``digest`` identifies the inputs for a later resume (the CLI's ``--resume``); ``origins``
    name the files the parts and catalogs came from, for messages (the CLI's spec file).
    ``generation``: what wrote a ``brief:`` spec's template (template id, LLM calls, tokens,
    cost, ``warnings``), carried into ``report.json``.
    """
    audience = get_audience(session, workspace, audience_id=spec.audience_id)
    if audience.state == AudienceState.FAILED:
        raise ConflictError(
            f"audience '{audience.id}' failed to import: {audience.error}",
            code="audience.import_failed",
        )
    stored = None
    if spec.template_id is not None:
        stored = get_template(session, workspace, template_id=spec.template_id, cache=cache)
        engine, parts, docx = stored.engine, dict(stored.parts), stored.docx
        messages, locales = stored.messages or {}, stored.locales or {}
        assets = template_assets(stored) if "pdf" in spec.outputs else {}
    else:
        assert spec.template is not None
        engine, parts, docx = spec.template.engine or "jinja", spec.template.text_parts(), None
        messages, locales = inline_messages(spec.template.messages), spec.template.locales or {}
        assets = {}
    prepared = prepare_template(
        spec,
        engine=engine,
        parts=parts,
        docx=docx,
        messages=messages,
        locales=locales,
        origins=origins,
        assets=assets,
    )
    if audience.variables is not None:
        prepared.check_variables(audience.variables)
    template = stored or save_template(
        session,
        workspace,
        name=spec.name,
        engine=engine,
        parts=prepared.parts,
        messages=prepared.messages,
        locales=prepared.locales,
        cache=cache,
    )
    weights_note = None
    if spec.variant_weights is not None:
        from brandloom.documents.weights import chosen_weights

        prepared.weights, weights_note = chosen_weights(
            session,
            workspace,
            spec,
            names=[name for name, _ in prepared.weights],
            parts=prepared.parts,
            variants=prepared.variants,
            messages=prepared.messages,
        )
    job_id = job_id or new_id("job")
    created_at = utcnow()
    params = render_params(spec, prepared, eml_date=eml_date_for(spec, created_at)).to_json()
    if weights_note is not None:
        params["variant_weights"] = weights_note
    ready = audience.state == AudienceState.READY
    if ready and prepared.localization is not None:
        contact_locales = audience_locales(session, workspace, audience_id=audience.id)
        warnings = catalog_warnings(prepared.localization, contact_locales)
        if warnings:
            params["warnings"] = warnings
    if generation:
        extra = dict(generation)
        written_warnings = extra.pop("warnings", None) or []
        params["generation"] = extra
        if written_warnings:
            params["warnings"] = [*params.get("warnings", []), *written_warnings]
    if not ready:
        params["check_variables"] = True  # the audience's columns are known once imported
    brands = spec_brands(session, workspace, spec)
    if brands:
        # the guidelines version and voice the checks use, fixed now: a resume uses the same
        params["brands"] = {name: ref.to_json() for name, ref in brands.items()}
    return job_service.create_job(
        session,
        workspace,
        kind=RENDER_KIND,
        name=spec.name,
        params=params,
        params_sha256=digest,
        audience_id=audience.id,
        template_id=template.id,
        out_dir=out_dir if out_dir is not None else api_out_dir(settings, job_id),
        after_job_id=None if ready else audience.job_id,
        job_id=job_id,
        created_at=created_at,
    )


# ---------------------------------------------------------------------------------------------
# previews: one contact rendered exactly as a job renders it, nothing written
# ---------------------------------------------------------------------------------------------


def spec_brands(
    session: Session, workspace: Workspace, options: RenderOptions
) -> dict[str, JobBrand]:
    """The brands a spec names, resolved now; a check that needs guidelines or a voice the
    brand lacks is refused before anything is written (422, naming the command that fixes
    it)."""
    use = options.brands()
    return {
        name: brand_for_job(
            session,
            workspace,
            name=name,
            needs_guidelines=guidelines,
            needs_voice=voice,
            where="qa.voice" if voice and not guidelines else "brand",
        )
        for name, (guidelines, voice) in use.names().items()
    }


def live_brands(session: Session, workspace: Workspace, options: RenderOptions) -> JobBrands:
    """The brands a spec names as a job created now would load them (previews)."""
    refs = spec_brands(session, workspace, options)
    return recorded_brands(
        session,
        workspace,
        {n: r.to_json() for n, r in refs.items()},
        layout_brand=options.brand,
    )


def preview_renderer(
    options: RenderOptions,
    prepared: PreparedTemplate,
    *,
    eml_date: datetime,
    variant: str | None = None,
    all_parts: bool = False,
    brands: JobBrands | None = None,
) -> JobRenderer:
    """The renderer a job with these options would use (parts kept for the preview).

    ``variant`` renders every contact with that variant instead of the one a job assigns;
    ``all_parts`` keeps every rendered part, not just the envelope (subject, preheader, ...).
    """
    if variant is not None and variant not in prepared.variants:
        known = ", ".join(prepared.variants) or "none"
        raise ValidationFailed(
            f"variant '{variant}' is not one of the variants ({known})",
            code="preview.unknown_variant",
        )
    return JobRenderer(
        assigner=FixedAssigner(variant) if variant is not None else None,
        templates=prepared.compiled,
        weights=prepared.weights,
        qa=options.qa,
        docx_template=prepared.docx_compiled,
        localization=prepared.localization,
        assets=prepared.assets,
        brands=brands.checks if brands is not None else None,
        brand=options.brand,
        layout=brands.layout if brands is not None else None,
        settings=render_settings(
            name=options.name,
            seed=str(options.seed),
            locale=options.locale,
            outputs=tuple(options.outputs),
            from_addr=options.email.from_,
            from_name=options.email.from_name,
            reply_to=options.email.reply_to,
            unsubscribe_mailto=options.email.unsubscribe_mailto,
            eml_date=eml_date,
            keep_parts=True,
            keep_all_parts=all_parts,
        ),
    )


def preview_contact(renderer: JobRenderer, contact: ContactData) -> dict[str, Any]:
    """One contact's rendered parts, files and QA outcome (documents failing QA included)."""
    result = renderer.render_chunk([contact], include_failed=True)
    outcome = result.outcomes[0]
    doc = result.documents[0] if result.documents else None
    parts = dict(doc.parts) if doc else {}
    if "typst" in parts:  # shown with its values in place (a job passes them as data)
        parts["typst"] = strip_slots(parts["typst"])
    return {
        "key": outcome.key,
        "row": outcome.row,
        "variant": outcome.variant,
        "qa": {"status": outcome.qa_status, "issues": outcome.qa_issues},
        "parts": parts,
        "files": {fmt: data for fmt, (_rel, data) in doc.files.items()} if doc else {},
    }


def contact_data(row: ContactRow) -> ContactData:
    """What rendering needs of an accepted contact row (read from a file, or given inline)."""
    return ContactData(
        row=row.row,
        key=row.key,
        email=row.email,
        locale=row.locale,
        consent=row.consent,
        attributes=row.attributes,
        email_row=row.email_row,
    )


def audience_contact(
    session: Session, workspace: Workspace, *, audience_id: str, key: str
) -> ContactData:
    """One imported contact by key (an e-mail key as its address's key: case-insensitive, the
    domain in ASCII, so ``ann@straße.de`` finds ``ann@xn--strae-oqa.de``)."""
    audience = get_audience(session, workspace, audience_id=audience_id)
    repo = AudienceRepository(session, workspace)
    for candidate in key_candidates(key):
        row = repo.contact(audience.id, candidate)
        if row is not None:
            decode = attribute_decoder(audience.types)
            if decode is not None:
                decode(row[5])  # in place
            return ContactData(*row)
    raise NotFoundError(
        f"no contact with key '{key}' in audience '{audience_id}'", code="contact.not_found"
    )


def preview_template(
    session: Session,
    workspace: Workspace,
    *,
    template_id: str,
    options: RenderOptions,
    contact: Mapping[str, str | int | float | bool | None] | None = None,
    audience_id: str | None = None,
    key: str | None = None,
    variant: str | None = None,
    locale: str | None = None,
    cache: Cache | None = None,
) -> dict[str, Any]:
    """A stored template rendered for one contact exactly as a job with ``options`` renders it.

    The contact is given inline (``contact``: field -> value, checked as an imported row) or
    by ``key`` in an audience. Its variables are checked as a job checks its audience's;
    ``variant`` and ``locale`` override what the job would assign and what the contact has.
    Without ``options.outputs``, the outputs are what the template's parts make, so every
    part is shown.
    Returns ``key``, ``variant``, ``locale``, ``parts`` and ``qa``; nothing is written.
    """
    template = get_template(session, workspace, template_id=template_id, cache=cache)
    if contact is not None:
        row, available = contact_from_fields(contact)
        data = contact_data(row)
    else:
        assert audience_id is not None and key is not None
        audience = get_audience(session, workspace, audience_id=audience_id)
        if audience.state != AudienceState.READY:
            raise ConflictError(
                f"audience '{audience.id}' is {audience.state}: no contacts to preview",
                code=f"audience.{audience.state}",
            )
        data = audience_contact(session, workspace, audience_id=audience.id, key=key)
        available = list(audience.variables or [])
    if "outputs" not in options.model_fields_set:
        options = options.model_copy(update={"outputs": outputs_of(template.parts)})
    prepared = prepare_template(
        options,
        engine=template.engine,
        parts=template.parts,
        docx=template.docx,
        messages=template.messages,
        locales=template.locales,
        assets=template_assets(template) if "pdf" in options.outputs else None,
    )
    prepared.check_variables(available)
    if locale is not None:
        normalized = normalize_locale(locale)
        if not normalized:
            raise ValidationFailed(f"locale: not a known locale: {locale!r}", code="locale.invalid")
        data = replace(data, locale=normalized)
    renderer = preview_renderer(
        # dated as a job created now would be
        options,
        prepared,
        eml_date=eml_date_for(options, utcnow()),
        variant=variant,
        all_parts=True,
        brands=live_brands(session, workspace, options),
    )
    shown = preview_contact(renderer, data)
    return {
        "key": shown["key"],
        "variant": shown["variant"],
        "locale": data.locale or options.locale,
        "parts": shown["parts"],
        "qa": shown["qa"],
    }


def outputs_of(parts: Mapping[str, str]) -> list[str]:
    """The text outputs a template's parts make (``txt`` derives from ``html`` too)."""
    outputs = [
        fmt for fmt, part in (("html", "html"), ("md", "markdown"), ("sms", "sms")) if part in parts
    ]
    if "text" in parts or "html" in parts:
        outputs.insert(1 if "html" in parts else 0, "txt")
    return outputs or ["txt"]
