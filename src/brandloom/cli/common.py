"""What several command groups share: the --workspace option and the one way a command turns
an expected error into a message and exit code 2."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from brandloom.errors import BrandloomError

T = TypeVar("T")

# Messages are not wrapped by us (soft wrap): the terminal wraps them, a pipe keeps lines whole.
err_console = Console(stderr=True, soft_wrap=True)

WorkspaceOpt = Annotated[
    str | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar="BRANDLOOM_WORKSPACE",
        help="Workspace to work in (default: 'default', created on first use).",
    ),
]


def run_or_exit(fn: Callable[[], T]) -> T:
    """``fn()``; an expected error becomes a clear message and exit code 2."""
    try:
        return fn()
    except BrandloomError as exc:
        err_console.print(
            f"[bold red]error[/] ({exc.code}): {escape(exc.message)}", highlight=False
        )
        raise typer.Exit(2) from None
