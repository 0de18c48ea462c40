"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 03:50:00.797073
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import brandloom.db.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspace",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace")),
        sa.UniqueConstraint("name", name=op.f("uq_workspace_name")),
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_api_key_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_key_key_hash")),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_key_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "audience",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("options_sha256", sa.String(length=64), nullable=False),
        sa.Column("source_mtime", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("encoding", sa.String(length=40), nullable=True),
        sa.Column("delimiter", sa.String(length=4), nullable=True),
        sa.Column("headers", brandloom.db.base.JSONText(), nullable=False),
        sa.Column("mapping", brandloom.db.base.JSONText(), nullable=False),
        sa.Column("variables", brandloom.db.base.JSONText(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("rejected_by_code", brandloom.db.base.JSONText(), nullable=False),
        sa.Column("created_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_audience_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience")),
        sa.UniqueConstraint(
            "workspace_id",
            "source_sha256",
            "options_sha256",
            name=op.f("uq_audience_workspace_id_source_sha256_options_sha256"),
        ),
    )
    with op.batch_alter_table("audience", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audience_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "template",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("parts", brandloom.db.base.JSONText(), nullable=False),
        sa.Column("docx_path", sa.String(length=1000), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_template_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template")),
    )
    with op.batch_alter_table("template", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_template_content_sha256"), ["content_sha256"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_template_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "audience_reject",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("audience_id", sa.String(length=40), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", brandloom.db.base.JSONText(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_id"],
            ["audience.id"],
            name=op.f("fk_audience_reject_audience_id_audience"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_audience_reject_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience_reject")),
    )
    with op.batch_alter_table("audience_reject", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audience_reject_audience_row", ["audience_id", "row"], unique=False
        )

    op.create_table(
        "contact",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("audience_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("locale", sa.String(length=40), nullable=True),
        sa.Column("consent", sa.String(length=10), nullable=False),
        sa.Column("consent_source", sa.Text(), nullable=True),
        sa.Column("consent_at", sa.String(length=40), nullable=True),
        sa.Column("attributes", brandloom.db.base.JSONText(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_id"],
            ["audience.id"],
            name=op.f("fk_contact_audience_id_audience"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_contact_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
        sa.UniqueConstraint("audience_id", "key", name=op.f("uq_contact_audience_id_key")),
    )
    op.create_table(
        "job",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("spec", brandloom.db.base.JSONText(), nullable=False),
        sa.Column("spec_sha256", sa.String(length=64), nullable=False),
        sa.Column("audience_id", sa.String(length=40), nullable=False),
        sa.Column("template_id", sa.String(length=40), nullable=False),
        sa.Column("out_dir", sa.String(length=2000), nullable=False),
        sa.Column("seed", sa.String(length=100), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("chunks_total", sa.Integer(), nullable=False),
        sa.Column("chunks_done", sa.Integer(), nullable=False),
        sa.Column("contacts_total", sa.Integer(), nullable=False),
        sa.Column("contacts_done", sa.Integer(), nullable=False),
        sa.Column("elapsed_s", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("report", brandloom.db.base.JSONText(), nullable=True),
        sa.Column("created_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["audience_id"], ["audience.id"], name=op.f("fk_job_audience_id_audience")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"], ["template.id"], name=op.f("fk_job_template_id_template")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_job_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_workspace_id"), ["workspace_id"], unique=False)
        batch_op.create_index("ix_job_workspace_out_dir", ["workspace_id", "out_dir"], unique=False)

    op.create_table(
        "document",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("variant", sa.String(length=200), nullable=True),
        sa.Column("qa_status", sa.String(length=8), nullable=False),
        sa.Column("qa_issues", brandloom.db.base.JSONText(), nullable=False),
        sa.Column("files", brandloom.db.base.JSONText(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_document_job_id_job"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
        sa.UniqueConstraint("job_id", "key", name=op.f("uq_document_job_id_key")),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index("ix_document_job_chunk", ["job_id", "chunk_index"], unique=False)
        batch_op.create_index("ix_document_job_row", ["job_id", "row"], unique=False)

    op.create_table(
        "job_chunk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("after_key", sa.Text(), nullable=True),
        sa.Column("last_key", sa.Text(), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("stats", brandloom.db.base.JSONText(), nullable=True),
        sa.Column("finished_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_job_chunk_job_id_job"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_chunk")),
        sa.UniqueConstraint("job_id", "index", name=op.f("uq_job_chunk_job_id_index")),
    )


def downgrade() -> None:
    op.drop_table("job_chunk")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index("ix_document_job_row")
        batch_op.drop_index("ix_document_job_chunk")

    op.drop_table("document")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_workspace_out_dir")
        batch_op.drop_index(batch_op.f("ix_job_workspace_id"))

    op.drop_table("job")
    op.drop_table("contact")
    with op.batch_alter_table("audience_reject", schema=None) as batch_op:
        batch_op.drop_index("ix_audience_reject_audience_row")

    op.drop_table("audience_reject")
    with op.batch_alter_table("template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_template_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_template_content_sha256"))

    op.drop_table("template")
    with op.batch_alter_table("audience", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audience_workspace_id"))

    op.drop_table("audience")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_workspace_id"))

    op.drop_table("api_key")
    op.drop_table("workspace")
