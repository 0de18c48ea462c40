"""One record per rendered contact of a job: variant, QA outcome and the files written."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from brandloom.db.base import Base, JSONText


class DocumentRecord(Base):
    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("job_id", "key"),
        Index("ix_document_job_row", "job_id", "row"),
        Index("ix_document_job_chunk", "job_id", "chunk_index"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    chunk_index: Mapped[int] = mapped_column(Integer)
    row: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(Text)
    variant: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The catalog locale the document's messages came from (None: the template has none).
    locale: Mapped[str | None] = mapped_column(String(40), nullable=True)
    qa_status: Mapped[str] = mapped_column(String(8))
    qa_issues: Mapped[list[dict[str, str]]] = mapped_column(JSONText())
    files: Mapped[dict[str, str]] = mapped_column(JSONText())
