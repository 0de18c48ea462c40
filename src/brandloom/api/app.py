"""The FastAPI application: REST API v1, health, metrics, OpenAPI at /docs and /openapi.json.

The Swagger UI at ``/docs`` is served from files shipped in the package (``api/static``, see
``scripts/vendor_swagger_ui.py``), so the page works on a machine without internet access.
"""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy.orm import Session, sessionmaker

from brandloom import __version__
from brandloom.api.errors import install_error_handlers
from brandloom.api.executor import DistributedExecutor, Executor, JobExecutor
from brandloom.audiences.router import router as audiences_router
from brandloom.brands.router import router as brands_router
from brandloom.cache import open_cache
from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.db.migrate import upgrade
from brandloom.db.reads import QuickReads
from brandloom.documents.router import router as documents_router
from brandloom.documents.router import templates_router as template_previews_router
from brandloom.generation.router import router as generation_router
from brandloom.insights.router import router as analyze_router
from brandloom.jobs.models import JOB_STATES
from brandloom.jobs.repository import count_jobs_by_state
from brandloom.jobs.router import router as jobs_router
from brandloom.jobs.service import purge_expired_outputs, recover_interrupted_jobs
from brandloom.observability.collector import CollectorSources, shared_collector
from brandloom.observability.health import (
    CheckResult,
    check_broker,
    check_cache,
    check_database,
    readiness_report,
    run_checks,
)
from brandloom.observability.logging import configure_logging, is_configured
from brandloom.observability.middleware import ObservabilityMiddleware
from brandloom.prediction.router import router as prediction_router
from brandloom.settings import Settings, get_settings
from brandloom.templates.router import router as templates_router
from brandloom.web.state import AppState
from brandloom.wiring import setup as setup_kinds
from brandloom.workers.repository import HeartbeatRepository
from brandloom.workspaces.router import router as keys_router
from brandloom.workspaces.service import KeyAuthenticator

# Without these the API cannot serve requests or hand jobs to workers; the cache is optional.
REQUIRED_CHECKS = frozenset({"database", "broker"})

SWAGGER_UI_DIR = Path(__file__).parent / "static" / "swagger-ui"
DOCS_ASSETS = "/docs/assets"


def install_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) with its script, stylesheet and icon served by this app.

    FastAPI's own ``/docs`` loads them from a CDN and shows a blank page offline. ReDoc is not
    offered: it would be a second bundle to ship for the same OpenAPI document.
    """
    app.mount(DOCS_ASSETS, StaticFiles(directory=SWAGGER_UI_DIR), name="docs-assets")
    oauth2_redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=oauth2_redirect,
            # Swagger UI would otherwise show a badge fetched from validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def jobs_by_state_counter(factory: sessionmaker[Session]) -> Callable[[], dict[str, int]]:
    """Counts of jobs in every state (all workspaces), zeros included: a scrape-time gauge."""

    def count() -> dict[str, int]:
        counts = dict.fromkeys(JOB_STATES, 0)
        with factory() as session:
            counts.update(count_jobs_by_state(session))
        return counts

    return count


def worker_heartbeats(factory: sessionmaker[Session]) -> Callable[[], list[tuple[str, float]]]:
    """(worker name, last heartbeat as a Unix time) for every registered worker."""

    def read() -> list[tuple[str, float]]:
        with factory() as session:
            return [
                (name, seen.timestamp()) for name, seen in HeartbeatRepository(session).last_seen()
            ]

    return read


def create_app(
    settings: Settings | None = None, *, workers: int | None = None, recover: bool = True
) -> FastAPI:
    """The API application. ``recover=False`` when the caller already ran the start-up recovery
    of interrupted jobs (``brandloom serve`` does, once, for all its server processes)."""
    settings = settings or get_settings()
    setup_kinds()
    if not is_configured():
        # The CLI configures logging before it builds the app; embedded uses get the defaults.
        configure_logging(fmt=settings.log_format, level=settings.log_level)
    url = settings.resolved_database_url()
    engine = make_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pre_ping=settings.db_pool_pre_ping,
    )
    upgrade(engine)
    factory = make_session_factory(engine)
    executor: Executor
    queue_depth: Callable[[], dict[str, int]] | None = None
    if settings.broker_url:
        from brandloom.workers.dispatch import CeleryDispatcher
        from brandloom.workers.queue import queue_depth as broker_queue_depth

        executor = DistributedExecutor(factory, CeleryDispatcher(settings))
        broker_url, queue = settings.broker_url, settings.broker_queue

        def queue_depth() -> dict[str, int]:
            depth = broker_queue_depth(broker_url, queue)
            return {} if depth is None else {queue: depth}

    else:
        workers = workers or settings.job_workers or os.cpu_count() or 1
        executor = JobExecutor(factory, url, workers=workers)
    cache = open_cache(settings)
    state = AppState(
        settings=settings,
        database_url=url,
        factory=factory,
        reads=QuickReads(
            engine,
            max_connections=settings.db_pool_size + settings.db_max_overflow,
            pre_ping=settings.db_pool_pre_ping,
        ),
        executor=executor,
        cache=cache,
        authenticator=KeyAuthenticator(cache, ttl=settings.cache_ttl_seconds),
    )
    sources = CollectorSources(
        jobs_by_state=jobs_by_state_counter(factory),
        queue_depth=queue_depth,
        workers=worker_heartbeats(factory),
    )
    collector = shared_collector()
    collector.install(sources)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Few threads for sync endpoints: each holds the GIL for short bursts, and dozens of
        # them contending make tail latency worse without adding throughput.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        with unit_of_work(factory) as session:
            if recover and not executor.distributed:
                # Distributed jobs keep running on their workers.
                recover_interrupted_jobs(session)
            purge_expired_outputs(
                session,
                jobs_dir=settings.jobs_dir,
                retention_days=settings.retention_days,
                settings=settings,
            )
        # Everything loaded at start-up lives as long as the process: keep it out of the
        # garbage collector's full passes, which otherwise stall requests for a long moment.
        gc.collect()
        gc.freeze()
        yield
        collector.uninstall(sources)
        executor.shutdown()
        # Asyncio connections belong to this event loop: close them before it ends.
        await state.reads.aclose()
        aclose_cache = getattr(cache, "aclose", None)
        if callable(aclose_cache):
            await aclose_cache()
        close_cache = getattr(cache, "close", None)
        if callable(close_cache):
            close_cache()
        engine.dispose()

    app = FastAPI(
        title="brandloom",
        version=__version__,
        description="Bulk personalized, QA-checked marketing documents.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    app.state.brandloom = state
    install_error_handlers(app)
    app.add_middleware(ObservabilityMiddleware, access_log=settings.access_log)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        responses={503: {"description": "The database or the broker is unavailable."}},
    )
    async def readyz() -> JSONResponse:
        """The database, the task broker (if configured) and the cache answer.

        200 ``ok``; 200 ``degraded`` when only the shared cache is down (slower, still
        correct); 503 ``unavailable`` when the database or the broker is down.
        """
        checks: dict[str, Callable[[], CheckResult]] = {
            "database": lambda: check_database(engine),
            "broker": lambda: check_broker(settings.broker_url),
            "cache": lambda: check_cache(state.cache),
        }
        code, body = readiness_report(await run_checks(checks), required=REQUIRED_CHECKS)
        return JSONResponse(body, status_code=code)

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    def metrics() -> Response:
        """Prometheus metrics of this process. Unauthenticated: keep it off public networks."""
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    app.include_router(audiences_router)
    app.include_router(templates_router)
    app.include_router(template_previews_router)
    app.include_router(jobs_router)
    app.include_router(documents_router)
    app.include_router(keys_router)
    app.include_router(analyze_router)
    app.include_router(brands_router)
    app.include_router(generation_router)
    app.include_router(prediction_router)
    return app


def app_from_settings() -> FastAPI:
    """Application factory for ``brandloom serve`` (one app per server process); the command
    has recovered interrupted jobs before starting them."""
    return create_app(get_settings(), recover=False)
