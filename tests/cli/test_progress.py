"""Progress lines: the rate and ETA count only this run's work (a resumed job starts with
contacts already done); counts read as English."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from brandloom.cli.progress import ProgressReporter, plural
from brandloom.jobs.lifecycle import JobStatus


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _status(items_done: int, chunks_done: int, documents_done: int) -> JobStatus:
    return JobStatus(
        job_id="job_1",
        kind="documents.render",
        state="running",
        items_total=1000,
        items_done=items_done,
        chunks_total=10,
        chunks_done=chunks_done,
        documents_done=documents_done,
        error=None,
        report=None,
    )


def test_a_resumed_run_estimates_from_its_own_work(capsys: pytest.CaptureFixture[str]) -> None:
    clock = Clock()
    reporter = ProgressReporter(Console(file=io.StringIO()), interval_s=0, clock=clock)
    reporter.start(_status(800, 8, 1600))  # resumed: 800 contacts were done in an earlier run
    clock.now += 10.0
    reporter.update(_status(900, 9, 1800))  # 100 contacts in 10 s: 100 left take 10 s more
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "job job_1: 800/1000 contacts done, 2 chunks to go"
    assert lines[1] == "progress: 900/1000 contacts, 1800 documents, 20 docs/s, ETA 10s"


def test_no_progress_yet_has_no_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    clock = Clock()
    reporter = ProgressReporter(Console(file=io.StringIO()), interval_s=0, clock=clock)
    reporter.start(_status(900, 9, 1800))
    clock.now += 5.0
    reporter.update(_status(900, 9, 1800))
    assert capsys.readouterr().out.splitlines()[-1].endswith("ETA unknown")


def test_one_chunk_to_go_is_singular(capsys: pytest.CaptureFixture[str]) -> None:
    ProgressReporter(Console(file=io.StringIO())).start(_status(900, 9, 1800))
    assert capsys.readouterr().out.strip().endswith("900/1000 contacts done, 1 chunk to go")
    assert (plural(0, "chunk"), plural(1, "chunk"), plural(1200, "chunk")) == (
        "0 chunks",
        "1 chunk",
        "1,200 chunks",
    )
