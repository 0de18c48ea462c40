"""experiments: A/B/n tests on a content part, their arms, and the results recorded for them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:36:06.425995
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import brandloom.db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "experiment",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("part", sa.String(length=40), nullable=False),
        sa.Column("arms", brandloom.db.base.JSONText(), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=True),
        sa.Column("settings", brandloom.db.base.JSONText(), nullable=False),
        sa.Column("created_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_experiment_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_experiment_workspace_id_name")),
    )
    with op.batch_alter_table("experiment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_experiment_workspace_created", ["workspace_id", "created_at"], unique=False
        )

    op.create_table(
        "experiment_result",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("experiment_id", sa.String(length=40), nullable=False),
        sa.Column("arm", sa.String(length=200), nullable=False),
        sa.Column("impressions", sa.Integer(), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("conversions", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("recorded_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiment.id"],
            name=op.f("fk_experiment_result_experiment_id_experiment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_experiment_result_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_result")),
    )
    with op.batch_alter_table("experiment_result", schema=None) as batch_op:
        batch_op.create_index(
            "ix_experiment_result_workspace_experiment",
            ["workspace_id", "experiment_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("experiment_result", schema=None) as batch_op:
        batch_op.drop_index("ix_experiment_result_workspace_experiment")

    op.drop_table("experiment_result")
    with op.batch_alter_table("experiment", schema=None) as batch_op:
        batch_op.drop_index("ix_experiment_workspace_created")

    op.drop_table("experiment")
