"""Options several command groups share."""

from __future__ import annotations

from typing import Annotated

import typer

WorkspaceOpt = Annotated[
    str | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar="BRANDLOOM_WORKSPACE",
        help="Workspace to work in (default: 'default', created on first use).",
    ),
]
