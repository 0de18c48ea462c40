"""job kinds: generic jobs (kind, params, dependencies, item counters), audience import state,
newest-first list indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 13:00:00

Existing jobs become ``documents.render`` jobs: their stored spec becomes ``params`` (the seed
and chunk size were already inside it), ``spec_sha256`` becomes ``params_sha256`` and the
contact counters become item counters. Existing audiences are ``ready``. The downgrade carries
render jobs back and deletes jobs of other kinds, which the old schema cannot hold.
"""

from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from alembic import op

import brandloom.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENDER = "documents.render"


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=64), nullable=False, server_default=RENDER)
        )
        batch_op.add_column(sa.Column("after_job_id", sa.String(length=40), nullable=True))
        batch_op.alter_column("spec", new_column_name="params")
        batch_op.alter_column(
            "spec_sha256",
            new_column_name="params_sha256",
            existing_type=sa.String(length=64),
            nullable=True,
        )
        batch_op.alter_column("contacts_total", new_column_name="items_total")
        batch_op.alter_column("contacts_done", new_column_name="items_done")
        batch_op.alter_column("documents_failed", new_column_name="items_failed")
        batch_op.alter_column("audience_id", existing_type=sa.String(length=40), nullable=True)
        batch_op.alter_column("template_id", existing_type=sa.String(length=40), nullable=True)
        batch_op.alter_column("out_dir", existing_type=sa.String(length=2000), nullable=True)
        batch_op.drop_column("seed")
        batch_op.drop_column("chunk_size")
        batch_op.create_foreign_key(
            op.f("fk_job_after_job_id_job"), "job", ["after_job_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index("ix_job_after_job_id", ["after_job_id"], unique=False)
        batch_op.create_index(
            "ix_job_workspace_created", ["workspace_id", "created_at"], unique=False
        )
    with op.batch_alter_table("job", schema=None) as batch_op:
        # The default only carried existing rows over: every new job names its kind.
        batch_op.alter_column("kind", existing_type=sa.String(length=64), server_default=None)
    with op.batch_alter_table("job_chunk", schema=None) as batch_op:
        batch_op.alter_column("contacts", new_column_name="items")
        batch_op.alter_column("last_key", existing_type=sa.Text(), nullable=True)
    with op.batch_alter_table("audience", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="ready")
        )
        batch_op.add_column(sa.Column("job_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.alter_column("format", existing_type=sa.String(length=16), nullable=True)
        for column in ("headers", "mapping", "variables"):
            batch_op.alter_column(column, existing_type=brandloom.db.base.JSONText(), nullable=True)
        batch_op.create_index(
            "ix_audience_workspace_created", ["workspace_id", "created_at"], unique=False
        )
    with op.batch_alter_table("audience", schema=None) as batch_op:
        batch_op.alter_column("state", existing_type=sa.String(length=16), server_default=None)
    with op.batch_alter_table("template", schema=None) as batch_op:
        batch_op.create_index(
            "ix_template_workspace_created", ["workspace_id", "created_at"], unique=False
        )


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM job WHERE kind <> :kind"), {"kind": RENDER})
    bind.execute(sa.text("DELETE FROM audience WHERE state <> 'ready'"))
    with op.batch_alter_table("template", schema=None) as batch_op:
        batch_op.drop_index("ix_template_workspace_created")
    with op.batch_alter_table("audience", schema=None) as batch_op:
        batch_op.drop_index("ix_audience_workspace_created")
        for column in ("headers", "mapping", "variables"):
            batch_op.alter_column(
                column, existing_type=brandloom.db.base.JSONText(), nullable=False
            )
        batch_op.alter_column("format", existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_column("error")
        batch_op.drop_column("job_id")
        batch_op.drop_column("state")
    with op.batch_alter_table("job_chunk", schema=None) as batch_op:
        batch_op.alter_column("last_key", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("items", new_column_name="contacts")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("seed", sa.String(length=100), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("chunk_size", sa.Integer(), nullable=False, server_default="1000")
        )
    # Seed and chunk size live in the stored spec: copy them back into their columns.
    rows = bind.execute(sa.text("SELECT id, params FROM job")).all()
    for job_id, params in rows:
        spec = (orjson.loads(params) if params else {}).get("spec") or {}
        bind.execute(
            sa.text("UPDATE job SET seed = :seed, chunk_size = :size WHERE id = :id"),
            {
                "seed": str(spec.get("seed", 0)),
                "size": int(spec.get("chunk_size", 1000)),
                "id": job_id,
            },
        )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.alter_column("seed", existing_type=sa.String(length=100), server_default=None)
        batch_op.alter_column("chunk_size", existing_type=sa.Integer(), server_default=None)
        batch_op.drop_index("ix_job_workspace_created")
        batch_op.drop_index("ix_job_after_job_id")
        batch_op.drop_constraint(op.f("fk_job_after_job_id_job"), type_="foreignkey")
        batch_op.alter_column("out_dir", existing_type=sa.String(length=2000), nullable=False)
        batch_op.alter_column("template_id", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("audience_id", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("items_failed", new_column_name="documents_failed")
        batch_op.alter_column("items_done", new_column_name="contacts_done")
        batch_op.alter_column("items_total", new_column_name="contacts_total")
        batch_op.alter_column(
            "params_sha256",
            new_column_name="spec_sha256",
            existing_type=sa.String(length=64),
            nullable=False,
        )
        batch_op.alter_column("params", new_column_name="spec")
        batch_op.drop_column("after_job_id")
        batch_op.drop_column("kind")
