"""HTTP endpoints for jobs of every kind: read, pause, cancel, resume.

Render jobs are created, and their outputs read, through ``documents.router`` (same prefix).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import Connection

from brandloom.auth import AuthContext
from brandloom.db.engine import after_commit, unit_of_work
from brandloom.errors import NotFoundError
from brandloom.jobs import lifecycle
from brandloom.jobs.models import Job
from brandloom.jobs.repository import job_status
from brandloom.jobs.schemas import JobProgress, JobRead
from brandloom.jobs.service import get_job
from brandloom.jobs.service import list_jobs as list_workspace_jobs
from brandloom.jobs.states import JobState
from brandloom.kit.pagination import Page
from brandloom.web.deps import (
    BearerDep,
    ListQueryDep,
    SessionDep,
    StateDep,
    read_in_workspace,
    require_scopes,
)

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

JobsRead = Annotated[AuthContext, Depends(require_scopes("jobs:read"))]
JobsWrite = Annotated[AuthContext, Depends(require_scopes("jobs:write"))]


def read_job_model(job: Job | Any) -> JobRead:
    """The API view of a job (an ORM object, or a row of ``repository.STATUS_COLUMNS``)."""
    # Progress counters move in the same transaction as each chunk's commit.
    chunks_done, items_done = job.chunks_done, job.items_done
    total = job.items_total
    return JobRead(
        id=job.id,
        kind=job.kind,
        name=job.name,
        state=job.state,
        progress=JobProgress(
            contacts_total=total,
            contacts_done=items_done,
            chunks_total=job.chunks_total,
            chunks_done=chunks_done,
            percent=round(100.0 * items_done / total, 2) if total else 100.0,
        ),
        audience_id=job.audience_id,
        template_id=job.template_id,
        report=job.report,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


@router.get("", response_model=Page[JobRead])
def list_jobs(
    session: SessionDep,
    auth: JobsRead,
    query: ListQueryDep,
    state: JobState | None = None,
) -> Page[JobRead]:
    """The workspace's jobs of every kind, newest first."""
    rows, next_cursor = list_workspace_jobs(
        session,
        auth.workspace,
        cursor=query.cursor,
        limit=query.limit,
        state=state.value if state is not None else None,
        name=query.name,
    )
    return Page[JobRead](items=[read_job_model(r) for r in rows], next_cursor=next_cursor)


@router.get("/{job_id}", response_model=JobRead)
async def read_job(
    job_id: str, request: Request, state: StateDep, credentials: BearerDep
) -> Response:
    """A job's state and progress. Clients poll this: one query, and no worker-thread hop."""

    def read(conn: Connection, workspace_id: str) -> bytes:
        row = job_status(conn, workspace_id=workspace_id, job_id=job_id)
        if row is None:
            raise NotFoundError(f"job '{job_id}' not found", code="job.not_found")
        return read_job_model(row).model_dump_json().encode()

    # Serialized here, off the event loop; the response model above documents the shape.
    body = await read_in_workspace(request, state, credentials, read, scope="jobs:read")
    return Response(body, media_type="application/json")


@router.post("/{job_id}/cancel", response_model=JobRead)
def cancel_job(job_id: str, session: SessionDep, auth: JobsWrite) -> JobRead:
    """Stop a job for good: no more chunks are run, on any worker. Cancelling a cancelled job
    changes nothing; a finished one answers 409 ``job.invalid_transition``."""
    job = lifecycle.cancel_job(session, get_job(session, auth.workspace, job_id=job_id))
    session.flush()
    return read_job_model(job)


@router.post("/{job_id}/pause", response_model=JobRead)
def pause_job(job_id: str, session: SessionDep, auth: JobsWrite) -> JobRead:
    """Pause a running job: chunks in hand finish, no new ones start; ``resume`` continues it.
    Pausing a paused job changes nothing; a job that is not running answers 409."""
    job = lifecycle.pause_job(session, get_job(session, auth.workspace, job_id=job_id))
    session.flush()
    return read_job_model(job)


@router.post("/{job_id}/resume", response_model=JobRead)
def resume_job(job_id: str, state: StateDep, auth: JobsWrite) -> JobRead:
    """Continue a paused or failed job: only its unfinished chunks are run."""
    with unit_of_work(state.factory) as session:
        job = lifecycle.resume_job(session, get_job(session, auth.workspace, job_id=job_id))
        read = read_job_model(job)
        after_commit(session, partial(state.executor.submit, job.id))
    return read
