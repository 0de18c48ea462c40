"""API shapes for API keys; a key's secret appears only in :class:`KeyIssued`, once."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from brandloom.workspaces.service import IssuedKey


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="default", min_length=1, max_length=200)
    scopes: list[str] = Field(
        min_length=1,
        description="Scope names (see the README), or ['*'] for every scope. Only scopes the "
        "calling key holds can be granted.",
    )


class KeyIssued(BaseModel):
    """A newly issued key: ``api_key`` is shown here once and never again."""

    workspace_id: str
    key_id: str
    api_key: str
    scopes: list[str]

    @classmethod
    def of(cls, issued: IssuedKey) -> KeyIssued:
        return cls(
            workspace_id=issued.workspace.id,
            key_id=issued.key_id,
            api_key=issued.api_key,
            scopes=list(issued.scopes),
        )


class KeyRead(BaseModel):
    """A key as listed: its first characters identify it; the secret is never shown again."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None


class KeyList(BaseModel):
    items: list[KeyRead]
