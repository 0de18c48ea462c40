"""The FastAPI application: REST API v1, health, OpenAPI at /docs and /openapi.json."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import select, text

from brandloom import __version__
from brandloom.api.errors import install_error_handlers
from brandloom.api.executor import JobExecutor
from brandloom.api.state import AppState
from brandloom.audiences.router import router as audiences_router
from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.db.migrate import upgrade
from brandloom.jobs.models import Job
from brandloom.jobs.router import router as jobs_router
from brandloom.jobs.service import purge_expired_outputs
from brandloom.settings import Settings, get_settings
from brandloom.templates.router import router as templates_router


def create_app(settings: Settings | None = None, *, workers: int | None = None) -> FastAPI:
    settings = settings or get_settings()
    url = settings.resolved_database_url()
    engine = make_engine(
        url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
    )
    upgrade(engine)
    factory = make_session_factory(engine)
    executor = JobExecutor(factory, url, workers=workers or os.cpu_count() or 1)
    state = AppState(settings=settings, database_url=url, factory=factory, executor=executor)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        with unit_of_work(factory) as session:
            # Jobs that were running when the process stopped wait for an explicit resume.
            for job in session.scalars(select(Job).where(Job.state == "running")):
                job.state = "paused"
            purge_expired_outputs(
                session, jobs_dir=settings.jobs_dir, retention_days=settings.retention_days
            )
        yield
        executor.shutdown()
        engine.dispose()

    app = FastAPI(
        title="brandloom",
        version=__version__,
        description="Bulk personalized, QA-checked marketing documents.",
        lifespan=lifespan,
    )
    app.state.brandloom = state
    install_error_handlers(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    def readyz() -> dict[str, str]:
        """The database answers."""
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "database": "ok"}

    app.include_router(audiences_router)
    app.include_router(templates_router)
    app.include_router(jobs_router)
    return app
