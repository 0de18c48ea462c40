"""Application wiring: the job kinds every process of brandloom knows.

The API, the CLI and the workers call :func:`setup` before they touch a job; the generic
engine in ``jobs/`` knows kinds only through the registry, never by importing a domain.
"""

from __future__ import annotations

from brandloom.audiences.kind import ImportKind
from brandloom.documents.kind import RenderKind
from brandloom.jobs.kinds import REGISTRY

_KINDS = (RenderKind(), ImportKind())


def setup() -> None:
    """Register every job kind in this process (idempotent)."""
    for kind in _KINDS:
        REGISTRY.register(kind)
    REGISTRY.setup = f"{__name__}:setup"
