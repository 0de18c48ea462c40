"""``generate``, ``validate`` and ``preview`` as the command line runs them.

The spec file is resolved here (``cli/specfile.py``); the audience is imported, the template
stored and the job created through the same id-based services the API uses. What only a
terminal needs stays here: the output folder's checks and marker, progress, following a job
on workers, and Ctrl-C (which pauses the job, for ``--resume``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from brandloom.audiences.reader import ContactRow, open_audience
from brandloom.audiences.service import import_audience
from brandloom.audiences.validation import key_candidates
from brandloom.cli.specfile import BriefWriter, SpecFile, read_spec_file
from brandloom.db.engine import unit_of_work
from brandloom.documents.flows import (
    catalog_warnings,
    contact_data,
    create_render_job,
    eml_date_for,
    preview_contact,
    preview_renderer,
)
from brandloom.documents.kind import JobBrands
from brandloom.documents.outputs import check_out_dir, clear_out_dir, write_marker
from brandloom.documents.pipeline import JobRenderer
from brandloom.documents.spec import RenderOptions, SpecError
from brandloom.errors import BrandloomError, ConflictError, NotFoundError
from brandloom.jobs import lifecycle
from brandloom.jobs.models import Job
from brandloom.jobs.repository import JobRepository
from brandloom.jobs.runner import InProcessRunner, Runner
from brandloom.jobs.states import FINISHED_STATES, JobState
from brandloom.settings import Settings, get_settings
from brandloom.storage import Store, is_remote, open_location
from brandloom.templates.service import save_template
from brandloom.workspaces.service import resolve_workspace

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
    force: bool = False,
    on_start: ProgressFn | None = None,
    on_progress: ProgressFn | None = None,
    runner: Runner | None = None,
    dispatcher: lifecycle.Dispatcher | None = None,
    detach: bool = False,
    housekeeping: Callable[[], object] | None = None,
    settings: Settings | None = None,
    brief_writer: BriefWriter | None = None,
) -> GenerateResult:
    """Create (or resume) the job for a spec file and run it.

    Without a ``dispatcher`` the job renders here on ``runner`` (in-process by default). With
    one, its chunks are enqueued for workers; ``detach`` returns right after, otherwise the job
    is followed until it stops (``housekeeping`` recovers work of dead workers meanwhile).
    ``force`` starts a new job in an ``out_dir`` that holds another's outputs (deleted first;
    an unfinished job there is cancelled). ``brief_writer`` writes the template of a spec with
    ``brief:`` (single-query bulk).
    """
    if resume and force:
        raise BrandloomError("give --resume or --force, not both", code="cli.usage")
    spec_file = read_spec_file(spec_path, brief_writer=brief_writer)
    out_dir = _output_location(out_dir)
    runner = runner or InProcessRunner(database_url, workers=workers)
    audience_reused = False

    with unit_of_work(factory) as session:
        workspace = resolve_workspace(session, name=workspace_name)
        previous = JobRepository(session, workspace).latest_for_out_dir(str(out_dir))
        if resume:
            if previous is None:
                raise BrandloomError(
                    f"nothing to resume in {out_dir}: no job was started there",
                    code="job.nothing_to_resume",
                )
            if previous.params_sha256 != spec_file.digest:
                raise ConflictError(
                    f"the spec or its templates changed since job {previous.id} started; "
                    "resume needs the same inputs (start a new job with another --out)",
                    code="job.spec_changed",
                )
            job_id = previous.id
        else:
            check_out_dir(_out_store(out_dir), previous=previous, force=force)
            if force and previous is not None and previous.state not in FINISHED_STATES:
                # its workers must not go on writing into the folder the new job takes over
                lifecycle.cancel_job(session, previous)
    if not resume:
        job_id, audience_reused = _create(
            factory, workspace_name, spec_file, out_dir, settings or get_settings()
        )

    if dispatcher is not None:
        try:
            lifecycle.submit_job(factory, job_id, dispatcher)
            if detach:
                return GenerateResult(
                    job_id,
                    out_dir,
                    {},
                    resumed=resume,
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
            job_id, out_dir, followed, resumed=resume, audience_reused=audience_reused
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
    return GenerateResult(job_id, out_dir, report, resumed=resume, audience_reused=audience_reused)


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
    on_start: ProgressFn | None,
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
    if status.state != JobState.DONE:
        detail = f": {status.error}" if status.error else ""
        raise BrandloomError(
            f"job {job_id} is {status.state}{detail}",
            code="job.stopped"
            if status.state in (JobState.PAUSED, JobState.CANCELLED)
            else "job.failed",
        )
    return status.report or {}


def _create(
    factory: sessionmaker[Session],
    workspace_name: str | None,
    spec_file: SpecFile,
    out_dir: Path | str,
    settings: Settings,
) -> tuple[str, bool]:
    if spec_file.audience_path is None:
        raise SpecError("audience.path is required")
    with unit_of_work(factory) as session:
        workspace = resolve_workspace(session, name=workspace_name)
        audience, reused = import_audience(
            session, workspace, path=spec_file.audience_path, options=spec_file.options
        )
    # The import is committed on its own: a failed template check below keeps it for reuse.
    spec_file.prepared.check_variables(audience.variables or [])
    clear_out_dir(_out_store(out_dir))
    with unit_of_work(factory) as session:
        workspace = resolve_workspace(session, name=workspace_name)
        prepared = spec_file.prepared
        template = save_template(
            session,
            workspace,
            name=spec_file.spec.name,
            engine=prepared.engine,
            parts=prepared.parts,
            docx=prepared.docx,
            messages=prepared.messages,
            locales=prepared.locales,
            assets=prepared.assets,
        )
        job = create_render_job(
            session,
            workspace,
            spec=spec_file.render_spec(audience_id=audience.id, template_id=template.id),
            out_dir=out_dir,
            settings=settings,
            digest=spec_file.digest,
            origins=spec_file.origins,
            generation=spec_file.generation,
        )
        if isinstance(out_dir, Path):
            out_dir.mkdir(parents=True, exist_ok=True)
            write_marker(out_dir, job)
        else:
            write_marker(open_location(out_dir, settings), job)
        return job.id, reused


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
    warnings: list[dict[str, str]] = field(default_factory=list)


BrandsLoader = Callable[[RenderOptions], JobBrands]
"""Loads the brands a spec names (validate and preview read them from the workspace)."""


def file_renderer(spec_file: SpecFile, brands: BrandsLoader | None = None) -> JobRenderer:
    """The renderer the spec's job would use, dated as a job created now would be; every
    rendered part is kept (a preview shows the body even when no output needs the text)."""
    return preview_renderer(
        spec_file.spec,
        spec_file.prepared,
        eml_date=eml_date_for(spec_file.spec, datetime.now(UTC)),
        all_parts=True,
        brands=brands(spec_file.spec) if brands and spec_file.spec.brands().names() else None,
    )


def _audience_reader(spec_file: SpecFile) -> Any:
    if spec_file.audience_path is None:
        raise SpecError("audience.path is required")
    reader = open_audience(spec_file.audience_path, spec_file.options)
    spec_file.prepared.check_variables(list(reader.variables))
    return reader


def validate(
    spec_path: Path, *, previews: int = 3, brands: BrandsLoader | None = None
) -> ValidationSummary:
    """Template and audience checks plus a few rendered previews; nothing is written."""
    spec_file = read_spec_file(spec_path)
    reader = _audience_reader(spec_file)
    renderer = file_renderer(spec_file, brands)
    localization = spec_file.prepared.localization
    rows_read = accepted = rejected = 0
    by_code: dict[str, int] = {}
    shown: list[dict[str, Any]] = []
    locales: set[str | None] = set()
    for item in reader:
        rows_read += 1
        if isinstance(item, ContactRow):
            accepted += 1
            locales.add(item.locale)
            if len(shown) < previews:
                shown.append(preview_contact(renderer, contact_data(item)))
        else:
            rejected += 1
            by_code[item.code] = by_code.get(item.code, 0) + 1
    return ValidationSummary(
        rows_read=rows_read,
        accepted=accepted,
        rejected=rejected,
        rejected_by_code=dict(sorted(by_code.items())),
        variables=list(reader.variables),
        engine=spec_file.prepared.engine,
        variants=[v.name for v in spec_file.spec.variants],
        previews=shown,
        warnings=catalog_warnings(localization, locales) if localization else [],
    )


def preview(spec_path: Path, *, key: str, brands: BrandsLoader | None = None) -> dict[str, Any]:
    """Render one contact (by key) of the spec's audience; nothing is written."""
    spec_file = read_spec_file(spec_path)
    reader = _audience_reader(spec_file)
    renderer = file_renderer(spec_file, brands)
    wanted = key_candidates(key)
    for item in reader:
        if isinstance(item, ContactRow) and item.key in wanted:
            return preview_contact(renderer, contact_data(item))
    raise NotFoundError(
        f"no accepted contact with key '{key}' in {spec_file.audience_path}",
        code="contact.not_found",
    )
