"""HTTP endpoints for jobs: create, read, manifest, documents, archive, pause, cancel, resume."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import Connection

from brandloom.api.deps import (
    BearerDep,
    SessionDep,
    StateDep,
    read_in_workspace,
    require_scopes,
)
from brandloom.auth import AuthContext
from brandloom.db.engine import unit_of_work
from brandloom.documents.service import MEDIA_TYPES, stream_archive, stream_document
from brandloom.errors import ConflictError, NotFoundError
from brandloom.jobs import lifecycle
from brandloom.jobs.flows import create_job_from_request
from brandloom.jobs.models import Job
from brandloom.jobs.repository import JobRepository, job_status
from brandloom.jobs.schemas import JobCreate, JobProgress, JobRead, ManifestEntry
from brandloom.jobs.service import get_job
from brandloom.kit.pagination import Page, decode_int_cursor, encode_cursor

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

JobsRead = Annotated[AuthContext, Depends(require_scopes("jobs:read"))]
JobsWrite = Annotated[AuthContext, Depends(require_scopes("jobs:write"))]


def _read(job: Job | Any) -> JobRead:
    """The API view of a job (an ORM object, or a row of ``repository.STATUS_COLUMNS``)."""
    # Progress counters move in the same transaction as each chunk's commit.
    chunks_done, contacts_done = job.chunks_done, job.contacts_done
    total = job.contacts_total
    return JobRead(
        id=job.id,
        name=job.name,
        state=job.state,
        progress=JobProgress(
            contacts_total=total,
            contacts_done=contacts_done,
            chunks_total=job.chunks_total,
            chunks_done=chunks_done,
            percent=round(100.0 * contacts_done / total, 2) if total else 100.0,
        ),
        audience_id=job.audience_id,
        template_id=job.template_id,
        report=job.report,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


@router.post("", status_code=202, response_model=JobRead)
def create_job(body: JobCreate, state: StateDep, auth: JobsWrite) -> JobRead:
    """Validate the spec, record the job and start it after the record is committed."""
    with unit_of_work(state.factory) as session:
        job = create_job_from_request(
            session,
            auth.workspace,
            body=body,
            jobs_dir=state.settings.jobs_dir,
            settings=state.settings,
        )
        read = _read(job)
    state.executor.submit(job.id)
    return read


@router.get("/{job_id}", response_model=JobRead)
async def read_job(
    job_id: str, request: Request, state: StateDep, credentials: BearerDep
) -> Response:
    """A job's state and progress (scope ``jobs:read``). Clients poll this: one query at most,
    and no worker-thread hop."""

    def read(conn: Connection, workspace_id: str) -> bytes:
        row = job_status(conn, workspace_id=workspace_id, job_id=job_id)
        if row is None:
            raise NotFoundError(f"job '{job_id}' not found", code="job.not_found")
        return _read(row).model_dump_json().encode()

    # Serialized here, off the event loop; the response model above documents the shape.
    body = await read_in_workspace(request, state, credentials, read, scope="jobs:read")
    return Response(body, media_type="application/json")


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
    docs = JobRepository(session, auth.workspace).documents_by_row(
        job.id, after_row=decode_int_cursor(cursor), limit=limit + 1
    )
    more = len(docs) > limit
    docs = docs[:limit]
    return Page[ManifestEntry](
        items=[
            ManifestEntry(
                key=d.key,
                row=d.row,
                variant=d.variant,
                qa={"status": d.qa_status, "issues": d.qa_issues},
                files=d.files,
            )
            for d in docs
        ],
        next_cursor=encode_cursor(docs[-1].row) if more and docs else None,
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
    """One rendered file of one contact, streamed from the job's output storage."""
    job = get_job(session, auth.workspace, job_id=job_id)
    record = JobRepository(session, auth.workspace).document(job.id, key)
    if record is None:
        raise NotFoundError(f"no document for contact '{key}' in job {job_id}")
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


@router.post("/{job_id}/cancel", response_model=JobRead)
def cancel_job(job_id: str, session: SessionDep, auth: JobsWrite) -> JobRead:
    """Stop a job for good: no more chunks are rendered, on any worker."""
    job = lifecycle.cancel_job(session, get_job(session, auth.workspace, job_id=job_id))
    session.flush()
    return _read(job)


@router.post("/{job_id}/pause", response_model=JobRead)
def pause_job(job_id: str, session: SessionDep, auth: JobsWrite) -> JobRead:
    """Pause a job: chunks in hand finish, no new ones start; ``resume`` continues it."""
    job = lifecycle.pause_job(session, get_job(session, auth.workspace, job_id=job_id))
    session.flush()
    return _read(job)


@router.post("/{job_id}/resume", response_model=JobRead)
def resume_job(job_id: str, state: StateDep, auth: JobsWrite) -> JobRead:
    """Continue a paused or failed job: only its unfinished chunks are rendered."""
    with unit_of_work(state.factory) as session:
        job = get_job(session, auth.workspace, job_id=job_id)
        if job.state not in ("paused", "failed", "queued"):
            raise ConflictError(
                f"job {job_id} is {job.state} and cannot be resumed", code="job.not_resumable"
            )
        job.state = "queued"
        job.error = None
        read = _read(job)
    state.executor.submit(job_id)
    return read
