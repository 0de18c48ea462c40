"""Rules of the code's shape that a linter does not check (the import contracts are checked
by ``lint-imports`` in ``make lint``): SQL statements are built in repositories only."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "brandloom"

# What builds a SQL statement (or a piece of one).
STATEMENT_BUILDERS = frozenset(
    {
        "select",
        "insert",
        "update",
        "delete",
        "text",
        "func",
        "exists",
        "and_",
        "or_",
        "not_",
        "union",
        "union_all",
        "bindparam",
        "literal",
        "literal_column",
        "case",
    }
)
# Besides the repositories: the database plumbing itself (engine pragmas, bulk inserts,
# keyset paging, the migration lock), the migrations, and the database health check.
ALLOWED = ("db/", "migrations/", "observability/health.py")


def _statement_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("sqlalchemy")
        ):
            found += [
                f"line {node.lineno}: from {node.module} import {alias.name}"
                for alias in node.names
                if alias.name in STATEMENT_BUILDERS
            ]
        elif isinstance(node, ast.Attribute) and node.attr in STATEMENT_BUILDERS:
            base = node.value
            if isinstance(base, ast.Name) and base.id in {"sqlalchemy", "sa"}:
                found.append(f"line {node.lineno}: {base.id}.{node.attr}")
    return found


def test_sql_statements_are_built_in_repositories_only() -> None:
    offenders = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if path.name == "repository.py" or rel.startswith(ALLOWED):
            continue
        found = _statement_imports(path)
        if found:
            offenders[rel] = found
    assert not offenders, (
        f"SQL belongs in the domain's repository.py (docs/architecture.md, 'Layers'): {offenders}"
    )
