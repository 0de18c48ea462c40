"""HTTP endpoints for render jobs: create one, read its manifest, documents and archive.

Mounted under ``/v1/jobs`` beside the generic job endpoints (``jobs.router``).
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from brandloom.db.engine import after_commit, unit_of_work
from brandloom.documents import flows
from brandloom.documents.flows import create_render_job
from brandloom.documents.repository import DocumentRepository
from brandloom.documents.schemas import (
    JobCreate,
    ManifestEntry,
    TemplatePreviewRead,
    TemplatePreviewRequest,
)
from brandloom.documents.service import (
    MEDIA_TYPES,
    get_document,
    stream_archive,
    stream_document,
)
from brandloom.errors import ConflictError
from brandloom.jobs.router import JobsRead, JobsWrite, read_job_model
from brandloom.jobs.schemas import JobRead, JobWarning
from brandloom.jobs.service import get_job
from brandloom.kit.pagination import Page, decode_int_cursor, page_by_position
from brandloom.templates.router import TemplatesRead
from brandloom.web.deps import SessionDep, StateDep

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
# Template previews render documents, so they are served from here under /v1/templates.
templates_router = APIRouter(prefix="/v1/templates", tags=["templates"])


@templates_router.post("/{template_id}/preview", response_model=TemplatePreviewRead)
def preview_template(
    template_id: str,
    body: TemplatePreviewRequest,
    session: SessionDep,
    auth: TemplatesRead,
    state: StateDep,
) -> TemplatePreviewRead:
    """One contact rendered with the template exactly as a job with ``options`` renders it:
    the parts, the variant and the QA outcome. A contact read from an audience needs the
    ``audiences:read`` scope as well."""
    if body.audience_id is not None:
        auth.require("audiences:read")
    shown = flows.preview_template(
        session,
        auth.workspace,
        template_id=template_id,
        options=body.options,
        contact=body.contact,
        audience_id=body.audience_id,
        key=body.key,
        variant=body.variant,
        locale=body.locale,
        cache=state.cache,
    )
    return TemplatePreviewRead.model_validate(shown)


@router.post("", status_code=202, response_model=JobRead)
def create_job(body: JobCreate, state: StateDep, auth: JobsWrite) -> JobRead:
    """Validate the spec, record the job and start it after the record is committed."""
    with unit_of_work(state.factory) as session:
        job = create_render_job(
            session, auth.workspace, spec=body, settings=state.settings, cache=state.cache
        )
        read = read_job_model(job)
        read.warnings = [JobWarning(**w) for w in job.params.get("warnings", ())]
        after_commit(session, partial(state.executor.submit, job.id))
    return read


@router.get("/{job_id}/manifest", response_model=Page[ManifestEntry])
def read_manifest(
    job_id: str,
    session: SessionDep,
    auth: JobsRead,
    cursor: str | None = None,
    limit: int = 100,
) -> Page[ManifestEntry]:
    """Documents in row order (what manifest.jsonl holds), paged."""
    job = get_job(session, auth.workspace, job_id=job_id)
    limit = max(1, min(limit, 1000))
    docs = DocumentRepository(session, auth.workspace).documents_by_row(
        job.id, after_row=decode_int_cursor(cursor), limit=limit + 1
    )
    page = page_by_position(docs, limit, lambda d: d.row)
    return Page[ManifestEntry](
        items=[
            ManifestEntry(
                key=d.key,
                row=d.row,
                variant=d.variant,
                locale=d.locale,
                qa={"status": d.qa_status, "issues": d.qa_issues},
                files=d.files,
            )
            for d in page.items
        ],
        next_cursor=page.next_cursor,
    )


@router.get("/{job_id}/documents/{key}/{fmt}")
def read_document_file(
    job_id: str,
    key: str,
    fmt: str,
    session: SessionDep,
    auth: JobsRead,
    state: StateDep,
) -> Response:
    """One rendered file of one contact, streamed from the job's output storage.

    404 ``document.not_found`` for a contact the job does not have; 409 ``document.qa_failed``
    (with the QA findings in ``error.details.qa``) for one whose document failed QA."""
    job = get_job(session, auth.workspace, job_id=job_id)
    record = get_document(session, auth.workspace, job=job, key=key)
    return StreamingResponse(
        stream_document(job, record, fmt, settings=state.settings),
        media_type=MEDIA_TYPES.get(fmt, "application/octet-stream"),
    )


@router.get("/{job_id}/archive")
def read_archive(job_id: str, session: SessionDep, auth: JobsRead, state: StateDep) -> Response:
    """Every output of a finished job as one zip, streamed."""
    job = get_job(session, auth.workspace, job_id=job_id)
    if job.state != "done":
        raise ConflictError(f"job {job_id} is {job.state}; the archive exists once it is done")
    headers = {"Content-Disposition": f'attachment; filename="{job_id}.zip"'}
    return StreamingResponse(
        stream_archive(job, settings=state.settings), media_type="application/zip", headers=headers
    )
