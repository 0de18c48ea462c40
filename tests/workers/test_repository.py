"""Worker heartbeat rows: a beat creates or refreshes a worker's row, old rows fade out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.base import utcnow
from brandloom.db.engine import unit_of_work
from brandloom.workers.repository import HeartbeatRepository


def test_heartbeats_are_created_refreshed_and_forgotten(factory: sessionmaker[Session]) -> None:
    now = utcnow()
    with unit_of_work(factory) as session:
        beats = HeartbeatRepository(session)
        beats.beat("old", hostname="h1", pid=1, concurrency=2, now=now - timedelta(hours=2))
        beats.beat("live", hostname="h2", pid=2, concurrency=4, now=now - timedelta(minutes=1))
    with unit_of_work(factory) as session:
        HeartbeatRepository(session).beat("live", hostname="h2", pid=3, concurrency=4, now=now)
    with unit_of_work(factory) as session:
        seen = dict(HeartbeatRepository(session).last_seen())
    assert seen["live"] == now
    assert seen["old"] == now - timedelta(hours=2)

    with unit_of_work(factory) as session:
        HeartbeatRepository(session).forget_older_than(now - timedelta(hours=1))
    with unit_of_work(factory) as session:
        assert [name for name, _ in HeartbeatRepository(session).last_seen()] == ["live"]

    with unit_of_work(factory) as session:
        HeartbeatRepository(session).forget("live")
    with unit_of_work(factory) as session:
        assert HeartbeatRepository(session).last_seen() == []
