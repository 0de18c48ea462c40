"""brands: brand (kit, logo, current guidelines), guidelines versions, content library, voices

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 00:32:20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import brandloom.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "brand",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kit", brandloom.db.base.JSONText(), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_media_type", sa.String(length=40), nullable=True),
        sa.Column("guidelines_version", sa.Integer(), nullable=True),
        sa.Column("created_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_brand_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_brand_workspace_id_name")),
    )
    with op.batch_alter_table("brand", schema=None) as batch_op:
        batch_op.create_index(
            "ix_brand_workspace_created", ["workspace_id", "created_at"], unique=False
        )

    op.create_table(
        "brand_guidelines",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("brand_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", brandloom.db.base.JSONText(), nullable=False),
        sa.Column("created_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brand.id"],
            name=op.f("fk_brand_guidelines_brand_id_brand"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_brand_guidelines_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_guidelines")),
        sa.UniqueConstraint(
            "brand_id", "version", name=op.f("uq_brand_guidelines_brand_id_version")
        ),
    )
    with op.batch_alter_table("brand_guidelines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_brand_guidelines_workspace_brand",
            ["workspace_id", "brand_id", "version"],
            unique=False,
        )

    op.create_table(
        "brand_text",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("brand_id", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("locale", sa.String(length=40), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brand.id"],
            name=op.f("fk_brand_text_brand_id_brand"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_brand_text_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_text")),
        sa.UniqueConstraint("brand_id", "sha256", name=op.f("uq_brand_text_brand_id_sha256")),
    )
    with op.batch_alter_table("brand_text", schema=None) as batch_op:
        batch_op.create_index(
            "ix_brand_text_workspace_brand_created",
            ["workspace_id", "brand_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "brand_voice",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("brand_id", sa.String(length=40), nullable=False),
        sa.Column("guidelines_version", sa.Integer(), nullable=True),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("profile", sa.LargeBinary(), nullable=False),
        sa.Column("n_texts", sa.Integer(), nullable=False),
        sa.Column("summary", brandloom.db.base.JSONText(), nullable=False),
        sa.Column("created_at", brandloom.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brand.id"],
            name=op.f("fk_brand_voice_brand_id_brand"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_brand_voice_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_voice")),
    )
    with op.batch_alter_table("brand_voice", schema=None) as batch_op:
        batch_op.create_index(
            "ix_brand_voice_workspace_brand_created",
            ["workspace_id", "brand_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    for table in ("brand_voice", "brand_text", "brand_guidelines", "brand"):
        op.drop_table(table)
