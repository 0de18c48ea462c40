"""SIGKILL a real `brandloom generate` mid-run; `--resume` must finish byte-identical output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.factories import contacts, tree_bytes, write_csv, write_spec

BRANDLOOM = [sys.executable, "-m", "brandloom.cli.app"]


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["BRANDLOOM_DATABASE_URL"] = database_url
    env["BRANDLOOM_DATA_DIR"] = str(data_dir)
    env.pop("BRANDLOOM_WORKSPACE", None)
    return env


def _generate(
    env: dict[str, str], spec: Path, out: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BRANDLOOM, "generate", str(spec), "--out", str(out), "--workers", "2", *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _count_files(folder: Path) -> int:
    try:
        return sum(1 for _ in folder.iterdir())
    except FileNotFoundError:
        return 0


@pytest.mark.slow
@pytest.mark.parametrize("sink", ["dir", "jsonl"])
def test_sigkill_then_resume_matches_uninterrupted_run(
    database_url: str, tmp_path: Path, sink: str
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_csv(inputs / "contacts.csv", contacts(4000))
    spec = write_spec(inputs, sink=sink, chunk_size=20)
    env = _env(database_url, tmp_path / "data")

    reference = tmp_path / "reference"
    done = _generate(env, spec, reference)
    assert done.returncode == 0, done.stderr

    victim = tmp_path / "victim"
    proc = subprocess.Popen(
        [*BRANDLOOM, "generate", str(spec), "--out", str(victim), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Wait until some (not all) chunks are written, then kill everything without warning.
    progress_dir = victim / "html" if sink == "dir" else victim / ".brandloom" / "parts" / "jsonl"
    threshold = 300 if sink == "dir" else 10
    deadline = time.monotonic() + 300
    while _count_files(progress_dir) < threshold and proc.poll() is None:
        assert time.monotonic() < deadline, "generate made no progress"
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (victim / "report.json").exists()

    resumed = _generate(env, spec, victim, "--resume")
    assert resumed.returncode == 0, resumed.stderr

    expected, actual = tree_bytes(reference), tree_bytes(victim)
    assert expected.keys() == actual.keys()
    assert expected == actual


@pytest.mark.slow
def test_without_resume_an_interrupted_folder_is_refused(database_url: str, tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_csv(inputs / "contacts.csv", contacts(3000))
    spec = write_spec(inputs, chunk_size=20)
    env = _env(database_url, tmp_path / "data")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*BRANDLOOM, "generate", str(spec), "--out", str(out), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while _count_files(out / "html") < 100 and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    again = _generate(env, spec, out)
    assert again.returncode == 2
    assert "--resume" in again.stderr
