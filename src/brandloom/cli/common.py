"""What several command groups share: the --workspace option and the one way a command turns
an expected error into a message and exit code 2."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from brandloom.errors import BrandloomError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from brandloom.cli.context import AppContext
    from brandloom.workspaces.models import Workspace

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


@contextmanager
def workspace_session(workspace: str | None) -> Iterator[tuple[Session, Workspace, AppContext]]:
    """One unit of work in the chosen workspace, the operator acting: ``(session, workspace,
    app context)``. A command that fails inside it changes nothing."""
    from brandloom.cli.context import app_context
    from brandloom.db.engine import unit_of_work

    ctx = app_context()
    chosen = ctx.operator(workspace).workspace
    with unit_of_work(ctx.factory) as session:
        yield session, chosen, ctx
