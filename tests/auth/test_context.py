"""Scopes and the auth context: names are checked, ``*`` covers everything, refusals say why."""

from __future__ import annotations

import pytest

from brandloom.auth import ALL, SCOPES, AuthContext, Principal, parse_scopes, register_scope
from brandloom.errors import ForbiddenError, ValidationFailed
from brandloom.workspaces.models import Workspace

WORKSPACE = Workspace(id="ws_1", name="acme")


def _key(*scopes: str) -> AuthContext:
    return AuthContext(WORKSPACE, Principal("api_key", "key_1", "ci"), frozenset(scopes))


def test_the_registry_holds_every_route_scope() -> None:
    for domain in ("audiences", "templates", "jobs", "keys", "brands"):
        assert {f"{domain}:read", f"{domain}:write"} <= set(SCOPES)


def test_unknown_scopes_are_refused_by_name() -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_scopes(["jobs:read", "jobs:delete", "admin"])
    assert info.value.code == "auth.unknown_scope"
    assert "'admin', 'jobs:delete'" in info.value.message
    assert "jobs:read" in info.value.message.split("known scopes:")[1]


def test_no_scope_at_all_is_refused() -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_scopes([" ", ""])
    assert info.value.code == "auth.no_scope"


def test_star_stands_for_a_list_that_contains_it() -> None:
    assert parse_scopes(["jobs:read", "*"]) == frozenset({ALL})
    assert parse_scopes([" jobs:read ", "jobs:read", "keys:read"]) == {"jobs:read", "keys:read"}


def test_star_allows_every_scope_including_later_ones() -> None:
    auth = _key(ALL)
    for scope in (*SCOPES, "brands:write"):
        assert auth.allows(scope)
        auth.require(scope)


def test_a_missing_scope_is_a_403_naming_it() -> None:
    auth = _key("jobs:read")
    auth.require("jobs:read")
    with pytest.raises(ForbiddenError) as info:
        auth.require("jobs:read", "jobs:write")
    assert (info.value.code, info.value.status) == ("auth.forbidden", 403)
    assert "'jobs:write'" in info.value.message and "key_1" in info.value.message


def test_only_scopes_held_can_be_granted() -> None:
    limited = _key("jobs:read", "keys:write")
    assert limited.can_grant({"jobs:read"})
    assert not limited.can_grant({"jobs:read", "jobs:write"})
    assert not limited.can_grant({ALL}), "an explicit list never grants '*'"
    assert _key(ALL).can_grant({ALL, "jobs:write"})


def test_the_operator_holds_every_scope_in_its_workspace() -> None:
    auth = AuthContext.operator(WORKSPACE)
    assert (auth.principal.kind, auth.scopes, auth.workspace) == ("operator", {ALL}, WORKSPACE)


def test_scope_names_are_checked_when_registered() -> None:
    for bad in ("Jobs", "Jobs:read", "jobs:read:all", "jobs:", ":read", "*"):
        with pytest.raises(ValueError):
            register_scope(bad, "x")
    with pytest.raises(ValueError):
        register_scope("jobs:read", "twice")
