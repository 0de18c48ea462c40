"""SQL for jobs, chunks and document records; every query is scoped to one workspace."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, update
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

    def progress(self, job_id: str) -> tuple[int, int]:
        """(chunks done, contacts done)."""
        row = self.session.execute(
            select(func.count(JobChunk.id), func.coalesce(func.sum(JobChunk.contacts), 0))
            .join(Job, Job.id == JobChunk.job_id)
            .where(
                JobChunk.job_id == job_id,
                JobChunk.state == "done",
                Job.workspace_id == self.workspace_id,
            )
        ).one()
        return int(row[0]), int(row[1])

    def complete_chunk(self, job_id: str, index: int, *, stats: dict[str, Any], now: Any) -> None:
        self.session.execute(
            update(JobChunk)
            .where(JobChunk.job_id == job_id, JobChunk.index == index)
            .values(state="done", stats=stats, finished_at=now)
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
