"""The command line as a user runs it: real subprocesses, exit codes, messages."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import contacts, write_csv, write_spec

BRANDLOOM = [sys.executable, "-m", "brandloom.cli.app"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = dict(os.environ)
    environ["BRANDLOOM_DATA_DIR"] = str(tmp_path / "data")
    for name in ("BRANDLOOM_DATABASE_URL", "BRANDLOOM_WORKSPACE"):
        environ.pop(name, None)
    return environ


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BRANDLOOM, *args], env=env, capture_output=True, text=True, timeout=300)


def _spec(tmp_path: Path, **overrides: object) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    rows = contacts(8)
    rows.append(["broken", "X", "Y", "en-US", "yes"])
    write_csv(folder / "contacts.csv", rows)
    return write_spec(folder, **overrides)


def test_generate_prints_a_summary_and_exits_0(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(env, "generate", str(_spec(tmp_path)), "--out", str(out), "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert "progress:" in result.stdout  # plain progress lines when not on a terminal
    assert "accepted / rejected" in result.stdout
    report = json.loads((out / "report.json").read_text())
    assert (report["accepted"], report["rejected"]) == (8, 1)


def test_a_finished_out_folder_is_refused_without_force(
    env: dict[str, str], tmp_path: Path
) -> None:
    spec, out = _spec(tmp_path), tmp_path / "out"
    assert run(env, "generate", str(spec), "--out", str(out), "-j", "1").returncode == 0
    again = run(env, "generate", str(spec), "--out", str(out), "-j", "1")
    assert again.returncode == 2, again.stderr
    err = " ".join(again.stderr.split())
    assert f"{out} holds the outputs of job job_" in err
    assert "--force" in err and "another --out" in err
    forced = run(env, "generate", str(spec), "--out", str(out), "-j", "1", "--force")
    assert forced.returncode == 0, forced.stderr


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"outputs": ["html", "fax"]}, "unknown format"),
        ({"template": {"html": "<p>{% if %}</p>"}}, "line 1"),
        ({"template": {"subject": "{{ nope }}", "html": "x"}}, "nope"),
        ({"audience": {"path": "missing.csv"}}, "missing.csv"),
        ({"template": {"html": "missing.html"}}, "file not found"),
        ({"qa": {"banned_phrase": ["x"]}}, "banned_phrase"),
        ({"email": {"from": "ann@☃.net"}}, "email.from:"),
        ({"email": {"from": "Lumen <news@example.com>", "from_name": "Shop"}}, "email.from_name:"),
    ],
)
def test_bad_input_exits_2_before_any_output(
    env: dict[str, str], tmp_path: Path, overrides: dict[str, object], needle: str
) -> None:
    out = tmp_path / "out"
    result = run(env, "generate", str(_spec(tmp_path, **overrides)), "--out", str(out))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_spec_typos_name_the_field_and_suggest_the_known_one(
    env: dict[str, str], tmp_path: Path
) -> None:
    spec = _spec(
        tmp_path,
        outptus=["html"],
        audience={"path": "contacts.csv", "kye": "email"},
        **{"[bold]oops": 1},
    )
    result = run(env, "validate", str(spec))
    assert result.returncode == 2, (result.stdout, result.stderr)
    err = " ".join(result.stderr.split())  # Rich wraps long lines
    assert "outptus: unknown field `outptus`; did you mean `outputs`?" in err
    assert "audience.kye: unknown field `kye`; did you mean `key`?" in err
    assert "Extra inputs" not in err and "AudienceSpec" not in err
    assert "unknown field `[bold]oops`" in err  # user text is never read as Rich markup


def test_an_unknown_variable_names_the_file_and_suggests_the_column(
    env: dict[str, str], tmp_path: Path
) -> None:
    spec = _spec(tmp_path)
    html = spec.parent / "email.html"
    html.write_text("<p>\nHello {{ frist_name }}</p>", encoding="utf-8")
    result = run(env, "validate", str(spec))
    assert result.returncode == 2, (result.stdout, result.stderr)
    err = " ".join(result.stderr.split())
    assert f"frist_name (html, {html} line 2) (did you mean `first_name`?)" in err
    assert "Available variables: city, consent," in err
    assert "{{ frist_name | default('') }}" in err


def test_validate_says_first_what_failed_and_shows_each_body(
    env: dict[str, str], tmp_path: Path
) -> None:
    spec = _spec(tmp_path, variants=[], qa={"banned_phrases": ["spring sale"]})
    result = run(env, "validate", str(spec))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "warning: 1 of 9 rows rejected; 3 of 3 previews failed QA"
    assert "ok" not in lines[0]
    assert "preview: user000000@example.com (row 1)" in result.stdout  # no "variant None"
    assert "subject: Spring sale for Name0" in lines  # markup applied, not printed
    assert "[bold]" not in result.stdout and "[/]" not in result.stdout
    assert result.stdout.count("Hello Name") == 3  # each preview's body (its text part)
    assert "QA: fail" in lines
    assert result.stdout.count("phrase.banned") == 3


def test_help_paragraphs_reflow_to_the_terminal(env: dict[str, str]) -> None:
    result = run({**env, "COLUMNS": "200"}, "generate", "--help")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    # where the docstring's source lines break, the help runs on: no break mid-sentence
    for phrase in ("the job's chunks are enqueued", "or a shared filesystem", "follows the job"):
        assert phrase in text, text


def test_validate_writes_nothing_and_shows_previews(env: dict[str, str], tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    result = run(env, "validate", str(spec))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("preview:") == 3
    assert "8 accepted, 1 rejected" in result.stdout
    assert not (tmp_path / "data").exists()


def test_validate_refuses_a_bad_sender_with_exit_2(env: dict[str, str], tmp_path: Path) -> None:
    spec = _spec(tmp_path, email={"from": "Lumen <news@example.com"})
    result = run(env, "validate", str(spec))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "email.from:" in result.stderr and "Traceback" not in result.stderr


def test_preview_prints_one_document(env: dict[str, str], tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    result = run(
        env, "preview", str(spec), "--contact", "user000003@example.com", "--format", "eml"
    )
    assert result.returncode == 0, result.stderr
    assert (
        "To: user000003@example.com" in result.stdout or "user000003@example.com" in result.stdout
    )
    missing = run(env, "preview", str(spec), "--contact", "nobody@example.com")
    assert missing.returncode == 2 and "nobody@example.com" in missing.stderr


def test_a_preview_is_the_document_the_job_writes(env: dict[str, str], tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    out = tmp_path / "out"
    assert run(env, "generate", str(spec), "--out", str(out)).returncode == 0
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    entry = next(m for m in manifest if m["key"] == "user000003@example.com")
    for fmt in ("html", "eml"):
        shown = subprocess.run(
            [*BRANDLOOM, "preview", str(spec), "--contact", entry["key"], "--format", fmt],
            env=env,
            capture_output=True,
            timeout=300,
        )
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout == (out / entry["files"][fmt]).read_bytes(), fmt


def test_workspace_create_prints_the_key_once_as_json(env: dict[str, str]) -> None:
    result = run(env, "workspace", "create", "acme", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"workspace_id", "api_key"}
    assert payload["api_key"].startswith("bl_") and len(payload["api_key"]) > 40
    again = run(env, "workspace", "create", "acme")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_unknown_workspace_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(env, "generate", str(_spec(tmp_path)), "--out", str(out), "--workspace", "nope")
    assert result.returncode == 2 and "workspace create nope" in result.stderr


def test_api_keys_are_listed_issued_and_revoked(env: dict[str, str], tmp_path: Path) -> None:
    from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
    from brandloom.errors import AuthError
    from brandloom.workspaces.service import authenticate

    first = json.loads(run(env, "workspace", "create", "acme", "--json").stdout)["api_key"]
    issued = run(env, "workspace", "issue-key", "acme", "--name", "ci")
    assert issued.returncode == 0, issued.stderr
    second = issued.stdout.split(":", 1)[1].strip()
    listed = run(env, "workspace", "keys", "acme", "--json")
    assert listed.returncode == 0, listed.stderr
    assert first not in listed.stdout and second not in listed.stdout  # never shown again
    keys = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [k["name"] for k in keys] == ["default", "ci"]
    key_id = keys[1]["id"]

    revoked = run(env, "workspace", "revoke-key", "acme", key_id)
    assert revoked.returncode == 0, revoked.stderr
    factory = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'data' / 'brandloom.db'}"))
    with unit_of_work(factory) as session:
        assert authenticate(session, api_key=first).workspace.name == "acme"
        with pytest.raises(AuthError):
            authenticate(session, api_key=second)
    missing = run(env, "workspace", "revoke-key", "acme", "key_nope")
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_status_shows_a_job_and_follows_it_to_the_end(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run(env, "generate", str(_spec(tmp_path)), "--out", str(out), "--workers", "1")
    assert done.returncode == 0, done.stderr
    job_id = json.loads((out / "report.json").read_text())["job_id"]

    shown = run(env, "status", job_id, "--json")
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert (status["state"], status["contacts_done"], status["contacts_total"]) == ("done", 8, 8)
    assert run(env, "status", job_id, "--follow").returncode == 0
    missing = run(env, "status", "job_nope")
    assert missing.returncode == 2 and "not found" in missing.stderr

    listed = run(env, "jobs", "--json")
    assert listed.returncode == 0, listed.stderr
    [job] = json.loads(listed.stdout)
    assert (job["job_id"], job["kind"], job["state"], job["items_done"]) == (
        job_id,
        "documents.render",
        "done",
        8,
    )
    assert json.loads(run(env, "jobs", "--json", "--state", "failed").stdout) == []
    assert job_id in run(env, "jobs").stdout
    other = run(env, "jobs", "--json", "--workspace", "elsewhere")
    assert other.returncode == 2 and "elsewhere" in other.stderr
    bad = run(env, "jobs", "--state", "sleeping")
    assert bad.returncode == 2 and "not a job state" in bad.stderr


def test_serve_runs_several_server_processes_on_one_port(env: dict[str, str]) -> None:
    import socket
    import time

    import httpx
    import psutil

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [*BRANDLOOM, "serve", "--port", str(port), "--http-workers", "2", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        answered = 0
        while answered < 5:
            assert proc.poll() is None, "serve exited"
            assert time.monotonic() < deadline, "the server did not answer"
            try:
                answered += httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
            except httpx.TransportError:
                time.sleep(0.2)
        servers = [
            p for p in psutil.Process(proc.pid).children(recursive=True) if "python" in p.name()
        ]
        assert len(servers) >= 2
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        # Anything of the group still there (a server process caught mid-start) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def test_a_closed_stdout_pauses_the_job_for_resume(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_csv(folder / "contacts.csv", contacts(60))
    spec = write_spec(folder, chunk_size=10)
    out = tmp_path / "out"
    # `brandloom generate ... | head -1`: the reader takes one line and goes away.
    proc = subprocess.Popen(
        [*BRANDLOOM, "generate", str(spec), "--out", str(out), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    assert first.startswith("job "), first
    proc.stdout.close()
    assert proc.wait(timeout=300) == 141
    stderr = proc.stderr.read()
    assert "standard output closed: a started job is paused" in stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
    job_id = first.split()[1].rstrip(":")
    status = json.loads(run(env, "status", job_id, "--json").stdout)
    assert status["state"] == "paused" and status["error"] is None
    assert status["contacts_done"] < 60

    resumed = run(env, "generate", str(spec), "--out", str(out), "--resume", "--workers", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "report.json").read_text())["accepted"] == 60
