"""Multi-step orchestration: spec -> template -> audience -> job -> chunks -> outputs.

Validation happens before anything is written: a bad spec, template or audience raises a
``BrandloomError`` (exit code 2 in the CLI) while the output folder is still untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session, sessionmaker

from brandloom.audiences.models import Audience
from brandloom.audiences.reader import ContactRow, ImportOptions, open_audience
from brandloom.audiences.service import get_audience, import_audience
from brandloom.db.engine import unit_of_work
from brandloom.documents.formats.docx import DocxTemplate
from brandloom.documents.kind import KIND as RENDER_KIND
from brandloom.documents.kind import RenderParams, render_settings
from brandloom.documents.kind import check_template_variables as check_variables
from brandloom.documents.outputs import check_out_dir, clear_out_dir, write_marker
from brandloom.documents.pipeline import ContactData, JobRenderer
from brandloom.documents.schemas import JobCreate
from brandloom.documents.spec import (
    JobSpec,
    SpecError,
    TemplateSpec,
    load_spec,
    parse_spec,
    resolve_part,
    resolve_path,
)
from brandloom.errors import BrandloomError, ConflictError
from brandloom.jobs import lifecycle
from brandloom.jobs import service as job_service
from brandloom.jobs.models import Job
from brandloom.jobs.repository import JobRepository
from brandloom.jobs.runner import InProcessRunner, Runner
from brandloom.jobs.states import JobState
from brandloom.kit.hashing import sha256_hex
from brandloom.kit.ids import new_id
from brandloom.settings import Settings, get_settings
from brandloom.storage import Store, api_jobs_location, is_remote, join_location, open_location
from brandloom.templates.engine import CompiledTemplate
from brandloom.templates.models import Template
from brandloom.templates.service import (
    compile_docx,
    compile_variants,
    get_template,
    save_template,
)
from brandloom.workspaces.models import Workspace
from brandloom.workspaces.service import resolve_workspace


@dataclass(slots=True)
class PreparedSpec:
    """A spec with every file read and every template compiled: ready to run or preview."""

    spec: JobSpec
    base: Path
    engine: str
    parts: dict[str, str]
    origins: dict[str, str]
    variants: dict[str, dict[str, str]]
    weights: list[tuple[str, float]]
    compiled: dict[str | None, CompiledTemplate]
    docx: bytes | None
    docx_compiled: DocxTemplate | None
    audience_path: Path | None
    options: ImportOptions
    digest: str = ""

    def params(self, eml_date: datetime) -> RenderParams:
        return RenderParams(
            spec=self.spec.model_dump(mode="json", by_alias=True),
            variants=self.variants,
            weights=self.weights,
            eml_date=eml_date.isoformat(),
        )


def prepare(
    spec: JobSpec, base: Path, *, audience_path: Path | None = None, allow_files: bool = True
) -> PreparedSpec:
    """Read template files, pick the engine, compile every variant (syntax errors raise here).

    ``allow_files=False`` (API requests) treats every part as inline text: a request can never
    make the server read a file of its choosing.
    """
    tpl = spec.template

    def resolve(value: str, part: str) -> tuple[str, str]:
        return resolve_part(value, base, part=part) if allow_files else (value, "inline")

    parts: dict[str, str] = {}
    origins: dict[str, str] = {}
    for name, value in tpl.text_parts().items():
        parts[name], origins[name] = resolve(value, name)
    if spec.email.unsubscribe_url:
        parts["unsubscribe_url"] = spec.email.unsubscribe_url
        origins["unsubscribe_url"] = "email.unsubscribe_url"
    engine = tpl.engine or (
        "liquid" if any(o.endswith(".liquid") for o in origins.values()) else "jinja"
    )
    if (
        "html" not in parts
        and "text" not in parts
        and "markdown" not in parts
        and "sms" not in parts
    ):
        raise SpecError("template: give at least one of html, text, markdown or sms")
    needs = {"html": "html", "sms": "sms"}
    for fmt, part in needs.items():
        if fmt in spec.outputs and part not in parts:
            raise SpecError(f"outputs has '{fmt}' but template.{part} is missing")
    docx: bytes | None = None
    if tpl.docx is not None:
        if not allow_files:
            raise SpecError("template.docx: upload Word templates through a stored template")
        docx_path = resolve_path(tpl.docx, base)
        if docx_path.suffix.lower() != ".docx":
            raise SpecError(f"template.docx: expected a .docx file, got {docx_path.name}")
        try:
            docx = docx_path.read_bytes()
        except OSError as exc:
            raise SpecError(
                f"template.docx: cannot read {docx_path}: {exc.strerror or exc}",
                code="spec.file_not_found",
            ) from None
        origins["docx"] = str(docx_path)
    for fmt in ("pdf", "docx"):
        if fmt not in spec.outputs or (fmt == "docx" and docx is not None):
            continue
        if not {"pdf", "markdown", "html"} & set(parts):
            raise SpecError(
                f"outputs has '{fmt}': give template.{fmt if fmt == 'docx' else 'pdf'}, "
                "template.markdown or template.html"
            )
    variants: dict[str, dict[str, str]] = {}
    for variant in spec.variants:
        overrides = {}
        for part, value in variant.overrides().items():
            overrides[part], _ = resolve(value, f"{variant.name}.{part}")
        variants[variant.name] = overrides
    compiled = compile_variants(engine=engine, parts=parts, variants=variants, origins=origins)
    docx_compiled = compile_docx(docx, origin=origins["docx"]) if docx is not None else None
    aud = spec.audience
    if audience_path is None and aud.path:
        audience_path = resolve_path(aud.path, base)
    options = ImportOptions(
        key=aud.key,
        columns=dict(aud.columns),
        required=tuple(aud.required),
        format=aud.format,
        delimiter=aud.delimiter,
        encoding=aud.encoding,
        sheet=aud.sheet,
    )
    digest = sha256_hex(
        orjson.dumps(
            {
                "spec": spec.model_dump(mode="json", by_alias=True),
                "parts": parts,
                "variants": variants,
                "engine": engine,
                "docx": sha256_hex(docx) if docx is not None else None,
            },
            option=orjson.OPT_SORT_KEYS,
        )
    )
    return PreparedSpec(
        spec=spec,
        base=base,
        engine=engine,
        parts=parts,
        origins=origins,
        variants=variants,
        weights=[(v.name, v.weight) for v in spec.variants],
        compiled=compiled,
        docx=docx,
        docx_compiled=docx_compiled,
        audience_path=audience_path,
        options=options,
        digest=digest,
    )


def check_template_variables(prepared: PreparedSpec, available: list[str]) -> None:
    check_variables(prepared.compiled, prepared.docx_compiled, available)


def eml_date_for(prepared: PreparedSpec, source_mtime: datetime) -> datetime:
    if prepared.spec.email.date:
        try:
            value = datetime.fromisoformat(prepared.spec.email.date)
        except ValueError:
            raise SpecError(
                f"email.date: not an ISO 8601 date: {prepared.spec.email.date!r}"
            ) from None
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return source_mtime


# ---------------------------------------------------------------------------------------------
# generate
# ---------------------------------------------------------------------------------------------


Progress = lifecycle.Progress
ProgressFn = lifecycle.ProgressFn


@dataclass(slots=True)
class GenerateResult:
    job_id: str
    out_dir: Path | str  # a local folder, or an object-storage location (s3://...)
    report: dict[str, Any]
    resumed: bool = False
    audience_reused: bool = False
    detached: bool = False
    warnings: list[str] = field(default_factory=list)


def generate(
    factory: sessionmaker[Session],
    *,
    database_url: str,
    workspace_name: str | None,
    spec_path: Path,
    out_dir: Path | str,
    workers: int,
    resume: bool = False,
    on_start: Callable[[Progress], None] | None = None,
    on_progress: ProgressFn | None = None,
    runner: Runner | None = None,
    dispatcher: lifecycle.Dispatcher | None = None,
    detach: bool = False,
    housekeeping: Callable[[], object] | None = None,
) -> GenerateResult:
    """Create (or resume) the job for a spec and run it.

    Without a ``dispatcher`` the job renders here on ``runner`` (in-process by default). With
    one, its chunks are enqueued for workers; ``detach`` returns right after, otherwise the job
    is followed until it stops (``housekeeping`` recovers work of dead workers meanwhile).
    """
    spec, base = load_spec(spec_path)
    prepared = prepare(spec, base)
    out_dir = _output_location(out_dir)
    runner = runner or InProcessRunner(database_url, workers=workers)
    resumed = False
    audience_reused = False

    with unit_of_work(factory) as session:
        workspace = resolve_workspace(session, name=workspace_name)
        repo = JobRepository(session, workspace)
        previous = repo.latest_for_out_dir(str(out_dir))
        if resume:
            if previous is None:
                raise BrandloomError(
                    f"nothing to resume in {out_dir}: no job was started there",
                    code="job.nothing_to_resume",
                )
            if previous.params_sha256 != prepared.digest:
                raise ConflictError(
                    f"the spec or its templates changed since job {previous.id} started; "
                    "resume needs the same inputs (start a new job with another --out)",
                    code="job.spec_changed",
                )
            job_id = previous.id
            resumed = True
        else:
            unfinished = previous if previous and previous.state != JobState.DONE else None
            check_out_dir(_out_store(out_dir), unfinished=unfinished)
            job_id = ""
    if not resume:
        job_id, audience_reused = _create(factory, workspace_name, prepared, out_dir)

    if dispatcher is not None:
        try:
            lifecycle.submit_job(factory, job_id, dispatcher)
            if detach:
                return GenerateResult(
                    job_id,
                    out_dir,
                    {},
                    resumed=resumed,
                    audience_reused=audience_reused,
                    detached=True,
                )
            followed = _follow(factory, job_id, on_start, on_progress, housekeeping)
        except KeyboardInterrupt:
            # Ctrl-C while enqueuing or following: the workers stop taking the job's chunks
            # (those in hand finish) and ``--resume`` continues it.
            with unit_of_work(factory) as session:
                job = session.get(Job, job_id)
                if job is not None and job.state == JobState.RUNNING:
                    lifecycle.pause_job(session, job)
            raise
        return GenerateResult(
            job_id, out_dir, followed, resumed=resumed, audience_reused=audience_reused
        )

    report = lifecycle.execute_job(
        factory, job_id=job_id, runner=runner, on_start=on_start, on_progress=on_progress
    )
    if report is None:
        status = lifecycle.job_status(factory, job_id)
        detail = f": {status.error}" if status.error else ""
        raise BrandloomError(
            f"job {job_id} was stopped before it finished ({status.state}){detail}",
            code="job.stopped",
        )
    return GenerateResult(job_id, out_dir, report, resumed=resumed, audience_reused=audience_reused)


def _output_location(out: Path | str) -> Path | str:
    """``--out`` as a job records it: a resolved local folder, or an ``s3://`` location.

    With a bucket as the destination, workers on any machine write the job's outputs there
    (the S3 settings give the endpoint and credentials), and nothing lands on this machine.
    """
    if isinstance(out, str) and is_remote(out):
        open_location(out)  # refuses credentials in the URL and names a bad location now
        return out.rstrip("/")
    return Path(out).resolve()


def _out_store(out_dir: Path | str) -> Path | Store:
    return out_dir if isinstance(out_dir, Path) else open_location(out_dir)


def _follow(
    factory: sessionmaker[Session],
    job_id: str,
    on_start: Callable[[Progress], None] | None,
    on_progress: ProgressFn | None,
    housekeeping: Callable[[], object] | None,
) -> dict[str, Any]:
    """Follow a distributed job to its end."""
    started = False

    def progressed(status: lifecycle.JobStatus) -> None:
        nonlocal started
        if not started:
            started = True
            if on_start:
                on_start(status)
        elif on_progress:
            on_progress(status)

    status = lifecycle.follow_job(
        factory, job_id, on_progress=progressed, housekeeping=housekeeping
    )
    if status.state != "done":
        detail = f": {status.error}" if status.error else ""
        raise BrandloomError(
            f"job {job_id} is {status.state}{detail}",
            code="job.stopped" if status.state in ("paused", "cancelled") else "job.failed",
        )
    return status.report or {}


def _create(
    factory: sessionmaker[Session],
    workspace_name: str | None,
    prepared: PreparedSpec,
    out_dir: Path | str,
) -> tuple[str, bool]:
    spec = prepared.spec
    if prepared.audience_path is None:
        raise SpecError("audience.path is required")
    with unit_of_work(factory) as session:
        workspace = resolve_workspace(session, name=workspace_name)
        audience, reused = import_audience(
            session, workspace, path=prepared.audience_path, options=prepared.options
        )
    # The import is committed on its own: a failed template check below keeps it for reuse.
    check_template_variables(prepared, list(audience.variables or []))
    clear_out_dir(_out_store(out_dir))
    with unit_of_work(factory) as session:
        workspace = resolve_workspace(session, name=workspace_name)
        template = save_template(
            session,
            workspace,
            name=spec.name,
            engine=prepared.engine,
            parts=prepared.parts,
            docx=prepared.docx,
        )
        job = _record_job(session, workspace, prepared, audience, template, out_dir)
        return job.id, reused


def _record_job(
    session: Session,
    workspace: Workspace,
    prepared: PreparedSpec,
    audience: Audience,
    template: Template,
    out_dir: Path | str,
    job_id: str | None = None,
    settings: Settings | None = None,
) -> Job:
    """Create the job with its chunk plan and mark its output location (folder or bucket)."""
    spec = prepared.spec
    params = prepared.params(eml_date_for(prepared, audience.source_mtime)).to_json()
    if audience.state != "ready":
        # The columns are known once the import is done: the variables are checked then.
        params["check_variables"] = True
    job = job_service.create_job(
        session,
        workspace,
        kind=RENDER_KIND,
        name=spec.name,
        params=params,
        params_sha256=prepared.digest,
        audience_id=audience.id,
        template_id=template.id,
        out_dir=out_dir,
        after_job_id=audience.job_id if audience.state != "ready" else None,
        job_id=job_id,
    )
    if isinstance(out_dir, Path):
        out_dir.mkdir(parents=True, exist_ok=True)
        write_marker(out_dir, job)
    else:
        write_marker(open_location(out_dir, settings), job)
    return job


# ---------------------------------------------------------------------------------------------
# validate / preview: read the audience file directly, write nothing
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ValidationSummary:
    rows_read: int
    accepted: int
    rejected: int
    rejected_by_code: dict[str, int]
    variables: list[str]
    engine: str
    variants: list[str]
    previews: list[dict[str, Any]]


def _preview_renderer(prepared: PreparedSpec) -> JobRenderer:
    spec = prepared.spec
    return JobRenderer(
        templates=prepared.compiled,
        weights=prepared.weights,
        qa=spec.qa,
        docx_template=prepared.docx_compiled,
        settings=render_settings(
            name=spec.name,
            seed=str(spec.seed),
            locale=spec.locale,
            outputs=tuple(spec.outputs),
            from_addr=spec.email.from_,
            from_name=spec.email.from_name,
            reply_to=spec.email.reply_to,
            unsubscribe_mailto=spec.email.unsubscribe_mailto,
            eml_date=eml_date_for(
                prepared,
                datetime.fromtimestamp(
                    int(prepared.audience_path.stat().st_mtime) if prepared.audience_path else 0,
                    UTC,
                ),
            ),
            keep_parts=True,
        ),
    )


def _contact_data(row: ContactRow) -> ContactData:
    return ContactData(
        row=row.row,
        key=row.key,
        email=row.email,
        locale=row.locale,
        consent=row.consent,
        attributes=row.attributes,
    )


def validate(spec_path: Path, *, previews: int = 3) -> ValidationSummary:
    """Template and audience checks plus a few rendered previews; nothing is written."""
    spec, base = load_spec(spec_path)
    prepared = prepare(spec, base)
    if prepared.audience_path is None:
        raise SpecError("audience.path is required")
    reader = open_audience(prepared.audience_path, prepared.options)
    check_template_variables(prepared, list(reader.variables))
    renderer = _preview_renderer(prepared)
    rows_read = accepted = rejected = 0
    by_code: dict[str, int] = {}
    shown: list[dict[str, Any]] = []
    for item in reader:
        rows_read += 1
        if isinstance(item, ContactRow):
            accepted += 1
            if len(shown) < previews:
                shown.append(_preview(renderer, _contact_data(item)))
        else:
            rejected += 1
            by_code[item.code] = by_code.get(item.code, 0) + 1
    return ValidationSummary(
        rows_read=rows_read,
        accepted=accepted,
        rejected=rejected,
        rejected_by_code=dict(sorted(by_code.items())),
        variables=list(reader.variables),
        engine=prepared.engine,
        variants=[v.name for v in spec.variants],
        previews=shown,
    )


def _preview(renderer: JobRenderer, contact: ContactData) -> dict[str, Any]:
    result = renderer.render_chunk([contact], include_failed=True)
    outcome = result.outcomes[0]
    doc = result.documents[0] if result.documents else None
    return {
        "key": outcome.key,
        "row": outcome.row,
        "variant": outcome.variant,
        "qa": {"status": outcome.qa_status, "issues": outcome.qa_issues},
        "parts": doc.parts if doc else {},
        "files": {fmt: data for fmt, (_rel, data) in doc.files.items()} if doc else {},
    }


def preview(spec_path: Path, *, key: str) -> dict[str, Any]:
    """Render one contact (by key) of the spec's audience; nothing is written."""
    spec, base = load_spec(spec_path)
    prepared = prepare(spec, base)
    if prepared.audience_path is None:
        raise SpecError("audience.path is required")
    reader = open_audience(prepared.audience_path, prepared.options)
    check_template_variables(prepared, list(reader.variables))
    renderer = _preview_renderer(prepared)
    wanted = key.strip()
    for item in reader:
        if isinstance(item, ContactRow) and (item.key == wanted or item.key == wanted.lower()):
            return _preview(renderer, _contact_data(item))
    raise BrandloomError(
        f"no accepted contact with key '{key}' in {prepared.audience_path}",
        code="contact.not_found",
        status=404,
    )


# ---------------------------------------------------------------------------------------------
# API jobs: audience and template by id, outputs under the data dir
# ---------------------------------------------------------------------------------------------


def create_job_from_request(
    session: Session,
    workspace: Workspace,
    *,
    body: JobCreate,
    jobs_dir: Path,
    settings: Settings | None = None,
) -> Job:
    """Validate an API job request fully (template, variables) and record the job.

    Outputs go to ``jobs_dir/<job id>`` or, with ``storage_url`` set (``settings`` defaults to
    the process settings), to ``<storage_url>/jobs/<job id>``, where workers on any machine
    write them and the API reads them back.
    """
    if (body.template_id is None) == (body.template is None):
        raise SpecError("give exactly one of template_id or template (inline parts)")
    audience = get_audience(session, workspace, audience_id=body.audience_id)
    stored: Template | None = None
    if body.template_id is not None:
        stored = get_template(session, workspace, template_id=body.template_id)
        template_spec = TemplateSpec(engine=stored.engine, **stored.parts)
    else:
        assert body.template is not None
        template_spec = body.template
    spec = parse_spec(
        {
            **body.model_dump(
                mode="json",
                by_alias=True,
                exclude={"audience_id", "template_id", "template"},
            ),
            "audience": {},
            "template": template_spec.model_dump(exclude_none=True),
        },
        origin="request",
    )
    prepared = prepare(spec, jobs_dir, allow_files=False)
    if audience.state == "failed":
        raise ConflictError(
            f"audience '{audience.id}' failed to import: {audience.error}",
            code="audience.import_failed",
        )
    if audience.variables is not None:
        check_template_variables(prepared, list(audience.variables))
    template = stored or save_template(
        session, workspace, name=spec.name, engine=prepared.engine, parts=prepared.parts
    )
    job_id = new_id("job")
    settings = settings or get_settings()
    out: Path | str = jobs_dir / job_id
    if settings.storage_url:
        location = join_location(api_jobs_location(settings), job_id)
        out = location if is_remote(location) else Path(location)
    return _record_job(
        session, workspace, prepared, audience, template, out, job_id=job_id, settings=settings
    )
