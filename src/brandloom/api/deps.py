"""Dependencies that make endpoints read like prose: ``SessionDep``, ``CurrentWorkspace``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

import structlog
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from brandloom.api.state import AppState
from brandloom.db.engine import unit_of_work
from brandloom.errors import AuthError
from brandloom.workspaces.models import Workspace
from brandloom.workspaces.service import authenticate, cached_workspace_id

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


def _authenticate(state: AppState, session: Session, api_key: str) -> Workspace:
    return authenticate(
        session, api_key=api_key, cache=state.cache, ttl=state.settings.cache_ttl_seconds
    )


def authenticate_request(state: StateDep, session: SessionDep, credentials: BearerDep) -> Workspace:
    """The workspace of the request's API key, looked up through the cache."""
    return _authenticate(state, session, _api_key(credentials))


def _tag_request(request: Request, workspace_id: str) -> None:
    request.state.workspace_id = workspace_id
    structlog.contextvars.bind_contextvars(workspace_id=workspace_id)


async def read_in_workspace(
    request: Request,
    state: AppState,
    credentials: HTTPAuthorizationCredentials | None,
    read: Callable[[Connection, str], T],
) -> T:
    """Authenticate and run one short read-only query without a worker-thread hop.

    For hot endpoints (job status polling): ``read`` gets a connection and the workspace id
    that scopes its query, and runs as :class:`~brandloom.db.reads.QuickReads` decides (on an
    asyncio connection for PostgreSQL, on the event loop for SQLite). A key that
    authenticated recently costs no query (the cache maps its hash to the workspace); others
    go through :func:`authenticate` once, in a worker thread.
    """
    api_key = _api_key(credentials)

    def sign_in() -> str:
        with unit_of_work(state.factory) as session:
            return _authenticate(state, session, api_key).id

    cached = await cached_workspace_id(state.cache, api_key=api_key)
    workspace_id: str = cached if cached is not None else await run_in_threadpool(sign_in)
    _tag_request(request, workspace_id)
    return await state.reads.run(lambda conn: read(conn, workspace_id))


async def get_workspace(
    request: Request, workspace: Annotated[Workspace, Depends(authenticate_request)]
) -> Workspace:
    """The authenticated workspace; its id tags the access log and every log of the request.

    Async on purpose: a sync dependency runs in a worker thread with a copy of the request's
    context, so log context bound there would not reach the endpoint. The lookup itself
    (database, cache) stays in the sync dependency, off the event loop.
    """
    _tag_request(request, workspace.id)
    return workspace


CurrentWorkspace = Annotated[Workspace, Depends(get_workspace)]
