"""The CLI acts as the operator in the chosen workspace: keys with scopes, jobs of one workspace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from brandloom.cli import generate as flows
from brandloom.cli.specfile import read_spec_file
from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.jobs.models import Job
from brandloom.settings import get_settings
from brandloom.workspaces.models import ApiKey, Workspace
from brandloom.workspaces.service import authenticate
from tests.factories import contacts, write_csv, write_spec


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = dict(os.environ, BRANDLOOM_DATA_DIR=str(tmp_path / "data"))
    for name in ("BRANDLOOM_DATABASE_URL", "BRANDLOOM_WORKSPACE"):
        environ.pop(name, None)
    return environ


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "brandloom.cli.app", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def _factory(tmp_path: Path) -> sessionmaker[Session]:
    return make_session_factory(make_engine(f"sqlite:///{tmp_path / 'data' / 'brandloom.db'}"))


def test_issue_key_with_scopes_prints_json_and_refuses_unknown_scopes(
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    assert run(env, "workspace", "create", "acme").returncode == 0
    issued = run(
        env,
        "workspace",
        "issue-key",
        "acme",
        "--name",
        "ci",
        "--scopes",
        "jobs:read,audiences:read",
        "--json",
    )
    assert issued.returncode == 0, issued.stderr
    payload = json.loads(issued.stdout)
    assert set(payload) == {"workspace_id", "key_id", "api_key", "scopes"}
    assert payload["scopes"] == ["audiences:read", "jobs:read"]
    factory = _factory(tmp_path)
    with unit_of_work(factory) as session:
        auth = authenticate(session, api_key=payload["api_key"])
    assert (auth.workspace.id, auth.principal.id) == (payload["workspace_id"], payload["key_id"])
    assert auth.scopes == {"audiences:read", "jobs:read"}

    listed = run(env, "workspace", "keys", "acme", "--json")
    keys = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(k["name"], k["scopes"]) for k in keys] == [
        ("default", ["*"]),
        ("ci", ["audiences:read", "jobs:read"]),
    ]
    table = run({**env, "COLUMNS": "200"}, "workspace", "keys", "acme").stdout
    assert "audiences:read,jobs:read" in table

    refused = run(env, "workspace", "issue-key", "acme", "--scopes", "jobs:read,jobs:explode")
    assert refused.returncode == 2, refused.stderr
    assert "auth.unknown_scope" in refused.stderr and "jobs:explode" in refused.stderr
    assert "Traceback" not in refused.stderr
    missing = run(env, "workspace", "issue-key", "nope", "--scopes", "jobs:read")
    assert missing.returncode == 2 and "workspace create nope" in missing.stderr
    with unit_of_work(factory) as session:
        assert len(session.scalars(select(ApiKey)).all()) == 2
        assert session.scalars(select(Workspace.name)).all() == ["acme"], "lookups create nothing"


def _queued_job(tmp_path: Path, workspace: str) -> str:
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_csv(inputs / "contacts.csv", contacts(10))
    spec_file = read_spec_file(write_spec(inputs, outputs=["txt"]))
    out = (tmp_path / "out").resolve()
    job_id, _ = flows._create(_factory(tmp_path), workspace, spec_file, out, get_settings())
    return job_id


def _state(tmp_path: Path, job_id: str) -> str:
    with unit_of_work(_factory(tmp_path)) as session:
        return session.get_one(Job, job_id).state


def test_pause_cancel_and_status_find_jobs_of_the_chosen_workspace_only(
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    for name in ("acme", "globex"):
        assert run(env, "workspace", "create", name).returncode == 0
    job_id = _queued_job(tmp_path, "acme")
    for command in ("status", "pause", "cancel"):
        for elsewhere in ((), ("--workspace", "globex")):  # 'default', then another workspace
            result = run(env, command, job_id, *elsewhere)
            assert result.returncode == 2, (command, elsewhere, result.stdout)
            assert "job.not_found" in result.stderr, result.stderr
    assert _state(tmp_path, job_id) == "queued"

    shown = run(env, "status", job_id, "--json", "--workspace", "acme")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["state"] == "queued"
    paused = run(env, "pause", job_id, "-w", "acme")  # found; a queued job cannot pause
    assert paused.returncode == 2 and "job.invalid_transition" in paused.stderr, paused.stderr
    assert _state(tmp_path, job_id) == "queued"
    cancelled = run({**env, "BRANDLOOM_WORKSPACE": "acme"}, "cancel", job_id)
    assert cancelled.returncode == 0, cancelled.stderr
    assert _state(tmp_path, job_id) == "cancelled"
    with unit_of_work(_factory(tmp_path)) as session:
        names = set(session.scalars(select(Workspace.name)))
    assert names == {"acme", "globex", "default"}, "the CLI made 'default' on first use"
