"""SQL for jobs and chunks. A workspace's jobs are read and changed through ``JobRepository``
(every statement scoped to it) and the status reads; the module-level functions below them are
the engine's housekeeping over every workspace (metrics, recovery, retention, leases)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Row,
    Table,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from brandloom.db.paging import newest_first, page_of
from brandloom.jobs.models import Job, JobChunk
from brandloom.jobs.states import ChunkState, JobState
from brandloom.workspaces.models import Workspace

_JOB = cast(Table, Job.__table__)
# What a status read needs: no spec, no ORM identity (the polling hot path).
STATUS_COLUMNS = tuple(
    _JOB.c[name]
    for name in (
        "id",
        "name",
        "state",
        "kind",
        "items_total",
        "items_done",
        "chunks_total",
        "chunks_done",
        "audience_id",
        "template_id",
        "report",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    )
)
# Built once: a poll costs a compiled-cache hit and one round trip, not statement construction
# and ORM result processing (together five times the cost of the query on SQLite).
_STATUS_BY_ID = select(*STATUS_COLUMNS).where(
    _JOB.c.id == bindparam("job_id"), _JOB.c.workspace_id == bindparam("workspace_id")
)


def job_status(conn: Connection, *, workspace_id: str, job_id: str) -> Row[Any] | None:
    """One job's status columns (attribute access by column name), or None: Core, no session.

    Scoped to ``workspace_id`` like every repository query.
    """
    return conn.execute(_STATUS_BY_ID, {"job_id": job_id, "workspace_id": workspace_id}).first()


def job_status_page(
    session: Session,
    *,
    workspace_id: str,
    cursor: str | None,
    limit: int,
    state: str | None = None,
    name: str | None = None,
) -> tuple[list[Row[Any]], str | None]:
    """Status columns of the workspace's jobs, newest first; the next page's cursor."""
    stmt = select(*STATUS_COLUMNS).where(_JOB.c.workspace_id == workspace_id)
    if state is not None:
        stmt = stmt.where(_JOB.c.state == state)
    if name is not None:
        stmt = stmt.where(_JOB.c.name == name)
    rows = session.execute(newest_first(stmt, _JOB.c, cursor=cursor, limit=limit)).all()
    return page_of(rows, limit)


# Every workspace at once: the engine's own housekeeping and the operator's metrics ---------


def count_jobs_by_state(session: Session) -> dict[str, int]:
    """How many jobs (of every workspace) are in each state; states without jobs are absent."""
    rows = session.execute(select(Job.state, func.count()).group_by(Job.state))
    return {state: int(n) for state, n in rows}


def jobs_in_state(session: Session, state: JobState) -> list[Job]:
    """Every job (of every workspace) in ``state``."""
    return list(session.scalars(select(Job).where(Job.state == state)))


def jobs_finished_before(session: Session, cutoff: datetime) -> list[Job]:
    """Jobs (of every workspace) that stopped before ``cutoff`` and wrote outputs somewhere."""
    stmt = select(Job).where(
        Job.state.in_((JobState.DONE, JobState.FAILED, JobState.CANCELLED)),
        Job.finished_at < cutoff,
        Job.out_dir.is_not(None),
    )
    return list(session.scalars(stmt))


def failure_counts(session: Session, job_id: str) -> tuple[int, int, str, str]:
    """(items failed, items done, workspace id, kind) of a job, as committed so far."""
    row = session.execute(
        select(Job.items_failed, Job.items_done, Job.workspace_id, Job.kind).where(Job.id == job_id)
    ).one()
    return int(row[0]), int(row[1]), str(row[2]), str(row[3])


def pause_if_running(session: Session, job_id: str, *, error: str) -> bool:
    """Pause the job with ``error`` if it is still running; False when it no longer was.

    Conditional, because workers race here: only one of them pauses the job.
    """
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING)
        .values(state=JobState.PAUSED, error=error),
        execution_options={"synchronize_session": False},
    )
    return _rowcount(result) == 1


# Leases: chunks and finalizations held by workers that may have died --------------------


def expired_chunk_leases(session: Session, now: datetime, *, limit: int) -> list[tuple[str, int]]:
    """(job id, chunk index) of running chunks of running jobs whose lease expired."""
    rows = session.execute(
        select(JobChunk.job_id, JobChunk.index)
        .join(Job, Job.id == JobChunk.job_id)
        .where(
            Job.state == JobState.RUNNING,
            JobChunk.state == ChunkState.RUNNING,
            JobChunk.lease_expires_at < now,
        )
        .limit(limit)
    ).all()
    return [(job_id, index) for job_id, index in rows]


def take_back_expired_chunk(session: Session, job_id: str, index: int, now: datetime) -> bool:
    """Make a chunk whose lease expired pending again; False when someone else did first."""
    result = session.execute(
        update(JobChunk)
        .where(
            JobChunk.job_id == job_id,
            JobChunk.index == index,
            JobChunk.state == ChunkState.RUNNING,
            JobChunk.lease_expires_at < now,
        )
        .values(state=ChunkState.PENDING, lease_owner=None, lease_expires_at=None),
        execution_options={"synchronize_session": False},
    )
    return _rowcount(result) == 1


def unfinalized_jobs(
    session: Session, *, finished_before: datetime, now: datetime, limit: int
) -> list[str]:
    """Running jobs whose chunks all finished before ``finished_before``, with no finalize
    lease alive at ``now``."""
    open_chunks = (
        select(JobChunk.id)
        .where(JobChunk.job_id == Job.id, JobChunk.state != ChunkState.DONE)
        .exists()
    )
    last_finished = (
        select(func.max(JobChunk.finished_at)).where(JobChunk.job_id == Job.id).scalar_subquery()
    )
    stmt = select(Job.id).where(
        Job.state == JobState.RUNNING,
        ~open_chunks,
        or_(Job.finalize_lease_until.is_(None), Job.finalize_lease_until < now),
        or_(last_finished.is_(None), last_finished < finished_before),
    )
    return list(session.scalars(stmt.limit(limit)))


def claim_finalize_lease(session: Session, job_id: str, *, now: datetime, until: datetime) -> bool:
    """Take the finalize lease of a running job whose chunks are all done, if none is alive."""
    open_chunks = (
        select(JobChunk.id)
        .where(JobChunk.job_id == job_id, JobChunk.state != ChunkState.DONE)
        .exists()
    )
    result = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            Job.state == JobState.RUNNING,
            ~open_chunks,
            or_(Job.finalize_lease_until.is_(None), Job.finalize_lease_until < now),
        )
        .values(finalize_lease_until=until),
        execution_options={"synchronize_session": False},
    )
    return _rowcount(result) == 1


def renew_finalize_lease(session: Session, job_id: str, *, until: datetime) -> None:
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING)
        .values(finalize_lease_until=until),
        execution_options={"synchronize_session": False},
    )


class JobRepository:
    def __init__(self, session: Session, workspace: Workspace | str) -> None:
        self.session = session
        self.workspace_id = workspace if isinstance(workspace, str) else workspace.id

    def get(self, job_id: str) -> Job | None:
        return self.session.scalar(
            select(Job).where(Job.id == job_id, Job.workspace_id == self.workspace_id)
        )

    def add(self, job: Job) -> Job:
        job.workspace_id = self.workspace_id
        self.session.add(job)
        return job

    def count_chunk(self, job_id: str, *, items: int, failed: int) -> None:
        """A chunk of the job is done: its counters move in the chunk's commit transaction."""
        self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.workspace_id == self.workspace_id)
            .values(
                chunks_done=Job.chunks_done + 1,
                items_done=Job.items_done + items,
                items_failed=Job.items_failed + failed,
            ),
            execution_options={"synchronize_session": False},
        )

    def latest_for_out_dir(self, out_dir: str) -> Job | None:
        return self.session.scalar(
            select(Job)
            .where(Job.workspace_id == self.workspace_id, Job.out_dir == out_dir)
            .order_by(Job.created_at.desc())
            .limit(1)
        )

    def waiting_on(self, job_id: str) -> list[str]:
        """Queued jobs of this workspace that start once ``job_id`` has finished."""
        stmt = select(Job.id).where(
            Job.workspace_id == self.workspace_id,
            Job.after_job_id == job_id,
            Job.state == JobState.QUEUED,
        )
        return list(self.session.scalars(stmt.order_by(Job.created_at)))

    # chunks -------------------------------------------------------------------------------
    def add_chunks(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(JobChunk), rows)

    def chunk(self, job_id: str, index: int) -> JobChunk | None:
        return self.session.scalar(
            select(JobChunk)
            .join(Job, Job.id == JobChunk.job_id)
            .where(
                JobChunk.job_id == job_id,
                JobChunk.index == index,
                Job.workspace_id == self.workspace_id,
            )
        )

    def pending_chunks(self, job_id: str) -> list[int]:
        stmt = (
            select(JobChunk.index)
            .join(Job, Job.id == JobChunk.job_id)
            .where(
                JobChunk.job_id == job_id,
                JobChunk.state != ChunkState.DONE,
                Job.workspace_id == self.workspace_id,
            )
            .order_by(JobChunk.index)
        )
        return list(self.session.scalars(stmt))

    def chunk_stats(self, job_id: str) -> list[dict[str, Any]]:
        stmt = (
            select(JobChunk.stats)
            .join(Job, Job.id == JobChunk.job_id)
            .where(
                JobChunk.job_id == job_id,
                JobChunk.state == ChunkState.DONE,
                Job.workspace_id == self.workspace_id,
            )
            .order_by(JobChunk.index)
        )
        return [s for s in self.session.scalars(stmt) if s]

    def documents_done(self, job_id: str) -> int:
        """Documents written by the job's finished chunks (every format)."""
        return sum(sum(s.get("documents", {}).values()) for s in self.chunk_stats(job_id))

    def _chunk_is(self, job_id: str, index: int | None = None) -> tuple[Any, ...]:
        """WHERE clauses for one chunk (or every chunk) of a job of this workspace."""
        in_workspace = (
            select(Job.id).where(Job.id == job_id, Job.workspace_id == self.workspace_id).exists()
        )
        if index is None:
            return (JobChunk.job_id == job_id, in_workspace)
        return (JobChunk.job_id == job_id, JobChunk.index == index, in_workspace)

    def _update_chunks(self, *where: Any, **values: Any) -> int:
        result = self.session.execute(
            update(JobChunk).where(*where).values(**values),
            execution_options={"synchronize_session": False},
        )
        return _rowcount(result)

    def claim_chunk(
        self,
        job_id: str,
        index: int,
        *,
        owner: str,
        now: datetime,
        lease_seconds: float,
        respect_lease: bool,
    ) -> bool:
        """Take a chunk for rendering under a lease; False when it is done, held or the job stopped.

        ``respect_lease=False`` is for the single coordinator of an in-process run, which owns
        every chunk of its job (a chunk left ``running`` by a killed run is simply taken back).
        """
        where = [
            *self._chunk_is(job_id, index),
            JobChunk.state.in_((ChunkState.PENDING, ChunkState.RUNNING)),
            select(Job.id).where(Job.id == job_id, Job.state == JobState.RUNNING).exists(),
        ]
        if respect_lease:
            where.append(
                or_(
                    JobChunk.state == ChunkState.PENDING,
                    JobChunk.lease_expires_at.is_(None),
                    JobChunk.lease_expires_at < now,
                )
            )
        claimed = self._update_chunks(
            *where,
            state=ChunkState.RUNNING,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=JobChunk.attempts + 1,
        )
        return claimed == 1

    def _held_by(self, job_id: str, index: int, owner: str) -> tuple[Any, ...]:
        return (
            *self._chunk_is(job_id, index),
            JobChunk.state == ChunkState.RUNNING,
            JobChunk.lease_owner == owner,
        )

    def renew_lease(self, job_id: str, index: int, *, owner: str, until: datetime) -> bool:
        return (
            self._update_chunks(*self._held_by(job_id, index, owner), lease_expires_at=until) == 1
        )

    def release_chunk(self, job_id: str, index: int, *, owner: str, error: str) -> int:
        """Give a chunk back after an error; returns how many attempts it has had."""
        self._update_chunks(
            *self._held_by(job_id, index, owner),
            state=ChunkState.PENDING,
            lease_owner=None,
            lease_expires_at=None,
            error=error,
        )
        chunk = self.chunk(job_id, index)
        return chunk.attempts if chunk is not None else 0

    def fail_chunk(self, job_id: str, index: int, *, error: str) -> None:
        self._update_chunks(
            *self._chunk_is(job_id, index),
            JobChunk.state != ChunkState.DONE,
            state=ChunkState.FAILED,
            lease_owner=None,
            lease_expires_at=None,
            error=error,
        )

    def reopen_failed_chunks(self, job_id: str) -> None:
        """On resume: failed chunks get a fresh set of attempts."""
        self._update_chunks(
            *self._chunk_is(job_id),
            JobChunk.state == ChunkState.FAILED,
            state=ChunkState.PENDING,
            attempts=0,
            error=None,
        )

    def complete_chunk(
        self, job_id: str, index: int, *, stats: dict[str, Any], now: datetime
    ) -> bool:
        """Mark a chunk done; False when it already was (a duplicate delivery finished first)."""
        completed = self._update_chunks(
            *self._chunk_is(job_id, index),
            JobChunk.state != ChunkState.DONE,
            state=ChunkState.DONE,
            stats=stats,
            finished_at=now,
            lease_owner=None,
            lease_expires_at=None,
            error=None,
        )
        return completed == 1

    def count_open_chunks(self, job_id: str) -> int:
        return int(
            self.session.scalar(
                select(func.count(JobChunk.id))
                .join(Job, Job.id == JobChunk.job_id)
                .where(
                    JobChunk.job_id == job_id,
                    JobChunk.state != ChunkState.DONE,
                    Job.workspace_id == self.workspace_id,
                )
            )
            or 0
        )


def _rowcount(result: Any) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0
