"""Dependencies that make endpoints read like prose: ``SessionDep``, ``CurrentWorkspace``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from brandloom.api.state import AppState
from brandloom.db.engine import unit_of_work
from brandloom.errors import AuthError
from brandloom.workspaces.models import Workspace
from brandloom.workspaces.service import authenticate

_bearer = HTTPBearer(auto_error=False, description="A workspace API key.")


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.brandloom
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back on error."""
    with unit_of_work(state.factory) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_workspace(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Workspace:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthError("missing API key: send 'Authorization: Bearer <key>'")
    return authenticate(session, api_key=credentials.credentials)


CurrentWorkspace = Annotated[Workspace, Depends(get_workspace)]
