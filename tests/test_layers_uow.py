"""Services never commit: only the unit of work (and the migrations runner) ends transactions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import brandloom

PACKAGE = Path(brandloom.__file__).parent
# db/engine.py: unit_of_work commits and rolls back; db/migrate.py: Alembic's connection.
ALLOWED = {"db/engine.py", "db/migrate.py"}
# Calls that end a transaction, or begin one that commits when its block ends.
TRANSACTION_CALLS = {"commit", "rollback", "begin"}


def transaction_calls(source: str) -> list[tuple[int, str]]:
    """(line, method) of every ``x.commit()``, ``x.rollback()`` and ``x.begin()`` call."""
    return [
        (node.lineno, node.func.attr)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in TRANSACTION_CALLS
    ]


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("session.commit()", [(1, "commit")]),
        ("def f(s):\n    s.rollback()", [(2, "rollback")]),
        ("with engine.begin() as conn:\n    pass", [(1, "begin")]),
        ("self.session.get_bind().commit()", [(1, "commit")]),
        ("session.flush()\nsession.begin_nested()\ncommit_chunk(session)", []),
    ],
)
def test_the_check_finds_transaction_calls(source: str, found: list[tuple[int, str]]) -> None:
    assert transaction_calls(source) == found


def test_only_the_unit_of_work_commits_or_rolls_back() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE).as_posix()}:{line}: .{method}()"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).as_posix() not in ALLOWED
        for line, method in transaction_calls(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], (
        "services flush, never commit: run the work in db.engine.unit_of_work and queue what "
        "must wait for the commit with after_commit / enqueue"
    )
