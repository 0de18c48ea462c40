"""The API's dependencies: those of every router (``web.deps``) and the authenticated workspace.

Domain routers import ``brandloom.web.deps`` (they sit below the API package); this module
re-exports it for the app and adds what only needs the API's own imports.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from brandloom.web.deps import (
    BearerDep,
    CurrentAuth,
    SessionDep,
    StateDep,
    authenticate_request,
    get_session,
    get_state,
    read_in_workspace,
    require_scopes,
)
from brandloom.workspaces.models import Workspace

__all__ = [
    "BearerDep",
    "CurrentAuth",
    "CurrentWorkspace",
    "SessionDep",
    "StateDep",
    "authenticate_request",
    "get_session",
    "get_state",
    "get_workspace",
    "read_in_workspace",
    "require_scopes",
]


async def get_workspace(auth: CurrentAuth) -> Workspace:
    """The authenticated workspace; its id tags the access log and every log of the request."""
    return auth.workspace


CurrentWorkspace = Annotated[Workspace, Depends(get_workspace)]
