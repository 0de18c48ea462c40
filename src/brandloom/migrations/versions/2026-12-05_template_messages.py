"""template messages: catalogs and per-locale part overrides; the catalog locale of a document

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import brandloom.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("template", schema=None) as batch_op:
        batch_op.add_column(sa.Column("messages", brandloom.db.base.JSONText(), nullable=True))
        batch_op.add_column(sa.Column("locales", brandloom.db.base.JSONText(), nullable=True))
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_column("locale")
    with op.batch_alter_table("template", schema=None) as batch_op:
        batch_op.drop_column("locales")
        batch_op.drop_column("messages")
