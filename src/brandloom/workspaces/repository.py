"""SQL for workspaces and API keys; key queries are scoped to one workspace."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from brandloom.workspaces.models import ApiKey, Workspace


def workspace_by_name(session: Session, name: str) -> Workspace | None:
    return session.scalar(select(Workspace).where(Workspace.name == name))


def key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    """The key with this SHA-256, in any workspace: signing in is how a workspace is found."""
    return session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))


class ApiKeyRepository:
    """The API keys of one workspace."""

    def __init__(self, session: Session, workspace: Workspace | str) -> None:
        self.session = session
        self.workspace_id = workspace if isinstance(workspace, str) else workspace.id

    def add(self, key: ApiKey) -> ApiKey:
        key.workspace_id = self.workspace_id
        self.session.add(key)
        self.session.flush()
        return key

    def get(self, key_id: str) -> ApiKey | None:
        return self.session.scalar(
            select(ApiKey).where(ApiKey.id == key_id, ApiKey.workspace_id == self.workspace_id)
        )

    def list(self) -> list[ApiKey]:
        return list(
            self.session.scalars(
                select(ApiKey)
                .where(ApiKey.workspace_id == self.workspace_id)
                .order_by(ApiKey.created_at, ApiKey.id)
            )
        )
