"""Dependencies that make endpoints read like prose: ``SessionDep``, ``CurrentWorkspace``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from brandloom.api.state import AppState
from brandloom.db.engine import unit_of_work
from brandloom.errors import AuthError
from brandloom.workspaces.models import Workspace
from brandloom.workspaces.service import authenticate

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


def authenticate_request(
    state: StateDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Workspace:
    """The workspace of the request's API key, looked up through the cache."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthError("missing API key: send 'Authorization: Bearer <key>'")
    return authenticate(
        session,
        api_key=credentials.credentials,
        cache=state.cache,
        ttl=state.settings.cache_ttl_seconds,
    )


async def get_workspace(
    request: Request, workspace: Annotated[Workspace, Depends(authenticate_request)]
) -> Workspace:
    """The authenticated workspace; its id tags the access log and every log of the request.

    Async on purpose: a sync dependency runs in a worker thread with a copy of the request's
    context, so log context bound there would not reach the endpoint. The lookup itself
    (database, cache) stays in the sync dependency, off the event loop.
    """
    request.state.workspace_id = workspace.id
    structlog.contextvars.bind_contextvars(workspace_id=workspace.id)
    return workspace


CurrentWorkspace = Annotated[Workspace, Depends(get_workspace)]
