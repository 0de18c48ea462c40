"""Small builders for specs and audiences used across tests."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import yaml

HTML = (
    "<html><head><style>p { color: #333; } .cta { background: #0a6; color: #fff; }</style>"
    '</head>\n<body><h1>Hello {{ first_name | default("there") }}</h1>\n'
    "<p>Your city: {{ city }}</p>\n"
    "<p><a class=\"cta\" href=\"{{ 'https://shop.example.com/sale' | utm(source='email', "
    "medium='email', campaign='spring') }}\">Shop now</a></p>\n"
    '<img src="https://img.example.com/a.png" alt="Spring sale">\n'
    "</body></html>"
)


def write_csv(path: Path, rows: list[list[Any]], header: list[str] | None = None) -> Path:
    header = header or ["email", "first_name", "city", "locale", "consent"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def contacts(
    n: int, *, locales: tuple[str, ...] = ("en-US", "de-DE", "ja-JP", "ar-SA")
) -> list[list[Any]]:
    return [
        [f"user{i:06d}@example.com", f"Name{i}", f"City{i % 17}", locales[i % len(locales)], "yes"]
        for i in range(n)
    ]


# Two variants, the second of which breaks (divides by zero) for every contact it gets.
HALF_FAILING_VARIANTS: list[dict[str, Any]] = [
    {"name": "A", "weight": 1},
    {"name": "B", "weight": 1, "subject": "{{ 1 // 0 }}"},
]


def write_spec(folder: Path, **overrides: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "email.html").write_text(HTML, encoding="utf-8")
    spec: dict[str, Any] = {
        "name": "spring",
        "locale": "en-US",
        "seed": 7,
        "audience": {"path": "contacts.csv", "key": "email"},
        "template": {
            "subject": "Spring sale for {{ first_name | default('you') }}",
            "preheader": "Fresh picks in {{ city }}",
            "html": "email.html",
        },
        "variants": [
            {"name": "A", "weight": 1},
            {
                "name": "B",
                "weight": 1,
                "subject": "{{ first_name | default('Hi') }}, spring is here",
            },
        ],
        "outputs": ["html", "txt", "md", "eml"],
        "sink": "dir",
        "chunk_size": 50,
        "email": {
            "from": "news@shop.example.com",
            "from_name": "Shop",
            "unsubscribe_url": "https://shop.example.com/u?c={{ key | url_encode }}",
            "date": "2026-03-01T10:00:00+00:00",
        },
    }
    spec.update(overrides)
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def tree_bytes(root: Path, *, skip: tuple[str, ...] = ("report.json",)) -> dict[str, bytes]:
    """Every file under ``root`` (relative path -> bytes), leaving out run-specific files."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in skip and ".brandloom" not in p.relative_to(root).parts
    }


# A Fernet key for the tests that store LLM provider keys (never a real secret).
TEST_SECRET_KEY = "d8GrWxJq0B2M6qzYzQ2m3cE8k7R2F1hV5a9sX0tL4yU="


def two_workspace_api(database_url: str, tmp_path: Path, scoped: dict[str, list[str]]) -> Any:
    """A context manager: the API app over ``database_url`` with workspaces ``acme`` and
    ``globex``; yields ``(client, headers)`` where headers hold ``a`` (acme, every scope),
    ``b`` (globex, every scope) and one key per name of ``scoped`` (acme, those scopes)."""
    from contextlib import contextmanager

    from fastapi.testclient import TestClient

    from brandloom.api.app import create_app
    from brandloom.auth import AuthContext
    from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
    from brandloom.settings import Settings
    from brandloom.workspaces.service import create_workspace, issue_key

    @contextmanager
    def serve() -> Any:
        engine = make_engine(database_url)
        with unit_of_work(make_session_factory(engine)) as session:
            acme = create_workspace(session, name="acme")
            globex = create_workspace(session, name="globex")
            operator = AuthContext.operator(acme.workspace)
            keys = {"a": acme.api_key, "b": globex.api_key}
            for name, scopes in scoped.items():
                keys[name] = issue_key(session, operator, name=name, scopes=scopes).api_key
        engine.dispose()
        settings = Settings(
            data_dir=tmp_path / "data", database_url=database_url, secret_key=TEST_SECRET_KEY
        )
        with TestClient(create_app(settings, workers=1)) as client:
            yield client, {k: {"Authorization": f"Bearer {v}"} for k, v in keys.items()}

    return serve()
