"""Jobs of every kind: create and plan, claim and commit chunks, finalize, purge old outputs.

What a chunk does belongs to its job's kind (``jobs.kinds``); this module is the engine around
it. A chunk's results are written by its kind first and its checkpoint committed after, in one
transaction with the kind's records: a crash between the two only means the chunk is run
again, to the same outputs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from brandloom.db.base import utcnow
from brandloom.errors import BrandloomError, NotFoundError
from brandloom.jobs.kinds import ChunkRun, JobKind, WorkerContext, get_kind
from brandloom.jobs.models import Job
from brandloom.jobs.repository import (
    JobRepository,
    job_status_page,
    jobs_finished_before,
    jobs_in_state,
)
from brandloom.jobs.states import FINISHED_STATES, ChunkState, JobState, transition
from brandloom.jobs.threshold import ErrorThreshold, apply_error_threshold
from brandloom.kit.ids import new_id
from brandloom.settings import Settings, get_settings
from brandloom.storage import api_jobs_location, open_location, parent_location, same_location
from brandloom.workspaces.models import Workspace

log = logging.getLogger(__name__)


def create_job(
    session: Session,
    workspace: Workspace | str,
    *,
    kind: str,
    name: str,
    params: dict[str, Any],
    params_sha256: str | None = None,
    audience_id: str | None = None,
    template_id: str | None = None,
    out_dir: Path | str | None = None,
    after_job_id: str | None = None,
    job_id: str | None = None,
    created_at: datetime | None = None,
) -> Job:
    """Record a job of ``kind``. Its chunks are planned now, or, for a job that waits for
    ``after_job_id``, when that job is done. ``created_at``: when a kind derived something
    from the creation time before the record (a render job's default EML date)."""
    get_kind(kind)  # an unknown kind is refused before anything is written
    repo = JobRepository(session, workspace)
    job = repo.add(
        Job(
            id=job_id or new_id("job"),
            kind=kind,
            name=name,
            state=JobState.QUEUED,
            params=params,
            params_sha256=params_sha256,
            audience_id=audience_id,
            template_id=template_id,
            out_dir=str(out_dir) if out_dir is not None else None,
            after_job_id=after_job_id,
            created_at=created_at or utcnow(),
        )
    )
    session.flush()
    if after_job_id is None:
        plan_job(session, job)
    return job


def plan_job(session: Session, job: Job) -> None:
    """Ask the job's kind for its chunks and record them (once per job)."""
    rows: list[dict[str, Any]] = [
        {
            "job_id": job.id,
            "index": index,
            "after_key": chunk.after_key,
            "last_key": chunk.last_key,
            "items": chunk.items,
            "state": ChunkState.PENDING,
        }
        for index, chunk in enumerate(get_kind(job.kind).plan(session, job))
    ]
    JobRepository(session, job.workspace_id).add_chunks(rows)
    job.chunks_total = len(rows)
    job.items_total = sum(r["items"] for r in rows)
    session.flush()


def get_job(session: Session, workspace: Workspace | str, *, job_id: str) -> Job:
    job = JobRepository(session, workspace).get(job_id)
    if job is None:
        raise NotFoundError(f"job '{job_id}' not found", code="job.not_found")
    return job


def start_job(session: Session, job: Job) -> bool:
    """Move a job to ``running`` so its chunks can be claimed; False while it must wait.

    A job that waits for another (``after_job_id``) stays queued until that one is done, is
    then planned and started; if that job failed or was cancelled, this one fails with its
    error. A paused or failed job is resumed: its failed chunks get a fresh set of attempts.
    """
    if job.after_job_id is not None:
        before = session.get(Job, job.after_job_id)
        if before is not None and before.state not in FINISHED_STATES:
            return False
        transition(job, JobState.RUNNING, reason="started")
        job.started_at = job.started_at or utcnow()
        if before is not None and before.state != JobState.DONE:
            reason = before.error or "no reason given"
            fail_job(session, job, f"{before.kind} job {before.id} {before.state}: {reason}")
            return False
        job.after_job_id = None
        try:
            plan_job(session, job)
        except BrandloomError as exc:
            fail_job(session, job, exc.message)
            return False
        return True
    resumed = job.state in (JobState.FAILED, JobState.PAUSED)
    transition(job, JobState.RUNNING, reason="resumed" if resumed else "started")
    # Chunks that failed for good (too many attempts) get a fresh set on every start.
    JobRepository(session, job.workspace_id).reopen_failed_chunks(job.id)
    job.error = None
    job.started_at = job.started_at or utcnow()
    return True


def fail_job(session: Session, job: Job, error: str) -> None:
    """A running job failed: record why and let its kind mark what it produces as failed."""
    if transition(job, JobState.FAILED, reason="failed"):
        job.error = error[:4000]
        get_kind(job.kind).on_failed(session, job)


def waiting_on(session: Session, job: Job) -> list[str]:
    """Ids of the queued jobs that wait for ``job`` (to be started once it has finished)."""
    return JobRepository(session, job.workspace_id).waiting_on(job.id)


# ---------------------------------------------------------------------------------------------
# One chunk (runs in worker processes)
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class JobRuntime:
    """A job as a worker process holds it: its kind's runtime, built once, used by every chunk."""

    job_id: str
    workspace_id: str
    kind: JobKind[Any]
    runtime: Any
    threshold: ErrorThreshold | None


def open_runtime(session: Session, job: Job, context: WorkerContext) -> JobRuntime:
    kind = get_kind(job.kind)
    return JobRuntime(
        job_id=job.id,
        workspace_id=job.workspace_id,
        kind=kind,
        runtime=kind.open_runtime(session, job, context),
        threshold=kind.threshold(job),
    )


def commit_chunk(session: Session, runtime: JobRuntime, index: int, run: ChunkRun) -> bool:
    """Record a finished chunk; False (and nothing written) when it was committed already.

    Job counters move in the same transaction, and a job whose failures cross its error
    threshold is paused here, so every runner stops taking its chunks.
    """
    repo = JobRepository(session, runtime.workspace_id)
    stats = run.stats
    if not repo.complete_chunk(runtime.job_id, index, stats=stats, now=utcnow()):
        return False
    runtime.kind.commit_chunk(session, runtime.runtime, index, run)
    failed = int(stats.get("failed", 0))
    repo.count_chunk(runtime.job_id, items=int(stats.get("items", 0)), failed=failed)
    if runtime.threshold is not None and failed:
        apply_error_threshold(
            session, runtime.job_id, runtime.threshold, stats, noun=runtime.kind.failure_noun
        )
    return True


def finalize_job(session: Session, job: Job, *, settings: Settings | None = None) -> dict[str, Any]:
    """Let the job's kind assemble its outputs, then mark the job done with its report."""
    report = get_kind(job.kind).finalize(session, job, settings=settings)
    job.report = report
    transition(job, JobState.DONE, reason="finalized")
    job.chunks_done = job.chunks_total
    job.items_done = job.items_total
    return report


def recover_interrupted_jobs(session: Session) -> int:
    """In-process jobs left ``running`` by a server that stopped wait for an explicit resume.

    Run once per server start, before any server process takes requests: a process started
    next to running siblings must not pause the jobs they are rendering.
    """
    jobs = jobs_in_state(session, JobState.RUNNING)
    for job in jobs:
        transition(job, JobState.PAUSED, reason="server restarted")
    return len(jobs)


def purge_expired_outputs(
    session: Session,
    *,
    jobs_dir: Path,
    retention_days: int,
    settings: Settings | None = None,
) -> int:
    """Delete API job outputs older than the retention period; returns how many were purged.

    API outputs live under ``jobs_dir`` or, with ``storage_url`` set (``settings`` defaults to
    the process settings), under ``<storage_url>/jobs``; outputs anywhere else were written by
    the CLI and belong to their user. A location that cannot be purged now is logged and left
    for the next run.
    """
    settings = settings or get_settings()
    roots = [str(jobs_dir)]
    if settings.storage_url:
        roots.append(api_jobs_location(settings))
    cutoff = utcnow() - timedelta(days=retention_days)
    purged = 0
    for job in jobs_finished_before(session, cutoff):
        assert job.out_dir is not None
        parent = parent_location(job.out_dir)
        if not any(same_location(parent, root) for root in roots):
            continue
        try:
            store = open_location(job.out_dir, settings)
            if store.is_empty():
                continue
            store.delete_prefix("")
        except (OSError, BrandloomError) as exc:
            log.warning("could not purge the outputs of job %s: %s", job.id, exc)
            continue
        purged += 1
    return purged


def list_jobs(
    session: Session,
    workspace: Workspace,
    *,
    cursor: str | None = None,
    limit: int = 100,
    state: str | None = None,
    name: str | None = None,
) -> tuple[list[Any], str | None]:
    """The workspace's jobs of every kind, newest first (their status columns: see
    ``repository.STATUS_COLUMNS``), and the cursor of the next page."""
    return job_status_page(
        session, workspace_id=workspace.id, cursor=cursor, limit=limit, state=state, name=name
    )
