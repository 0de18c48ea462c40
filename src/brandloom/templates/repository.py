"""SQL for stored templates; every query is scoped to one workspace."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from brandloom.db.paging import newest_first, page_of
from brandloom.templates.models import Template
from brandloom.workspaces.models import Workspace


class TemplateRepository:
    def __init__(self, session: Session, workspace: Workspace | str) -> None:
        self.session = session
        self.workspace_id = workspace if isinstance(workspace, str) else workspace.id

    def get(self, template_id: str) -> Template | None:
        return self.session.scalar(
            select(Template).where(
                Template.id == template_id, Template.workspace_id == self.workspace_id
            )
        )

    def find_by_content(self, content_sha256: str) -> Template | None:
        """The workspace's template with exactly this content, if one was stored before."""
        return self.session.scalar(
            select(Template).where(
                Template.workspace_id == self.workspace_id,
                Template.content_sha256 == content_sha256,
            )
        )

    def find_by_name(self, name: str) -> Template | None:
        """The newest template of that name."""
        return self.session.scalar(
            select(Template)
            .where(Template.workspace_id == self.workspace_id, Template.name == name)
            .order_by(Template.created_at.desc(), Template.id.desc())
            .limit(1)
        )

    def add(self, template: Template) -> Template:
        template.workspace_id = self.workspace_id
        self.session.add(template)
        self.session.flush()
        return template

    def page(
        self, *, cursor: str | None, limit: int, name: str | None = None
    ) -> tuple[list[Template], str | None]:
        """Newest first; ``name`` matches exactly. Returns the page and the next cursor."""
        stmt = select(Template).where(Template.workspace_id == self.workspace_id)
        if name is not None:
            stmt = stmt.where(Template.name == name)
        rows = self.session.scalars(newest_first(stmt, Template, cursor=cursor, limit=limit))
        return page_of(rows.all(), limit)
