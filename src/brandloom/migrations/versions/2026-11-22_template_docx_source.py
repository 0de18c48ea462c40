"""template docx source

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:42:58.794564
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("template", schema=None) as batch_op:
        batch_op.add_column(sa.Column("docx", sa.LargeBinary(), nullable=True))
        batch_op.drop_column("docx_path")


def downgrade() -> None:
    with op.batch_alter_table("template", schema=None) as batch_op:
        batch_op.add_column(sa.Column("docx_path", sa.VARCHAR(length=1000), nullable=True))
        batch_op.drop_column("docx")
