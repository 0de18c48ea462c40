"""audience types: the declared column types an audience's contacts are read back with

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import brandloom.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audience", schema=None) as batch_op:
        batch_op.add_column(sa.Column("types", brandloom.db.base.JSONText(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audience", schema=None) as batch_op:
        batch_op.drop_column("types")
