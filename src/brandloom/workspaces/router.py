"""HTTP endpoints for the workspace's API keys: issue (with scopes), list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from brandloom.auth import AuthContext
from brandloom.web.deps import SessionDep, StateDep, require_scopes
from brandloom.workspaces.schemas import KeyCreate, KeyIssued, KeyList, KeyRead
from brandloom.workspaces.service import issue_key, list_keys, revoke_key

router = APIRouter(prefix="/v1/keys", tags=["keys"])

KeysRead = Annotated[AuthContext, Depends(require_scopes("keys:read"))]
KeysWrite = Annotated[AuthContext, Depends(require_scopes("keys:write"))]


@router.post("", status_code=201, response_model=KeyIssued)
def create_key(body: KeyCreate, session: SessionDep, auth: KeysWrite) -> KeyIssued:
    """Issue a key with some of the calling key's scopes (shown once; only its hash is
    stored). Unknown scopes answer 422, scopes the caller lacks 403."""
    return KeyIssued.of(issue_key(session, auth, name=body.name, scopes=body.scopes))


@router.get("", response_model=KeyList)
def read_keys(session: SessionDep, auth: KeysRead) -> KeyList:
    """The workspace's keys, oldest first, revoked ones included; never the keys themselves."""
    return KeyList(items=[KeyRead.model_validate(key) for key in list_keys(session, auth)])


@router.delete("/{key_id}", response_model=KeyRead)
def delete_key(key_id: str, session: SessionDep, auth: KeysWrite, state: StateDep) -> KeyRead:
    """Revoke a key: every API process sharing the cache refuses it from the next request."""
    return KeyRead.model_validate(revoke_key(session, auth, key_id=key_id, cache=state.cache))
