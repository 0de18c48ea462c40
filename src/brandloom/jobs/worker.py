"""What a worker process runs: one chunk, idempotently. Used by every runner."""

from __future__ import annotations

import time
from typing import Any

import orjson
from sqlalchemy.orm import Session, sessionmaker

from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.jobs.models import Job
from brandloom.jobs.service import JobRuntime, build_runtime, commit_chunk, load_chunk
from brandloom.templates.models import Template

_factory: sessionmaker[Session] | None = None
_runtimes: dict[str, JobRuntime] = {}


def init_worker(database_url: str) -> None:
    """Process initializer: one engine per process, never one inherited from a parent."""
    global _factory
    _factory = make_session_factory(make_engine(database_url, pool_size=1, max_overflow=1))
    _runtimes.clear()


def _runtime(factory: sessionmaker[Session], job_id: str) -> JobRuntime:
    runtime = _runtimes.get(job_id)
    if runtime is None:
        with unit_of_work(factory) as session:
            job = session.get(Job, job_id)
            if job is None:
                raise LookupError(f"job {job_id} not found")
            template = session.get(Template, job.template_id)
            if template is None:
                raise LookupError(f"template {job.template_id} not found")
            runtime = build_runtime(job, template)
        _runtimes.clear()  # one job at a time per process keeps memory flat
        _runtimes[job_id] = runtime
    return runtime


def process_chunk(job_id: str, index: int) -> dict[str, Any] | None:
    """Render, write and checkpoint one chunk; returns its stats, or None if it was done already."""
    if _factory is None:
        raise RuntimeError("init_worker() was not called in this process")
    factory = _factory
    runtime = _runtime(factory, job_id)
    with unit_of_work(factory) as session:
        contacts = load_chunk(session, runtime, index)
    if contacts is None:
        return None
    started = time.perf_counter()
    result = runtime.renderer.render_chunk(contacts)
    runtime.sink.write_chunk(index, result.documents)
    dumps = orjson.dumps
    outcomes = [
        (
            job_id,
            index,
            o.row,
            o.key,
            o.variant,
            o.qa_status,
            dumps(o.qa_issues).decode("utf-8"),
            dumps(o.files).decode("utf-8"),
        )
        for o in result.outcomes
    ]
    stats = result.stats()
    stats["seconds"] = round(time.perf_counter() - started, 4)
    with unit_of_work(factory) as session:
        commit_chunk(session, runtime, index, outcomes, stats)
    return stats
