"""Workspaces and API keys. Keys are random, high-entropy, and stored only as SHA-256 hashes.

Signing in with a key gives an :class:`~brandloom.auth.AuthContext`: the key's workspace, the
key as principal and the scopes it holds. Services that act on keys take that context first;
a key never grants (or revokes) scopes it does not hold itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy.orm import Session

from brandloom.auth import ALL, AuthContext, Principal, parse_scopes
from brandloom.cache import Cache
from brandloom.cache.session import attach, invalidate
from brandloom.db.base import utcnow
from brandloom.errors import (
    AuthError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationFailed,
)
from brandloom.kit.ids import new_id
from brandloom.workspaces.models import ApiKey, Workspace
from brandloom.workspaces.repository import ApiKeyRepository, key_by_hash, workspace_by_name

KEY_PREFIX = "bl_"
DEFAULT_WORKSPACE = "default"
# Seconds an API key lookup may be served from the cache (the API passes its setting).
DEFAULT_AUTH_TTL = 300


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key as issued: the secret is here once and nowhere else (only its hash is stored)."""

    workspace: Workspace
    key_id: str
    api_key: str
    scopes: tuple[str, ...]


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def _check_name(name: str, *, label: str = "workspace", code: str = "workspace") -> str:
    name = name.strip()
    if not name or len(name) > 200 or any(ord(c) < 32 for c in name):
        raise ValidationFailed(
            f"{label} name must be 1-200 printable characters", code=f"{code}.invalid_name"
        )
    return name


def get_by_name(session: Session, *, name: str) -> Workspace | None:
    return workspace_by_name(session, name)


def create_workspace(session: Session, *, name: str) -> IssuedKey:
    """Create a workspace with its first API key, holding every scope (``*``).

    The key is returned once and never stored.
    """
    name = _check_name(name)
    if get_by_name(session, name=name) is not None:
        raise ConflictError(f"workspace '{name}' already exists", code="workspace.exists")
    workspace = Workspace(id=new_id("ws"), name=name)
    session.add(workspace)
    session.flush()
    return _add_key(session, workspace, name="default", scopes=frozenset({ALL}))


def _add_key(
    session: Session, workspace: Workspace, *, name: str, scopes: frozenset[str]
) -> IssuedKey:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKeyRepository(session, workspace).add(
        ApiKey(
            id=new_id("key"),
            name=name,
            prefix=secret[:10],
            key_hash=hash_key(secret),
            scopes=sorted(scopes),
        )
    )
    return IssuedKey(workspace=workspace, key_id=key.id, api_key=secret, scopes=tuple(key.scopes))


def issue_key(
    session: Session,
    auth: AuthContext,
    *,
    name: str = "default",
    scopes: Iterable[str] = (ALL,),
) -> IssuedKey:
    """Issue another API key in ``auth``'s workspace, holding ``scopes`` (default: ``*``).

    Unknown scope names are refused (422 ``auth.unknown_scope``) before anything is written;
    so are scopes ``auth`` does not hold itself (403 ``auth.forbidden``): a key cannot issue a
    more powerful key.
    """
    wanted = parse_scopes(scopes)
    name = _check_name(name, label="API key", code="api_key")
    auth.require("keys:write")
    if not auth.can_grant(wanted):
        missing = sorted(scope for scope in wanted if not auth.allows(scope))
        raise ForbiddenError(
            f"{auth.principal} cannot grant scopes it does not hold: " + ", ".join(missing),
            details={"scopes": missing},
        )
    return _add_key(session, auth.workspace, name=name, scopes=wanted)


def list_keys(session: Session, auth: AuthContext) -> list[ApiKey]:
    """The workspace's API keys, oldest first (revoked ones included); never the secrets."""
    auth.require("keys:read")
    return ApiKeyRepository(session, auth.workspace).list()


def revoke_key(
    session: Session, auth: AuthContext, *, key_id: str, cache: Cache | None = None
) -> ApiKey:
    """Revoke one of the workspace's API keys; it is refused from its next use on.

    Revoking a revoked key is a no-op; a key holding scopes ``auth`` lacks cannot be revoked
    by it (403). The cached lookup is deleted now and again when the transaction commits; give
    the cache every API process reads (Redis in production) so the revocation reaches all of
    them.
    """
    auth.require("keys:write")
    key = ApiKeyRepository(session, auth.workspace).get(key_id)
    if key is None:
        raise NotFoundError(f"API key '{key_id}' not found", code="api_key.not_found")
    if not auth.can_grant(key.scopes):
        raise ForbiddenError(f"{auth.principal} cannot revoke a key holding scopes it lacks")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    if cache is not None:
        invalidate(session, cache, auth_cache_key(key.key_hash))
    return key


def resolve_workspace(session: Session, *, name: str | None) -> Workspace:
    """The workspace named ``name`` (``None``: ``default``): a lookup, which creates nothing.

    The CLI makes sure ``default`` exists when it sets up its context
    (``cli.context.AppContext.operator``); an unknown name is ``workspace.not_found`` (404).
    """
    name = name or DEFAULT_WORKSPACE
    workspace = get_by_name(session, name=name)
    if workspace is None:
        raise NotFoundError(
            f"workspace '{name}' does not exist (create it with "
            f"'brandloom workspace create {name}')",
            code="workspace.not_found",
        )
    return workspace


def ensure_default_workspace(session: Session) -> Workspace:
    """The ``default`` workspace, created if it does not exist yet (the CLI's first use)."""
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
) -> AuthContext:
    """The context an API key acts in (workspace, key, scopes); ``AuthError`` for unknown or
    revoked keys.

    With a ``cache``, a key that authenticated recently costs no query: its hash maps to the
    workspace and the key's scopes for ``ttl`` seconds (scopes never change once a key is
    issued). Unknown and revoked keys are never cached, and :func:`revoke_key` removes the
    mapping, so a revoked key is refused on its next use.
    """
    digest = hash_key(api_key)
    if cache is not None:
        cached = _parse_cached(cache.get(auth_cache_key(digest)))
        if cached is not None:
            return AuthContext(attach(session, cached.workspace), cached.principal, cached.scopes)
    row = key_by_hash(session, digest)
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, digest):
        raise AuthError("invalid API key")
    workspace = session.get(Workspace, row.workspace_id)
    if workspace is None:
        raise AuthError("invalid API key")
    if cache is not None:
        entry = {
            "key_id": row.id,
            "key_name": row.name,
            "scopes": row.scopes,
            "workspace_id": workspace.id,
            "workspace_name": workspace.name,
            "workspace_created_at": workspace.created_at.isoformat(),
        }
        cache.set(auth_cache_key(digest), orjson.dumps(entry), ttl)
    return AuthContext(workspace, Principal("api_key", row.id, row.name), frozenset(row.scopes))


async def cached_auth(cache: Cache, *, api_key: str) -> AuthContext | None:
    """The context of a key that authenticated recently, from the cache alone.

    No database work, and the event loop is never blocked: the polling hot path needs only
    the workspace id to scope its query and the scopes to check it. The workspace is not
    attached to any session. ``None`` means "not cached" (never "invalid"): fall back to
    :func:`authenticate`.
    """
    return _parse_cached(await cache.aget(auth_cache_key(hash_key(api_key))))


@dataclass(frozen=True, slots=True)
class KeyAuthenticator:
    """Signs API requests in with their keys through ``cache`` (the API's ``Authenticator``)."""

    cache: Cache
    ttl: int = DEFAULT_AUTH_TTL

    def authenticate(self, session: Session, api_key: str) -> AuthContext:
        return authenticate(session, api_key=api_key, cache=self.cache, ttl=self.ttl)

    async def cached(self, api_key: str) -> AuthContext | None:
        return await cached_auth(self.cache, api_key=api_key)


def _parse_cached(cached: bytes | None) -> AuthContext | None:
    """The context of a cached key lookup (its workspace attached to no session); ``None`` if
    absent or unreadable. An entry without scopes (written by an older version) is unreadable:
    it is looked up again rather than taken for a key without limits."""
    if cached is None:
        return None
    try:
        entry = orjson.loads(cached)
        scopes = entry["scopes"]
        if not isinstance(scopes, list):
            return None
        workspace = Workspace(
            id=str(entry["workspace_id"]),
            name=str(entry["workspace_name"]),
            created_at=datetime.fromisoformat(entry["workspace_created_at"]),
        )
        principal = Principal("api_key", str(entry["key_id"]), str(entry["key_name"]))
        return AuthContext(workspace, principal, frozenset(str(s) for s in scopes))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
