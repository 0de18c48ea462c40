"""Workspace lookups create nothing; keys carry scopes and never grant more than their issuer."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from brandloom.auth import ALL, AuthContext
from brandloom.cli.context import AppContext
from brandloom.db.engine import unit_of_work
from brandloom.errors import ForbiddenError, NotFoundError, ValidationFailed
from brandloom.settings import Settings
from brandloom.workspaces.models import ApiKey, Workspace
from brandloom.workspaces.service import (
    authenticate,
    create_workspace,
    issue_key,
    list_keys,
    resolve_workspace,
    revoke_key,
)


def _count(factory: sessionmaker[Session], model: type[Workspace] | type[ApiKey]) -> int:
    with unit_of_work(factory) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("name", [None, "default", "nope"])
def test_a_lookup_creates_nothing(factory: sessionmaker[Session], name: str | None) -> None:
    with unit_of_work(factory) as session, pytest.raises(NotFoundError) as info:
        resolve_workspace(session, name=name)
    assert info.value.code == "workspace.not_found" and info.value.status == 404
    assert f"brandloom workspace create {name or 'default'}" in info.value.message
    assert _count(factory, Workspace) == 0


def test_the_cli_context_creates_default_once_and_acts_as_the_operator(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    ctx = AppContext(Settings(data_dir=tmp_path, database_url=database_url), database_url, factory)
    first = ctx.operator()
    assert first.workspace.name == "default"
    assert (first.principal.kind, first.scopes) == ("operator", {ALL})
    assert ctx.operator("default").workspace.id == first.workspace.id
    assert _count(factory, Workspace) == 1
    with pytest.raises(NotFoundError):
        ctx.operator("acme")
    assert _count(factory, Workspace) == 1
    with unit_of_work(factory) as session:
        acme = create_workspace(session, name="acme").workspace.id
    assert ctx.operator("acme").workspace.id == acme


def _signed_in(factory: sessionmaker[Session], api_key: str) -> AuthContext:
    with unit_of_work(factory) as session:
        return authenticate(session, api_key=api_key)


def test_keys_carry_their_scopes(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as session:
        first = create_workspace(session, name="acme")
        issued = issue_key(
            session,
            AuthContext.operator(first.workspace),
            name="ci",
            scopes=["jobs:read", "audiences:read"],
        )
    assert first.scopes == (ALL,)
    assert issued.scopes == ("audiences:read", "jobs:read")
    auth = _signed_in(factory, issued.api_key)
    assert auth.scopes == {"audiences:read", "jobs:read"}
    assert (auth.principal.kind, auth.principal.id, auth.principal.name) == (
        "api_key",
        issued.key_id,
        "ci",
    )
    assert _signed_in(factory, first.api_key).scopes == {ALL}


def test_a_key_cannot_grant_or_revoke_more_than_it_holds(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as session:
        first = create_workspace(session, name="acme")
        operator = AuthContext.operator(first.workspace)
        limited = issue_key(session, operator, scopes=["keys:write", "keys:read", "jobs:read"])
    before = _count(factory, ApiKey)
    for wanted in (["jobs:write"], ["*"], ["jobs:read", "audiences:read"]):
        with unit_of_work(factory) as session, pytest.raises(ForbiddenError) as info:
            issue_key(session, _signed_in(factory, limited.api_key), scopes=wanted)
        assert info.value.code == "auth.forbidden"
    assert _count(factory, ApiKey) == before
    with unit_of_work(factory) as session:
        auth = _signed_in(factory, limited.api_key)
        narrower = issue_key(session, auth, name="reader", scopes=["jobs:read"])
        assert narrower.scopes == ("jobs:read",)
        with pytest.raises(ForbiddenError):
            revoke_key(session, auth, key_id=first.key_id)
        assert revoke_key(session, auth, key_id=narrower.key_id).revoked_at is not None


def test_unknown_scopes_are_refused_before_anything_is_written(
    factory: sessionmaker[Session],
) -> None:
    with unit_of_work(factory) as session:
        workspace = create_workspace(session, name="acme").workspace
    with unit_of_work(factory) as session, pytest.raises(ValidationFailed) as info:
        issue_key(session, AuthContext.operator(workspace), scopes=["jobs:read", "jobs:rread"])
    assert info.value.code == "auth.unknown_scope" and "'jobs:rread'" in info.value.message
    assert _count(factory, ApiKey) == 1


def test_keys_are_listed_per_workspace_and_need_keys_read(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as session:
        acme = create_workspace(session, name="acme")
        create_workspace(session, name="globex")
        reader = issue_key(
            session, AuthContext.operator(acme.workspace), name="r", scopes=["jobs:read"]
        )
    with unit_of_work(factory) as session:
        keys = list_keys(session, AuthContext.operator(acme.workspace))
        assert [(k.name, k.scopes) for k in keys] == [("default", ["*"]), ("r", ["jobs:read"])]
        with pytest.raises(ForbiddenError):
            list_keys(session, _signed_in(factory, reader.api_key))
