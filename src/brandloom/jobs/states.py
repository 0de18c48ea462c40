"""Job and chunk states, the one table of allowed job transitions, and job domain events.

Every change of a job's state goes through :func:`transition` (or, for the conditional UPDATEs
that concurrent workers race on, through :func:`check_transition` plus :func:`emit`), so the
table below is the whole truth about a job's life:

    queued  -> running | cancelled
    running -> paused | done | failed | cancelled
    paused  -> running (resume) | cancelled
    failed  -> running (resume retries the failed chunks)

Asking for the state a job is already in is a no-op (pausing a paused job succeeds and changes
nothing); anything else is refused with ``job.invalid_transition`` (409 in the API).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.orm import object_session

from brandloom.db.base import utcnow
from brandloom.db.engine import after_commit
from brandloom.errors import ConflictError

if TYPE_CHECKING:
    from brandloom.jobs.models import Job

log = logging.getLogger("brandloom.jobs.events")


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ChunkState(StrEnum):
    """``pending`` -> ``running`` (claimed under a lease) -> ``done``, or ``failed`` after too
    many attempts; a running chunk whose lease expired is claimable again."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


JOB_STATES: tuple[str, ...] = tuple(s.value for s in JobState)
# A job in one of these states renders nothing until someone acts on it.
STOPPED_STATES: tuple[JobState, ...] = (
    JobState.DONE,
    JobState.FAILED,
    JobState.PAUSED,
    JobState.CANCELLED,
)
FINISHED_STATES: tuple[JobState, ...] = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)

TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.CANCELLED}),
    JobState.RUNNING: frozenset(
        {JobState.PAUSED, JobState.DONE, JobState.FAILED, JobState.CANCELLED}
    ),
    JobState.PAUSED: frozenset({JobState.RUNNING, JobState.CANCELLED}),
    JobState.FAILED: frozenset({JobState.RUNNING}),
    JobState.DONE: frozenset(),
    JobState.CANCELLED: frozenset(),
}


class InvalidTransition(ConflictError):
    code = "job.invalid_transition"


@dataclass(frozen=True, slots=True)
class JobStateChanged:
    """A job moved from one state to another (logged now; audit and webhooks subscribe later)."""

    job_id: str
    workspace_id: str
    kind: str
    old: JobState
    new: JobState
    reason: str | None
    at: datetime


Subscriber = Callable[[JobStateChanged], None]
_subscribers: list[Subscriber] = []


def subscribe(fn: Subscriber) -> Callable[[], None]:
    """Call ``fn`` for every job state change in this process; returns an unsubscribe function."""
    _subscribers.append(fn)
    return lambda: _subscribers.remove(fn)


def emit(event: JobStateChanged) -> None:
    log.info(
        "job %s: %s -> %s%s",
        event.job_id,
        event.old,
        event.new,
        f" ({event.reason})" if event.reason else "",
        extra={"job_id": event.job_id, "workspace_id": event.workspace_id},
    )
    for fn in list(_subscribers):
        try:
            fn(event)
        except Exception:  # a subscriber never breaks the state change it observes
            log.exception("job event subscriber failed")


def check_transition(job_id: str, old: str, new: JobState) -> bool:
    """True when ``old -> new`` is a change the table allows, False when it is no change at all.

    Raises :class:`InvalidTransition` for a change the table refuses.
    """
    current = JobState(old)
    if current == new:
        return False
    if new not in TRANSITIONS[current]:
        raise InvalidTransition(f"job {job_id} is {current} and cannot become {new}")
    return True


def transition(job: Job, to: JobState, *, reason: str | None = None) -> bool:
    """Move ``job`` to ``to`` as the table allows; returns False when it already was there.

    The caller's unit of work persists the change; the event is emitted once it commits.
    """
    old = JobState(job.state)
    if not check_transition(job.id, old, to):
        return False
    job.state = to
    if to in FINISHED_STATES:
        job.finished_at = utcnow()
    elif to == JobState.RUNNING:
        job.finished_at = None
    event = JobStateChanged(
        job_id=job.id,
        workspace_id=job.workspace_id,
        kind=job.kind,
        old=old,
        new=to,
        reason=reason,
        at=utcnow(),
    )
    session = object_session(job)
    if session is None:
        emit(event)
    else:
        after_commit(session, lambda: emit(event))
    return True
