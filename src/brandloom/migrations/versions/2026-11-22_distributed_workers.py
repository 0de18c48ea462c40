"""distributed workers: chunk leases, job error counters, worker heartbeats

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import brandloom.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job_chunk", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column(
                "lease_expires_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.create_index("ix_job_chunk_job_state", ["job_id", "state"], unique=False)
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("documents_failed", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("resumed_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "finalize_lease_until",
                brandloom.db.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
    op.create_table(
        "worker_heartbeat",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("started_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeat")),
    )
    with op.batch_alter_table("worker_heartbeat", schema=None) as batch_op:
        batch_op.create_index("ix_worker_heartbeat_last_seen", ["last_seen"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("worker_heartbeat", schema=None) as batch_op:
        batch_op.drop_index("ix_worker_heartbeat_last_seen")
    op.drop_table("worker_heartbeat")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_column("finalize_lease_until")
        batch_op.drop_column("resumed_at")
        batch_op.drop_column("documents_failed")
    with op.batch_alter_table("job_chunk", schema=None) as batch_op:
        batch_op.drop_index("ix_job_chunk_job_state")
        batch_op.drop_column("error")
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("attempts")
