"""Workspaces and API keys. Keys are random, high-entropy, and stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from brandloom.cache import Cache
from brandloom.cache.session import attach, invalidate
from brandloom.db.base import utcnow
from brandloom.errors import AuthError, ConflictError, NotFoundError, ValidationFailed
from brandloom.kit.ids import new_id
from brandloom.workspaces.models import ApiKey, Workspace

KEY_PREFIX = "bl_"
DEFAULT_WORKSPACE = "default"
# Seconds an API key lookup may be served from the cache (the API passes its setting).
DEFAULT_AUTH_TTL = 300


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


def auth_cache_key(key_hash: str) -> str:
    """Cache key of an API key lookup: the key's SHA-256, never the key itself."""
    return f"auth:{key_hash}"


def authenticate(
    session: Session,
    *,
    api_key: str,
    cache: Cache | None = None,
    ttl: int = DEFAULT_AUTH_TTL,
) -> Workspace:
    """The workspace an API key belongs to; ``AuthError`` for unknown or revoked keys.

    With a ``cache``, a key that authenticated recently costs no query: its hash maps to the
    workspace for ``ttl`` seconds. Unknown and revoked keys are never cached, and
    :func:`revoke_key` removes the mapping, so a revoked key is refused on its next use.
    """
    digest = hash_key(api_key)
    if cache is not None:
        cached = _parse_cached(cache.get(auth_cache_key(digest)))
        if cached is not None:
            return attach(session, cached)
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, digest):
        raise AuthError("invalid API key")
    workspace = session.get(Workspace, row.workspace_id)
    if workspace is None:
        raise AuthError("invalid API key")
    if cache is not None:
        entry = {
            "key_id": row.id,
            "workspace_id": workspace.id,
            "workspace_name": workspace.name,
            "workspace_created_at": workspace.created_at.isoformat(),
        }
        cache.set(auth_cache_key(digest), orjson.dumps(entry), ttl)
    return workspace


async def cached_workspace_id(cache: Cache, *, api_key: str) -> str | None:
    """The workspace id of a key that authenticated recently, from the cache alone.

    No database work, and the event loop is never blocked: the polling hot path needs only the
    id to scope its query. ``None`` means "not cached" (never "invalid"): fall back to
    :func:`authenticate`.
    """
    workspace = _parse_cached(await cache.aget(auth_cache_key(hash_key(api_key))))
    return workspace.id if workspace is not None else None


def _parse_cached(cached: bytes | None) -> Workspace | None:
    """The workspace of a cached key lookup (not attached to any session); ``None`` if absent
    or unreadable."""
    if cached is None:
        return None
    try:
        entry = orjson.loads(cached)
        return Workspace(
            id=str(entry["workspace_id"]),
            name=str(entry["workspace_name"]),
            created_at=datetime.fromisoformat(entry["workspace_created_at"]),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def revoke_key(
    session: Session, workspace: Workspace, *, key_id: str, cache: Cache | None = None
) -> ApiKey:
    """Revoke one of the workspace's API keys; it is refused from its next use on.

    Revoking a revoked key is a no-op. The cached lookup is deleted now and again when the
    transaction commits; give the cache every API process reads (Redis in production) so the
    revocation reaches all of them.
    """
    key = session.scalar(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.workspace_id == workspace.id)
    )
    if key is None:
        raise NotFoundError(f"API key '{key_id}' not found", code="api_key.not_found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    if cache is not None:
        invalidate(session, cache, auth_cache_key(key.key_hash))
    return key
