"""SQL for document records (one per rendered contact of a render job), scoped to a workspace."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from brandloom.db.bulk import bulk_insert
from brandloom.documents.models import DocumentRecord
from brandloom.jobs.models import Job
from brandloom.workspaces.models import Workspace

DOCUMENT_COLUMNS = (
    "job_id",
    "chunk_index",
    "row",
    "key",
    "variant",
    "locale",
    "qa_status",
    "qa_issues",
    "files",
)


class DocumentRepository:
    def __init__(self, session: Session, workspace: Workspace | str) -> None:
        self.session = session
        self.workspace_id = workspace if isinstance(workspace, str) else workspace.id

    def replace_documents(self, job_id: str, index: int, rows: Sequence[Sequence[Any]]) -> None:
        """Idempotent: a chunk processed twice keeps exactly one record per contact.

        Rows are ordered as ``DOCUMENT_COLUMNS``, with ``qa_issues`` and ``files`` as JSON text.
        """
        in_workspace = (
            select(Job.id).where(Job.id == job_id, Job.workspace_id == self.workspace_id).exists()
        )
        self.session.execute(
            delete(DocumentRecord).where(
                DocumentRecord.job_id == job_id, DocumentRecord.chunk_index == index, in_workspace
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
        """(row, key, variant, locale, qa_status, qa_issues, files) in row order, keyset-paged."""
        columns = (
            DocumentRecord.row,
            DocumentRecord.key,
            DocumentRecord.variant,
            DocumentRecord.locale,
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
