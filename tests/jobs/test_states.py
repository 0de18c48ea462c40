"""The job state machine: one transition table, no-op repeats, refusals, events after commit."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.jobs import lifecycle
from brandloom.jobs.models import Job
from brandloom.jobs.states import (
    TRANSITIONS,
    InvalidTransition,
    JobState,
    JobStateChanged,
    subscribe,
    transition,
)
from brandloom.workspaces.service import create_workspace

ALLOWED = {
    ("queued", "running"),
    ("queued", "cancelled"),
    ("running", "paused"),
    ("running", "done"),
    ("running", "failed"),
    ("running", "cancelled"),
    ("paused", "running"),
    ("paused", "cancelled"),
    ("failed", "running"),
}


def _job(state: str) -> Job:
    return Job(id="job_x", workspace_id="ws_x", kind="documents.render", name="x", state=state)


def test_the_table_is_the_one_the_product_documents() -> None:
    table = {(old.value, new.value) for old, news in TRANSITIONS.items() for new in news}
    assert table == ALLOWED


@pytest.mark.parametrize(("old", "new"), list(itertools.product(JobState, JobState)))
def test_every_pair_is_allowed_refused_or_a_no_op(old: JobState, new: JobState) -> None:
    job = _job(old)
    if old == new:
        assert transition(job, new) is False
        assert job.state == old
    elif (old.value, new.value) in ALLOWED:
        assert transition(job, new) is True
        assert job.state == new
    else:
        with pytest.raises(InvalidTransition) as info:
            transition(job, new)
        assert info.value.code == "job.invalid_transition" and info.value.status == 409
        assert job.state == old


def test_finished_states_stamp_finished_at_and_a_resume_clears_it() -> None:
    job = _job("running")
    transition(job, JobState.FAILED)
    assert job.finished_at is not None
    transition(job, JobState.RUNNING)
    assert job.finished_at is None


@pytest.fixture
def factory(database_url: str) -> sessionmaker[Session]:
    return make_session_factory(make_engine(database_url))


def _stored_job(factory: sessionmaker[Session], state: str) -> str:
    with unit_of_work(factory) as session:
        ws = create_workspace(session, name="states").workspace
        session.add(
            Job(
                id="job_s",
                workspace_id=ws.id,
                kind="documents.render",
                name="s",
                state=state,
                params={},
            )
        )
    return "job_s"


def test_events_are_emitted_after_commit_and_dropped_on_rollback(
    factory: sessionmaker[Session],
) -> None:
    job_id = _stored_job(factory, "running")
    seen: list[JobStateChanged] = []
    unsubscribe = subscribe(seen.append)
    try:
        with pytest.raises(RuntimeError), unit_of_work(factory) as session:
            job = session.get(Job, job_id)
            assert job is not None
            lifecycle.pause_job(session, job)
            assert seen == []  # not before the commit
            raise RuntimeError("roll back")
        assert seen == []
        with unit_of_work(factory) as session:
            job = session.get(Job, job_id)
            assert job is not None
            lifecycle.pause_job(session, job)
            assert seen == []
        assert [(e.job_id, e.old, e.new) for e in seen] == [
            (job_id, JobState.RUNNING, JobState.PAUSED)
        ]
        with unit_of_work(factory) as session:  # pausing a paused job: no change, no event
            job = session.get(Job, job_id)
            assert job is not None
            lifecycle.pause_job(session, job)
        assert len(seen) == 1
    finally:
        unsubscribe()
