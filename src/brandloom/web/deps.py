"""Dependencies that make endpoints read like prose: ``SessionDep``, ``require_scopes(...)``.

Domain routers import them from here; API keys are looked up by the app's
:class:`~brandloom.web.state.Authenticator`, so nothing here depends on where keys are kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, TypeVar

import structlog
from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from brandloom.auth import SCOPES, AuthContext
from brandloom.db.engine import unit_of_work
from brandloom.db.paging import MAX_LIMIT
from brandloom.errors import AuthError
from brandloom.web.state import AppState

T = TypeVar("T")

_bearer = HTTPBearer(auto_error=False, description="A workspace API key.")


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.brandloom
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back on error."""
    with unit_of_work(state.factory) as session:
        yield session


# "function" scope: the transaction commits before the response is sent, so a client that got
# 201 can read what it created, and a failed commit answers an error instead of a success.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _api_key(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthError("missing API key: send 'Authorization: Bearer <key>'")
    return credentials.credentials


def authenticate_request(
    state: StateDep, session: SessionDep, credentials: BearerDep
) -> AuthContext:
    """The context of the request's API key (workspace, key, scopes), looked up through the
    cache."""
    return state.authenticator.authenticate(session, _api_key(credentials))


def _tag_request(request: Request, workspace_id: str) -> None:
    request.state.workspace_id = workspace_id
    structlog.contextvars.bind_contextvars(workspace_id=workspace_id)


def require_scopes(*scopes: str) -> Callable[..., Awaitable[AuthContext]]:
    """A dependency: the request's :class:`AuthContext`, which must hold every one of
    ``scopes``: 401 without a valid key, 403 ``auth.forbidden`` naming a missing scope.

    Use it as ``auth: Annotated[AuthContext, Depends(require_scopes("jobs:read"))]`` (each
    router names an alias per scope). Scope names are checked against the registry when the
    route is declared, so a misspelt scope fails at import, not at request time.
    """
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise ValueError(f"unregistered scopes {unknown}; register them in brandloom.auth.scopes")

    async def authorized(
        request: Request, auth: Annotated[AuthContext, Depends(authenticate_request)]
    ) -> AuthContext:
        # Async on purpose: a sync dependency runs in a worker thread with a copy of the
        # request's context, so log context bound there would not reach the endpoint. The
        # lookup itself (database, cache) stays in the sync dependency, off the event loop.
        # Tagged before the check: refusals are logged with their workspace too.
        _tag_request(request, auth.workspace.id)
        auth.require(*scopes)
        return auth

    return authorized


async def read_in_workspace(
    request: Request,
    state: AppState,
    credentials: HTTPAuthorizationCredentials | None,
    read: Callable[[Connection, str], T],
    *,
    scope: str,
) -> T:
    """Authenticate, check ``scope`` and run one short read-only query without a
    worker-thread hop.

    For hot endpoints (job status polling): ``read`` gets a connection and the workspace id
    that scopes its query, and runs as :class:`~brandloom.db.reads.QuickReads` decides (on an
    asyncio connection for PostgreSQL, on the event loop for SQLite). A key that
    authenticated recently costs no query (the cache maps its hash to the workspace and the
    key's scopes, so a refusal costs none either); others go through the app's authenticator
    once, in a worker thread.
    """
    api_key = _api_key(credentials)

    def sign_in() -> AuthContext:
        with unit_of_work(state.factory) as session:
            return state.authenticator.authenticate(session, api_key)

    cached = await state.authenticator.cached(api_key)
    auth = cached if cached is not None else await run_in_threadpool(sign_in)
    workspace_id: str = auth.workspace.id
    _tag_request(request, workspace_id)
    auth.require(scope)
    return await state.reads.run(lambda conn: read(conn, workspace_id))


CurrentAuth = Annotated[AuthContext, Depends(require_scopes())]
"""An authenticated request, whatever its scopes (every /v1 route names the scopes it needs)."""


@dataclass(frozen=True, slots=True)
class ListQuery:
    """The query of every newest-first list: ``?cursor=&limit=&name=``."""

    cursor: str | None
    limit: int
    name: str | None


def list_query(
    cursor: Annotated[str | None, Query(description="the previous page's next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    name: Annotated[str | None, Query(description="exact name")] = None,
) -> ListQuery:
    return ListQuery(cursor=cursor, limit=limit, name=name)


ListQueryDep = Annotated[ListQuery, Depends(list_query)]
