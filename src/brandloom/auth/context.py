"""Who acts, in which workspace, with which rights: the context every service call runs in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from brandloom.auth.scopes import ALL, grants
from brandloom.errors import ForbiddenError

if TYPE_CHECKING:
    from brandloom.workspaces.models import Workspace

PrincipalKind = Literal["api_key", "operator", "user"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who acts: an API key (the REST API), the operator (the CLI) or, later, a user."""

    kind: PrincipalKind
    id: str
    name: str

    def __str__(self) -> str:
        if self.kind == "api_key":
            return f"API key '{self.name}' ({self.id})"
        return f"{self.kind} '{self.name}'"


@dataclass(frozen=True, slots=True)
class AuthContext:
    """A principal acting in one workspace with a set of scopes (``*``: every scope).

    Built once per request (``web.deps.require_scopes``) or per CLI command
    (``cli.context.AppContext.operator``) and passed to services; repositories scope their
    queries by its workspace.
    """

    workspace: Workspace
    principal: Principal
    scopes: frozenset[str]

    @classmethod
    def operator(cls, workspace: Workspace, *, name: str = "cli") -> AuthContext:
        """Whoever runs the CLI: every scope, in the workspace they chose."""
        return cls(workspace, Principal("operator", name, name), frozenset({ALL}))

    def allows(self, scope: str) -> bool:
        return grants(self.scopes, scope)

    def require(self, *scopes: str) -> None:
        """Raise ``ForbiddenError`` (403 ``auth.forbidden``) naming the first scope missing."""
        for scope in scopes:
            if not grants(self.scopes, scope):
                raise ForbiddenError(
                    f"{self.principal} lacks the scope '{scope}'", details={"scope": scope}
                )

    def can_grant(self, scopes: Iterable[str]) -> bool:
        """Whether this context holds every one of ``scopes`` (``*`` only if it holds ``*``):
        what it may put on a key it issues, or take away by revoking one."""
        return all(grants(self.scopes, scope) for scope in scopes)
