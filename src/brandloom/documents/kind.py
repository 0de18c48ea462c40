"""The ``documents.render`` job kind: an audience and a template become documents.

A chunk is a keyset page of the audience by contact key. The worker renders, checks and formats
its contacts (no I/O), the sink writes their files, and the chunk's document records commit with
its checkpoint. Finalize writes manifest.jsonl, rejected.csv, the sink's assembled outputs and
report.json.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy.orm import Session

from brandloom.audiences.export import write_rejects_csv
from brandloom.audiences.repository import AudienceRepository
from brandloom.audiences.types import attribute_decoder
from brandloom.documents.formats.docx import compile_docx
from brandloom.documents.formats.eml import EmailSettings
from brandloom.documents.formats.registry import BrandLayout
from brandloom.documents.outputs import MANIFEST, REJECTED, REPORT
from brandloom.documents.pipeline import ContactData, JobRenderer, Localization, RenderSettings
from brandloom.documents.qa import QABrand, QAConfig
from brandloom.documents.repository import DocumentRepository
from brandloom.documents.service import RENDER_KIND
from brandloom.documents.sinks import PARTS_DIR, STATE_DIR, Sink, make_sink
from brandloom.documents.spec import SpecError
from brandloom.errors import NotFoundError
from brandloom.jobs.kinds import ChunkPlan, ChunkRun, WorkerContext
from brandloom.jobs.models import Job, JobChunk
from brandloom.jobs.repository import JobRepository
from brandloom.jobs.threshold import ErrorThreshold
from brandloom.kit.address import InvalidAddress, parse_mailbox
from brandloom.settings import Settings
from brandloom.storage import open_location
from brandloom.templates.engine import PROCESS_CODE_CACHE, check_variables
from brandloom.templates.errors import TemplateVariableError
from brandloom.templates.messages import (
    MESSAGES_VARIABLE,
    no_catalogs_message,
    used_keys,
    variant_catalogs,
)
from brandloom.templates.models import Template
from brandloom.templates.service import compile_localized, compile_variants, template_assets
from brandloom.workspaces.models import Workspace

if TYPE_CHECKING:
    from brandloom.brands.service import LoadedBrand

KIND = RENDER_KIND

# Variables every contact provides whatever the audience's columns are.
BUILTIN_VARIABLES = ("key", "email", "locale", "consent")

# Written once the sink's outputs are assembled, before their per-chunk parts are removed.
_ASSEMBLED = f"{STATE_DIR}/assembled.json"


@dataclass(frozen=True, slots=True)
class RenderParams:
    """Everything about a render job that is fixed when it is created (``job.params``)."""

    spec: dict[str, Any]  # the validated spec, as JSON
    variants: dict[str, dict[str, str]]  # variant -> resolved part overrides
    weights: list[tuple[str, float]]
    eml_date: str
    # variant -> locale -> key -> message: the keys a variant says differently
    variant_messages: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "spec": self.spec,
            "variants": self.variants,
            "weights": [list(w) for w in self.weights],
            "eml_date": self.eml_date,
        }
        if self.variant_messages:
            params["variant_messages"] = self.variant_messages
        return params


def render_settings(
    *,
    name: str,
    seed: str,
    locale: str,
    outputs: tuple[str, ...],
    from_addr: str | None,
    from_name: str | None,
    reply_to: str | None,
    unsubscribe_mailto: str | None,
    eml_date: datetime,
    keep_parts: bool,
    keep_all_parts: bool = False,
) -> RenderSettings:
    """How a job renders: the same for its chunks on any worker and for its previews."""
    return RenderSettings(
        job_key=f"{seed}\x1f{name}",
        seed=seed,
        default_locale=locale,
        outputs=outputs,
        email=(
            EmailSettings(
                from_addr=from_addr,
                from_name=from_name,
                reply_to=reply_to,
                unsubscribe_mailto=unsubscribe_mailto,
            )
            if from_addr
            else None
        ),
        email_domain=_sender_domain(from_addr),
        eml_date=eml_date,
        keep_parts=keep_parts,
        keep_all_parts=keep_all_parts,
        title=name,
    )


def _sender_domain(from_addr: str | None) -> str:
    """The Message-ID domain: the sender's (``Lumen <hello@example.com>`` -> ``example.com``).
    A spec's sender was checked when its job was submitted."""
    if from_addr:
        try:
            return parse_mailbox(from_addr).address.domain
        except InvalidAddress:
            pass
    return "brandloom.invalid"


@dataclass(slots=True)
class RenderRuntime:
    """Per-process state for one render job: compiled once, reused for every chunk."""

    job_id: str
    workspace_id: str
    audience_id: str
    renderer: JobRenderer
    sink: Sink
    # Stored attributes -> typed values (decimals, dates) for audiences with declared types.
    decode: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def _spec(job: Job) -> dict[str, Any]:
    spec: dict[str, Any] = job.params["spec"]
    return spec


def job_seed(job: Job) -> str:
    return str(_spec(job).get("seed", 0))


def template_parts(template: Template, spec: dict[str, Any]) -> dict[str, str]:
    """The template's parts as the job renders them: the spec's unsubscribe URL is a part too
    (List-Unsubscribe headers and the ``unsubscribe_url`` variable come from it)."""
    parts = dict(template.parts)
    url = (spec.get("email") or {}).get("unsubscribe_url")
    if url and "unsubscribe_url" not in parts:
        parts["unsubscribe_url"] = url
    return parts


def template_localization(
    template: Template, params: Mapping[str, Any], *, parts: Mapping[str, str]
) -> Localization | None:
    """The stored template's languages as a job with ``params`` renders them."""
    return localize(
        default_locale=params["spec"].get("locale") or "en-US",
        engine=template.engine,
        parts=parts,
        variants=params["variants"],
        messages=template.messages or {},
        locales=template.locales or {},
        variant_messages=params.get("variant_messages") or {},
        cache=PROCESS_CODE_CACHE,
    )


@dataclass(frozen=True, slots=True)
class JobBrands:
    """The brands a job uses, loaded: for its checks (by name) and its layouts (the spec's
    ``brand:``)."""

    checks: dict[str, QABrand] = field(default_factory=dict)
    layout: BrandLayout | None = None


def recorded_brands(
    session: Session,
    workspace: Workspace | str,
    recorded: Mapping[str, Any],
    *,
    layout_brand: str | None = None,
) -> JobBrands:
    """The brands a job recorded when it was created (name -> the guidelines version and voice
    it named), loaded as plain data; ``layout_brand``'s kit becomes the job's layout."""
    found = JobBrands()
    if not recorded:
        return found
    # imported here: a job without a brand loads no brand or voice code (nor numpy)
    from brandloom.brands.service import JobBrand, load_job_brand

    for name, data in recorded.items():
        loaded = load_job_brand(session, workspace, recorded=JobBrand.from_json(data))
        found.checks[name] = qa_brand(loaded)
        if name == layout_brand:
            found = replace(found, layout=brand_layout(loaded))
    return found


def brand_layout(loaded: LoadedBrand) -> BrandLayout:
    kit = loaded.kit
    return BrandLayout(
        name=loaded.name,
        colors={k: v for k, v in kit.colors.model_dump().items() if v},
        font=kit.font,
        logo=loaded.logo.data if loaded.logo is not None else None,
        logo_media_type=loaded.logo.media_type if loaded.logo is not None else None,
        address=tuple(kit.address),
        legal_footer=tuple(kit.legal_footer),
    )


def qa_brand(loaded: LoadedBrand) -> QABrand:
    return QABrand(
        name=loaded.name,
        guidelines=loaded.guidelines,
        guidelines_version=loaded.guidelines_version,
        voice=loaded.voice,
    )


def build_runtime(job: Job, template: Template, brands: JobBrands | None = None) -> RenderRuntime:
    stored = job.params
    spec = stored["spec"]
    email = spec.get("email") or {}
    outputs: tuple[str, ...] = tuple(spec["outputs"])
    eml_date = datetime.fromisoformat(stored["eml_date"])
    settings = render_settings(
        name=job.name,
        seed=job_seed(job),
        locale=spec.get("locale") or "en-US",
        outputs=outputs,
        from_addr=email.get("from"),
        from_name=email.get("from_name"),
        reply_to=email.get("reply_to"),
        unsubscribe_mailto=email.get("unsubscribe_mailto"),
        eml_date=eml_date,
        keep_parts=spec.get("sink") == "jsonl",
    )
    parts = template_parts(template, spec)
    templates = compile_variants(
        engine=template.engine,
        parts=parts,
        variants=stored["variants"],
        cache=PROCESS_CODE_CACHE,  # a worker reuses compiled parts across jobs and variants
    )
    renderer = JobRenderer(
        localization=template_localization(template, stored, parts=parts),
        # dated as the job's other outputs: a resume or another worker writes the same bytes
        docx_template=(
            compile_docx(template.docx, creation_date=eml_date)
            if template.docx is not None
            else None
        ),
        templates=templates,
        weights=[(w[0], float(w[1])) for w in stored["weights"]],
        qa=QAConfig.model_validate(spec.get("qa") or {}),
        settings=settings,
        # the images a typst part places, only for jobs that make PDFs (the column loads on read)
        assets=template_assets(template) if "pdf" in outputs else None,
        brands=brands.checks if brands is not None else None,
        brand=spec.get("brand"),
        layout=brands.layout if brands is not None else None,
    )
    assert job.out_dir is not None and job.audience_id is not None
    sink = make_sink(spec.get("sink") or "dir", open_location(job.out_dir), outputs)
    return RenderRuntime(
        job_id=job.id,
        workspace_id=job.workspace_id,
        audience_id=job.audience_id,
        renderer=renderer,
        sink=sink,
    )


def check_template_variables(
    templates: Any, docx_template: Any, available: list[str] | tuple[str, ...]
) -> None:
    """Every variable the templates use without a fallback must be a column or a builtin."""
    names = [*available, *BUILTIN_VARIABLES]
    for compiled in templates.values():
        check_variables(compiled, names)
    if docx_template is not None:
        missing = [
            use for name, use in docx_template.required_variables().items() if name not in names
        ]
        if missing:
            raise TemplateVariableError(missing, available=names)


def check_localized_variables(
    templates: Any,
    docx_template: Any,
    available: list[str] | tuple[str, ...],
    *,
    localization: Localization | None,
) -> None:
    """:func:`check_template_variables` for a template with messages: ``t`` is reserved for
    them (an audience column named ``t`` is refused), the parts overridden per locale are
    checked too, and every placeholder of a message must be a column or a builtin."""
    if MESSAGES_VARIABLE in available:
        raise SpecError(
            f"the audience has a column named '{MESSAGES_VARIABLE}': that name is reserved for "
            "the template's messages; rename the column or map it to another name",
            code="audience.reserved_column",
        )
    if localization is None:
        check_template_variables(templates, docx_template, available)
        return
    names = list(available)
    if any(localization.catalogs.values()):
        names.append(MESSAGES_VARIABLE)
    check_template_variables({**templates, **localization.overrides}, docx_template, names)
    known = {*available, *BUILTIN_VARIABLES}
    for variant, catalogs in localization.catalogs.items():
        missing = sorted(catalogs.placeholders() - known)
        if missing:
            where = f" (variant {variant})" if variant is not None else ""
            raise SpecError(
                f"messages{where}: placeholder(s) {', '.join('{' + m + '}' for m in missing)} "
                f"name no column of the audience; columns are {', '.join(sorted(available))}",
                code="template.unknown_variable",
            )


def localize(
    *,
    default_locale: str,
    engine: str,
    parts: Mapping[str, str],
    variants: Mapping[str, Mapping[str, str]],
    messages: Mapping[str, Mapping[str, Any]],
    locales: Mapping[str, Mapping[str, str]],
    variant_messages: Mapping[str, Mapping[str, Mapping[str, Any]]],
    origins: Mapping[str, str] | None = None,
    cache: Any = None,
) -> Localization | None:
    """Compile a template's languages; None when it has no messages and no locale parts.

    Raises ``MessagesError`` naming the locale, key and file of a catalog that lacks a key
    another has (or the parts use) or whose translations disagree on placeholders.
    """
    if not messages and not locales:
        if variant_messages:
            raise SpecError("variants[].messages: the template has no messages to override")
        return None
    names: list[str | None] = list(variants) or [None]
    message_origins = {loc: (origins or {}).get(f"messages.{loc}") or "inline" for loc in messages}
    catalogs = variant_catalogs(
        messages,
        variant_messages,
        names,
        default_locale=default_locale,
        origins=message_origins,
    )
    overrides = compile_localized(
        engine=engine, parts=parts, variants=variants, locales=locales, cache=cache
    )
    for variant, variant_catalog in catalogs.items():
        own = variants.get(variant, {}) if variant is not None else {}
        sources = [{**parts, **own}]
        sources += [{**parts, **over, **own} for over in locales.values()]
        used: set[str] = set()
        for source in sources:
            used |= used_keys(source, variant_catalog)
        if used and not variant_catalog:
            raise SpecError(no_catalogs_message(used))
        if variant_catalog:
            variant_catalog.check(used)
    return Localization(catalogs=catalogs, overrides=overrides, default_locale=default_locale)


class RenderKind:
    """Render documents for every contact of an audience (see the module docstring)."""

    name = KIND
    failure_noun = "documents failed QA"

    def plan(self, session: Session, job: Job) -> Iterator[ChunkPlan]:
        """Every ``chunk_size``-th contact key is a boundary."""
        assert job.audience_id is not None
        audiences = AudienceRepository(session, job.workspace_id)
        audience = audiences.get(job.audience_id)
        if audience is None:
            raise NotFoundError(
                f"audience '{job.audience_id}' not found", code="audience.not_found"
            )
        if job.params.get("check_variables"):
            # The job was created while its audience was importing: the columns are known now.
            template = session.get(Template, job.template_id)
            if template is None:
                raise NotFoundError(f"template '{job.template_id}' not found")
            parts = template_parts(template, _spec(job))
            runtime_templates = compile_variants(
                engine=template.engine,
                parts=parts,
                variants=job.params["variants"],
                cache=PROCESS_CODE_CACHE,
            )
            docx = compile_docx(template.docx) if template.docx is not None else None
            check_localized_variables(
                runtime_templates,
                docx,
                list(audience.variables or []),
                localization=template_localization(template, job.params, parts=parts),
            )
        chunk_size = int(_spec(job)["chunk_size"])
        after: str | None = None
        count = 0
        last: str | None = None
        for key in audiences.keys(audience.id):
            count += 1
            last = key
            if count == chunk_size:
                yield ChunkPlan(after, key, count)
                after, count = key, 0
        if count and last is not None:
            yield ChunkPlan(after, last, count)

    def open_runtime(self, session: Session, job: Job, context: WorkerContext) -> RenderRuntime:
        template = session.get(Template, job.template_id)
        if template is None:
            raise LookupError(f"template {job.template_id} not found")
        brands = recorded_brands(
            session,
            job.workspace_id,
            job.params.get("brands") or {},
            layout_brand=job.params["spec"].get("brand"),
        )
        runtime = build_runtime(job, template, brands)
        audience = AudienceRepository(session, job.workspace_id).get(runtime.audience_id)
        runtime.decode = attribute_decoder(audience.types) if audience is not None else None
        return runtime

    def load_chunk(
        self, session: Session, runtime: RenderRuntime, chunk: JobChunk
    ) -> list[ContactData]:
        """The chunk's contacts: one keyset page of the audience."""
        assert chunk.last_key is not None
        rows = AudienceRepository(session, runtime.workspace_id).contacts_between(
            runtime.audience_id, after_key=chunk.after_key, last_key=chunk.last_key
        )
        decode = runtime.decode
        if decode is not None:
            for r in rows:
                decode(r[5])  # in place
        return [
            ContactData(
                row=r[0],
                key=r[1],
                email=r[2],
                locale=r[3],
                consent=r[4],
                attributes=r[5],
                email_row=r[6],
            )
            for r in rows
        ]

    def run_chunk(self, runtime: RenderRuntime, index: int, work: list[ContactData]) -> ChunkRun:
        result = runtime.renderer.render_chunk(work)
        runtime.sink.write_chunk(index, result.documents)
        dumps = orjson.dumps
        job_id = runtime.job_id
        outcomes = [
            (
                job_id,
                index,
                o.row,
                o.key,
                o.variant,
                o.locale,
                o.qa_status,
                dumps(o.qa_issues).decode("utf-8"),
                dumps(o.files).decode("utf-8"),
            )
            for o in result.outcomes
        ]
        stats = result.stats()
        stats["items"] = stats["contacts"]
        stats["failed"] = int(stats["qa"].get("fail", 0))
        return ChunkRun(stats=stats, result=outcomes)

    def commit_chunk(
        self, session: Session, runtime: RenderRuntime, index: int, run: ChunkRun
    ) -> None:
        DocumentRepository(session, runtime.workspace_id).replace_documents(
            runtime.job_id, index, run.result
        )

    def threshold(self, job: Job) -> ErrorThreshold | None:
        threshold = _spec(job).get("error_threshold", {})
        return ErrorThreshold.model_validate(threshold) if threshold is not None else None

    def on_failed(self, session: Session, job: Job) -> None:
        """Nothing to mark: a failed render keeps its finished chunks for a resume."""

    def finalize(self, session: Session, job: Job, *, settings: Settings | None) -> dict[str, Any]:
        """Write manifest.jsonl, rejected.csv, the sink's assembled outputs and report.json.

        Everything goes through the job's output store (``settings`` gives the S3 credentials
        when the outputs are in a bucket). Each output is published whole or not at all, and a
        finalize repeated after a crash does not assemble again from parts it already removed.
        """
        assert job.out_dir is not None and job.audience_id is not None
        store = open_location(job.out_dir, settings)
        documents_repo = DocumentRepository(session, job.workspace_id)
        audiences = AudienceRepository(session, job.workspace_id)
        audience = audiences.get(job.audience_id)
        if audience is None:
            raise NotFoundError(f"audience '{job.audience_id}' not found")
        spec = _spec(job)

        with store.open_writer(MANIFEST) as fh:
            for (
                row,
                key,
                variant,
                locale,
                qa_status,
                qa_issues,
                files,
            ) in documents_repo.iter_manifest(job.id):
                fh.write(
                    orjson.dumps(
                        {
                            "key": key,
                            "row": row,
                            "variant": variant,
                            "locale": locale,
                            "qa": {"status": qa_status, "issues": qa_issues},
                            "files": files,
                        }
                    )
                )
                fh.write(b"\n")

        with store.staged_file(REJECTED) as rejects:
            write_rejects_csv(
                rejects,
                list(audience.headers or []),
                audiences.iter_rejects(audience.id),
                delimiter=audience.delimiter or ",",  # JSONL and XLSX inputs have none
            )

        # Recorded before the parts are removed: once some parts are gone, assembling again
        # would publish an incomplete archive.
        if not store.exists(_ASSEMBLED):
            sink = make_sink(spec.get("sink") or "dir", store, spec["outputs"])
            sink.finalize(job.chunks_total)
            store.put(_ASSEMBLED, orjson.dumps({"job_id": job.id}))
        store.delete_prefix(PARTS_DIR)

        documents: Counter[str] = Counter()
        qa: Counter[str] = Counter()
        by_code: Counter[str] = Counter()
        locales: Counter[str] = Counter()
        for stats in JobRepository(session, job.workspace_id).chunk_stats(job.id):
            documents.update(stats.get("documents", {}))
            qa.update(stats.get("qa", {}))
            by_code.update(stats.get("by_code", {}))
            locales.update(stats.get("locales", {}))
        total_docs = sum(documents.values())
        elapsed = round(job.elapsed_s, 3)
        report = {
            "job_id": job.id,
            "name": job.name,
            "rows_read": audience.rows_read,
            "accepted": audience.accepted,
            "rejected": audience.rejected,
            "rejected_by_code": dict(sorted(audience.rejected_by_code.items())),
            "documents": {fmt: documents.get(fmt, 0) for fmt in spec["outputs"]},
            "qa": {
                "passed": qa.get("pass", 0),
                "warned": qa.get("warn", 0),
                "failed": qa.get("fail", 0),
                "by_code": dict(sorted(by_code.items())),
            },
            "locales": dict(sorted(locales.items())),
            **({"warnings": job.params["warnings"]} if job.params.get("warnings") else {}),
            # a brief: spec: the template written for it and what the writing cost
            **(job.params.get("generation") or {}),
            # variant_weights: where the variants' shares came from
            **(
                {"variant_weights": job.params["variant_weights"]}
                if job.params.get("variant_weights")
                else {}
            ),
            "sink": spec.get("sink") or "dir",
            "elapsed_s": elapsed,
            "docs_per_minute": round(total_docs / elapsed * 60, 1) if elapsed > 0 else None,
        }
        with store.open_writer(REPORT) as fh:
            fh.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
        return report
