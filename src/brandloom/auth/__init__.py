"""Authorization: the context a service call runs in (workspace, principal, scopes).

``AuthContext`` says who acts (``Principal``: an API key, the CLI's operator, later a user),
in which workspace and with which scopes; ``SCOPES`` is the registry of scope names.
"""

from brandloom.auth.context import AuthContext, Principal, PrincipalKind
from brandloom.auth.scopes import ALL, SCOPES, grants, parse_scopes, register_scope

__all__ = [
    "ALL",
    "SCOPES",
    "AuthContext",
    "Principal",
    "PrincipalKind",
    "grants",
    "parse_scopes",
    "register_scope",
]
