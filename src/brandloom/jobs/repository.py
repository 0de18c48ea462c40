"""SQL for jobs, chunks and document records; every query is scoped to one workspace."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Row,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from brandloom.db.bulk import bulk_insert
from brandloom.documents.models import DocumentRecord
from brandloom.jobs.models import Job, JobChunk
from brandloom.workspaces.models import Workspace

DOCUMENT_COLUMNS = (
    "job_id",
    "chunk_index",
    "row",
    "key",
    "variant",
    "qa_status",
    "qa_issues",
    "files",
)


_JOB = cast(Table, Job.__table__)
# What a status read needs: no spec, no ORM identity (the polling hot path).
STATUS_COLUMNS = tuple(
    _JOB.c[name]
    for name in (
        "id",
        "name",
        "state",
        "contacts_total",
        "contacts_done",
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

    def latest_for_out_dir(self, out_dir: str) -> Job | None:
        return self.session.scalar(
            select(Job)
            .where(Job.workspace_id == self.workspace_id, Job.out_dir == out_dir)
            .order_by(Job.created_at.desc())
            .limit(1)
        )

    def page(self, *, after_id: str | None, limit: int) -> list[Job]:
        stmt = select(Job).where(Job.workspace_id == self.workspace_id)
        if after_id:
            stmt = stmt.where(Job.id > after_id)
        return list(self.session.scalars(stmt.order_by(Job.id).limit(limit)))

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
                JobChunk.state != "done",
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
                JobChunk.state == "done",
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
            JobChunk.state.in_(("pending", "running")),
            select(Job.id).where(Job.id == job_id, Job.state == "running").exists(),
        ]
        if respect_lease:
            where.append(
                or_(
                    JobChunk.state == "pending",
                    JobChunk.lease_expires_at.is_(None),
                    JobChunk.lease_expires_at < now,
                )
            )
        claimed = self._update_chunks(
            *where,
            state="running",
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=JobChunk.attempts + 1,
        )
        return claimed == 1

    def _held_by(self, job_id: str, index: int, owner: str) -> tuple[Any, ...]:
        return (
            *self._chunk_is(job_id, index),
            JobChunk.state == "running",
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
            state="pending",
            lease_owner=None,
            lease_expires_at=None,
            error=error,
        )
        chunk = self.chunk(job_id, index)
        return chunk.attempts if chunk is not None else 0

    def fail_chunk(self, job_id: str, index: int, *, error: str) -> None:
        self._update_chunks(
            *self._chunk_is(job_id, index),
            JobChunk.state != "done",
            state="failed",
            lease_owner=None,
            lease_expires_at=None,
            error=error,
        )

    def reopen_failed_chunks(self, job_id: str) -> None:
        """On resume: failed chunks get a fresh set of attempts."""
        self._update_chunks(
            *self._chunk_is(job_id),
            JobChunk.state == "failed",
            state="pending",
            attempts=0,
            error=None,
        )

    def complete_chunk(
        self, job_id: str, index: int, *, stats: dict[str, Any], now: datetime
    ) -> bool:
        """Mark a chunk done; False when it already was (a duplicate delivery finished first)."""
        completed = self._update_chunks(
            *self._chunk_is(job_id, index),
            JobChunk.state != "done",
            state="done",
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
                    JobChunk.state != "done",
                    Job.workspace_id == self.workspace_id,
                )
            )
            or 0
        )

    # documents ----------------------------------------------------------------------------
    def replace_documents(self, job_id: str, index: int, rows: Sequence[Sequence[Any]]) -> None:
        """Idempotent: a chunk processed twice keeps exactly one record per contact.

        Rows are ordered as ``DOCUMENT_COLUMNS``, with ``qa_issues`` and ``files`` as JSON text.
        """
        self.session.execute(
            delete(DocumentRecord).where(
                DocumentRecord.job_id == job_id, DocumentRecord.chunk_index == index
            )
        )
        bulk_insert(self.session, DocumentRecord.__table__, DOCUMENT_COLUMNS, rows)  # type: ignore[arg-type]

    def documents_by_row(
        self, job_id: str, *, after_row: int = 0, limit: int = 5000
    ) -> list[DocumentRecord]:
        stmt = (
            select(DocumentRecord)
            .join(Job, Job.id == DocumentRecord.job_id)
            .where(
                DocumentRecord.job_id == job_id,
                DocumentRecord.row > after_row,
                Job.workspace_id == self.workspace_id,
            )
            .order_by(DocumentRecord.row)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def iter_manifest(self, job_id: str, *, batch: int = 5000) -> Iterator[tuple[Any, ...]]:
        """(row, key, variant, qa_status, qa_issues, files) in row order, keyset-paged."""
        columns = (
            DocumentRecord.row,
            DocumentRecord.key,
            DocumentRecord.variant,
            DocumentRecord.qa_status,
            DocumentRecord.qa_issues,
            DocumentRecord.files,
        )
        after = 0
        while True:
            stmt = (
                select(*columns)
                .join(Job, Job.id == DocumentRecord.job_id)
                .where(
                    DocumentRecord.job_id == job_id,
                    DocumentRecord.row > after,
                    Job.workspace_id == self.workspace_id,
                )
                .order_by(DocumentRecord.row)
                .limit(batch)
            )
            page = self.session.execute(stmt).all()
            if not page:
                return
            for item in page:
                yield tuple(item)
            after = page[-1][0]

    def document(self, job_id: str, key: str) -> DocumentRecord | None:
        return self.session.scalar(
            select(DocumentRecord)
            .join(Job, Job.id == DocumentRecord.job_id)
            .where(
                DocumentRecord.job_id == job_id,
                DocumentRecord.key == key,
                Job.workspace_id == self.workspace_id,
            )
        )


def _rowcount(result: Any) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0
