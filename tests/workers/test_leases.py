"""Chunk claims, leases, duplicate commits and lease recovery, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from brandloom.cli import generate as flows
from brandloom.cli.specfile import read_spec_file
from brandloom.db.base import utcnow
from brandloom.db.engine import QueuedTask, unit_of_work
from brandloom.jobs import lifecycle
from brandloom.jobs.kinds import ChunkRun, WorkerContext
from brandloom.jobs.models import Job, JobChunk
from brandloom.jobs.repository import JobRepository
from brandloom.jobs.service import JobRuntime, commit_chunk, open_runtime
from brandloom.settings import get_settings
from brandloom.workers.leases import claim_finalize, reap
from tests.factories import HALF_FAILING_VARIANTS, contacts, write_csv, write_spec

# These tests call the CLI flows directly: the CLI creates `default` when it sets up.
pytestmark = pytest.mark.usefixtures("default_workspace")


class RecordingDispatcher:
    """Stands in for the broker: records what would be sent."""

    def __init__(self) -> None:
        self.chunks: list[tuple[str, int]] = []
        self.finalized: list[str] = []

    def send(self, tasks: Sequence[QueuedTask]) -> None:
        for task in tasks:
            if task.name == lifecycle.PROCESS_CHUNK:
                self.chunks.append((str(task.kwargs["job_id"]), int(task.kwargs["index"])))
            else:
                assert task.name == lifecycle.FINALIZE_JOB
                self.finalized.append(str(task.kwargs["job_id"]))


def _job(factory: sessionmaker[Session], tmp_path: Path, **spec: object) -> str:
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_csv(inputs / "contacts.csv", contacts(100))
    path = write_spec(inputs, outputs=["txt"], chunk_size=25, **spec)
    job_id, _ = flows._create(
        factory, None, read_spec_file(path), (tmp_path / "out").resolve(), get_settings()
    )
    return job_id


def _runtime(factory: sessionmaker[Session], job_id: str) -> JobRuntime:
    with unit_of_work(factory) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return open_runtime(session, job, WorkerContext(factory=factory))


def _claim(
    factory: sessionmaker[Session], job_id: str, index: int, owner: str, *, respect: bool = True
) -> bool:
    with unit_of_work(factory) as session:
        ws = session.get(Job, job_id).workspace_id  # type: ignore[union-attr]
        return JobRepository(session, ws).claim_chunk(
            job_id, index, owner=owner, now=utcnow(), lease_seconds=30, respect_lease=respect
        )


def test_a_leased_chunk_is_not_claimed_twice_until_the_lease_expires(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    job_id = _job(factory, tmp_path)
    dispatcher = RecordingDispatcher()
    assert lifecycle.submit_job(factory, job_id, dispatcher) == 4
    assert dispatcher.chunks == [(job_id, i) for i in range(4)]

    assert _claim(factory, job_id, 0, "a")
    assert not _claim(factory, job_id, 0, "b")
    assert _claim(factory, job_id, 0, "local", respect=False)  # the in-process coordinator

    with unit_of_work(factory) as session:
        session.execute(
            update(JobChunk)
            .where(JobChunk.job_id == job_id, JobChunk.index == 0)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert reap(factory, dispatcher, lease_seconds=30) == (1, 0)
    assert dispatcher.chunks[-1] == (job_id, 0)
    assert reap(factory, dispatcher, lease_seconds=30) == (0, 0)  # requeued once, not per reaper
    assert _claim(factory, job_id, 0, "b")
    with unit_of_work(factory) as session:
        chunk = session.scalar(
            select(JobChunk).where(JobChunk.job_id == job_id, JobChunk.index == 0)
        )
        assert chunk is not None and chunk.attempts == 3 and chunk.lease_owner == "b"


class ReadingDispatcher(RecordingDispatcher):
    """Records what a worker receiving the tasks would read: the job's state and its chunks'."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        super().__init__()
        self.factory = factory
        self.seen: list[tuple[str, dict[int, str]]] = []

    def send(self, tasks: Sequence[QueuedTask]) -> None:
        super().send(tasks)
        job_id = str(tasks[0].kwargs["job_id"])
        with self.factory() as session:
            job = session.get(Job, job_id)
            assert job is not None
            chunks = session.execute(
                select(JobChunk.index, JobChunk.state).where(JobChunk.job_id == job_id)
            )
            self.seen.append((job.state, {index: state for index, state in chunks}))


def test_tasks_are_sent_once_what_they_act_on_is_committed(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    job_id = _job(factory, tmp_path)
    dispatcher = ReadingDispatcher(factory)
    assert lifecycle.submit_job(factory, job_id, dispatcher) == 4
    assert dispatcher.seen == [("running", dict.fromkeys(range(4), "pending"))]

    assert _claim(factory, job_id, 0, "a")
    with unit_of_work(factory) as session:
        session.execute(
            update(JobChunk)
            .where(JobChunk.job_id == job_id, JobChunk.index == 0)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert reap(factory, dispatcher, lease_seconds=30) == (1, 0)
    assert dispatcher.chunks[-1] == (job_id, 0)
    assert dispatcher.seen[-1] == ("running", dict.fromkeys(range(4), "pending"))

    # Every chunk done a while ago and nobody finalizing: the reaper enqueues the finalization.
    with unit_of_work(factory) as session:
        session.execute(
            update(JobChunk)
            .where(JobChunk.job_id == job_id)
            .values(state="done", finished_at=utcnow() - timedelta(seconds=60))
        )
    assert reap(factory, dispatcher, lease_seconds=30) == (0, 1)
    assert dispatcher.finalized == [job_id]
    assert len(dispatcher.seen) == 3


def test_no_chunk_is_claimed_while_the_job_is_paused_or_cancelled(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    job_id = _job(factory, tmp_path)
    lifecycle.submit_job(factory, job_id, RecordingDispatcher())
    with unit_of_work(factory) as session:
        lifecycle.pause_job(session, session.get(Job, job_id))  # type: ignore[arg-type]
    assert not _claim(factory, job_id, 1, "a")
    lifecycle.submit_job(factory, job_id, RecordingDispatcher())  # resume
    assert _claim(factory, job_id, 1, "a")
    with unit_of_work(factory) as session:
        lifecycle.cancel_job(session, session.get(Job, job_id))  # type: ignore[arg-type]
    assert not _claim(factory, job_id, 2, "a")


def test_a_chunk_committed_twice_counts_once(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    job_id = _job(factory, tmp_path)
    lifecycle.submit_job(factory, job_id, RecordingDispatcher())
    runtime = _runtime(factory, job_id)
    stats = {"items": 25, "documents": {"txt": 25}, "qa": {"pass": 25}, "by_code": {}}
    rows = [(job_id, 0, i, f"k{i}", None, None, "pass", "[]", "{}") for i in range(25)]
    with unit_of_work(factory) as session:
        assert commit_chunk(session, runtime, 0, ChunkRun(stats=stats, result=rows))
    with unit_of_work(factory) as session:
        assert not commit_chunk(session, runtime, 0, ChunkRun(stats=stats, result=rows))
    job = _get(factory, job_id)
    assert (job.chunks_done, job.items_done) == (1, 25)


def test_finalize_is_claimed_once_and_only_when_every_chunk_is_done(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    job_id = _job(factory, tmp_path)
    lifecycle.submit_job(factory, job_id, RecordingDispatcher())
    with unit_of_work(factory) as session:
        assert not claim_finalize(session, job_id, lease_seconds=30)
        session.execute(update(JobChunk).where(JobChunk.job_id == job_id).values(state="done"))
    with unit_of_work(factory) as session:
        assert claim_finalize(session, job_id, lease_seconds=30)
    with unit_of_work(factory) as session:
        assert not claim_finalize(session, job_id, lease_seconds=30)


def test_the_error_threshold_pauses_an_in_process_job(
    factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_csv(inputs / "contacts.csv", contacts(400))
    spec = write_spec(
        inputs,
        outputs=["txt"],
        chunk_size=20,
        variants=HALF_FAILING_VARIANTS,
        error_threshold={"min_failed": 30, "rate": 0.25},
    )
    out = tmp_path / "out"
    try:
        flows.generate(
            factory,
            database_url=database_url,
            workspace_name=None,
            spec_path=spec,
            out_dir=out,
            workers=1,
        )
    except flows.BrandloomError as exc:
        assert exc.code == "job.stopped"
        assert "error threshold" in exc.message
    else:
        raise AssertionError("the job should have paused itself")
    with unit_of_work(factory) as session:
        job = session.scalar(select(Job).where(Job.out_dir == str(out.resolve())))
        assert job is not None and job.state == "paused"
        assert job.items_failed >= 30 and job.items_done < 400
    assert not (out / "report.json").exists()


def _get(factory: sessionmaker[Session], job_id: str) -> Job:
    with unit_of_work(factory) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job
