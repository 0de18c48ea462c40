"""The error threshold: a job pauses itself once too many of its items failed.

A template that breaks for part of the audience (say, one variant) then stops the job early
instead of burning through every contact; fix it and resume. Checked in each chunk's commit
transaction, so every runner stops taking the job's chunks at once.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from brandloom.db.base import utcnow
from brandloom.db.engine import after_commit
from brandloom.jobs.repository import failure_counts, pause_if_running
from brandloom.jobs.states import JobState, JobStateChanged, check_transition, emit


class ErrorThreshold(BaseModel):
    """Pause a job once ``min_failed`` items failed and they are ``rate`` of those done.

    ``null`` in a spec turns this off.
    """

    model_config = ConfigDict(extra="forbid")

    min_failed: int = Field(default=100, ge=1)
    rate: float = Field(default=0.1, gt=0, le=1)


def apply_error_threshold(
    session: Session,
    job_id: str,
    threshold: ErrorThreshold,
    stats: dict[str, Any],
    *,
    noun: str,
) -> bool:
    """Pause the running job if its failures crossed the threshold; True when it paused."""
    failed, done, workspace_id, kind = failure_counts(session, job_id)
    if failed < threshold.min_failed or failed < threshold.rate * done:
        return False
    codes = Counter(stats.get("by_code", {})).most_common(3)
    top = ", ".join(f"{code} ({n})" for code, n in codes)
    error = (
        f"paused by the error threshold: {failed:,} of {done:,} {noun} "
        f"({100 * failed / max(done, 1):.1f}%; threshold {threshold.min_failed:,} and "
        f"{100 * threshold.rate:g}%); most frequent in the last chunk: {top or 'n/a'}. "
        "Fix the template or the QA settings, then resume."
    )
    check_transition(job_id, JobState.RUNNING, JobState.PAUSED)
    # Conditional: concurrent workers race here; only a job still running is paused.
    if not pause_if_running(session, job_id, error=error):
        return False
    after_commit(
        session,
        lambda: emit(
            JobStateChanged(
                job_id=job_id,
                workspace_id=workspace_id,
                kind=kind,
                old=JobState.RUNNING,
                new=JobState.PAUSED,
                reason="error threshold",
                at=utcnow(),
            )
        ),
    )
    return True
