"""The scopes an API key can hold: one registry, ``domain:action`` names (or one
word, like ``analyze``), ``*`` for all of them.

Every route names the scope it needs (``web.deps.require_scopes``); a key holds ``*`` (every
scope, including those later versions add) or an explicit list. Later domains register theirs
here, next to the others, so that the API, the CLI and key issuing all know every name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from brandloom.errors import ValidationFailed

ALL = "*"
"""Every scope, including those added after the key was issued."""

SCOPES: dict[str, str] = {}
"""Every known scope name -> what it allows (shown in errors and documentation)."""

_NAME = re.compile(r"[a-z][a-z0-9_]*(?::[a-z][a-z0-9_]*)?")


def register_scope(name: str, description: str) -> str:
    """Add a scope to the registry (at import time, before any key is issued with it)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"scope names look like 'domain:action' or 'action', not {name!r}")
    if name in SCOPES:
        raise ValueError(f"scope {name!r} is already registered")
    SCOPES[name] = description
    return name


register_scope("audiences:read", "read audiences and their rejected rows")
register_scope("audiences:write", "upload and import audiences")
register_scope("templates:read", "read templates")
register_scope("templates:write", "create templates")
register_scope("jobs:read", "read jobs: status, manifest, documents, archive")
register_scope("jobs:write", "create, pause, cancel and resume jobs")
register_scope("keys:read", "list the workspace's API keys (never the keys themselves)")
register_scope("keys:write", "issue and revoke API keys, with scopes the caller holds")
register_scope(
    "analyze", "analyse texts: language, sentiment, emotions, readability, spam, culture"
)
register_scope(
    "brands:read", "read brands, their guidelines, kit, library and voice; score and lint texts"
)
register_scope("brands:write", "create, change and delete brands; import texts; train voices")
register_scope("write", "write copy from a brief (POST /v1/write), spending the LLM budget")
register_scope("providers:read", "read the workspace's LLM providers and usage (never their keys)")
register_scope("providers:write", "store LLM provider keys and settings, the default and budget")
register_scope("predict", "predict how texts will perform (POST /v1/predict)")
register_scope("experiments:read", "read experiments, their analysis and allocation")
register_scope("experiments:write", "create experiments and record their results")


def parse_scopes(names: Iterable[str]) -> frozenset[str]:
    """The scopes named by ``names`` (``*`` or registered names); refuses unknown names.

    Raises ``ValidationFailed`` (``auth.unknown_scope``) naming every unknown scope and the
    known ones, or (``auth.no_scope``) when nothing is named. ``*`` alone stands for a list
    that contains it.
    """
    wanted = {name.strip() for name in names if name.strip()}
    if not wanted:
        raise ValidationFailed("name at least one scope (or '*')", code="auth.no_scope")
    unknown = sorted(name for name in wanted if name != ALL and name not in SCOPES)
    if unknown:
        raise ValidationFailed(
            f"unknown scope{'s' if len(unknown) > 1 else ''} "
            + ", ".join(f"'{name}'" for name in unknown)
            + f"; known scopes: {ALL}, "
            + ", ".join(SCOPES),
            code="auth.unknown_scope",
        )
    return frozenset({ALL}) if ALL in wanted else frozenset(wanted)


def grants(held: frozenset[str], scope: str) -> bool:
    """Whether scopes ``held`` allow ``scope`` (``*`` allows everything, ``*`` included)."""
    return ALL in held or scope in held
