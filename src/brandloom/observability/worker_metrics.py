"""Metrics of Celery workers: one HTTP endpoint in the main process for all its children.

A prefork worker renders chunks in child processes, each with its own memory. With
``PROMETHEUS_MULTIPROC_DIR`` set in the environment before Python starts, prometheus-client
writes every process's values to files in that directory, and the main process serves their
sum. The directory must be empty when the worker starts (stale files would add old counts).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiproc_dir() -> str | None:
    """The multiprocess metrics directory, or None when this process keeps metrics in memory."""
    return os.environ.get(MULTIPROC_ENV) or None


def worker_registry() -> CollectorRegistry:
    """What a worker serves: the sum over every process's files, or this process's registry."""
    path = multiproc_dir()
    if path is None:
        return REGISTRY
    if not os.path.isdir(path):
        raise RuntimeError(f"{MULTIPROC_ENV}={path} is not a directory; create it first")
    registry = CollectorRegistry()
    # The collector registers itself on the registry it is given.
    add_collector: Callable[..., object] = multiprocess.MultiProcessCollector
    add_collector(registry, path=path)
    return registry


def serve_worker_metrics(port: int, addr: str = "0.0.0.0") -> None:  # noqa: S104
    """Serve ``/metrics`` on ``addr:port`` from a background thread of the calling process.

    Call it once, in the worker's main process before it forks its children.
    """
    registry = worker_registry()
    start_http_server(port, addr=addr, registry=registry)
    log.info(
        "worker metrics on %s:%d (%s)",
        addr,
        port,
        "multiprocess" if registry is not REGISTRY else "single process",
    )


def child_exited(pid: int) -> None:
    """Bookkeeping when a worker child exits: drop its live-gauge files (multiprocess mode)."""
    path = multiproc_dir()
    if path is not None:
        mark_dead: Callable[[int, str], None] = multiprocess.mark_process_dead
        mark_dead(pid, path)
