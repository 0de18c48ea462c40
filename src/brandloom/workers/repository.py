"""SQL for worker heartbeats: operator data about processes, not tenant data (no workspace)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from brandloom.workers.models import WorkerHeartbeat


class HeartbeatRepository:
    """The ``worker_heartbeat`` rows: one per live worker, refreshed by its main process."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def beat(self, name: str, *, hostname: str, pid: int, concurrency: int, now: datetime) -> None:
        """Record that worker ``name`` is alive at ``now`` (its row is created on first beat)."""
        row = self.session.get(WorkerHeartbeat, name)
        if row is None:
            self.session.add(
                WorkerHeartbeat(
                    name=name,
                    hostname=hostname,
                    pid=pid,
                    concurrency=concurrency,
                    started_at=now,
                    last_seen=now,
                )
            )
        else:
            row.last_seen = now
            row.pid = pid

    def forget_older_than(self, cutoff: datetime) -> None:
        """Drop the rows of workers not seen since ``cutoff`` (they died without a goodbye)."""
        self.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.last_seen < cutoff))

    def forget(self, name: str) -> None:
        """Drop worker ``name``'s row (a clean shutdown)."""
        self.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name == name))

    def last_seen(self) -> list[tuple[str, datetime]]:
        """(worker name, last heartbeat) of every registered worker."""
        rows = self.session.execute(select(WorkerHeartbeat.name, WorkerHeartbeat.last_seen))
        return [(name, seen) for name, seen in rows]
