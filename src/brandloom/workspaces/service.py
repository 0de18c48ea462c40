"""Workspaces and API keys. Keys are random, high-entropy, and stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from brandloom.errors import AuthError, ConflictError, NotFoundError, ValidationFailed
from brandloom.kit.ids import new_id
from brandloom.workspaces.models import ApiKey, Workspace

KEY_PREFIX = "bl_"
DEFAULT_WORKSPACE = "default"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    workspace: Workspace
    api_key: str


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or any(ord(c) < 32 for c in name):
        raise ValidationFailed(
            "workspace name must be 1-200 printable characters", code="workspace.invalid_name"
        )
    return name


def get_by_name(session: Session, *, name: str) -> Workspace | None:
    return session.scalar(select(Workspace).where(Workspace.name == name))


def create_workspace(session: Session, *, name: str) -> IssuedKey:
    """Create a workspace with its first API key; the key is returned once and never stored."""
    name = _check_name(name)
    if get_by_name(session, name=name) is not None:
        raise ConflictError(f"workspace '{name}' already exists", code="workspace.exists")
    workspace = Workspace(id=new_id("ws"), name=name)
    session.add(workspace)
    session.flush()
    return IssuedKey(workspace=workspace, api_key=issue_key(session, workspace=workspace))


def issue_key(session: Session, *, workspace: Workspace, name: str = "default") -> str:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            id=new_id("key"),
            workspace_id=workspace.id,
            name=name,
            prefix=secret[:10],
            key_hash=hash_key(secret),
        )
    )
    session.flush()
    return secret


def resolve_workspace(session: Session, *, name: str | None) -> Workspace:
    """The workspace named by ``--workspace``/``BRANDLOOM_WORKSPACE``; else ``default``.

    ``default`` is created on first use.
    """
    if name:
        workspace = get_by_name(session, name=name)
        if workspace is None:
            raise NotFoundError(
                f"workspace '{name}' does not exist (create it with "
                f"'brandloom workspace create {name}')",
                code="workspace.not_found",
            )
        return workspace
    workspace = get_by_name(session, name=DEFAULT_WORKSPACE)
    if workspace is None:
        workspace = Workspace(id=new_id("ws"), name=DEFAULT_WORKSPACE)
        session.add(workspace)
        session.flush()
    return workspace


def authenticate(session: Session, *, api_key: str) -> Workspace:
    """The workspace an API key belongs to; ``AuthError`` for unknown or revoked keys."""
    digest = hash_key(api_key)
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, digest):
        raise AuthError("invalid API key")
    workspace = session.get(Workspace, row.workspace_id)
    if workspace is None:
        raise AuthError("invalid API key")
    return workspace
