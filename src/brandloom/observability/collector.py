"""Gauges computed when Prometheus scrapes: jobs by state, queue depths, worker heartbeats.

The collector knows nothing about databases or brokers: the application hands it callables.
One collector lives on the default registry per process; an application installs its sources
when it is created and removes them when it shuts down, so creating many applications in one
process (tests do) never registers duplicate metric families.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY

log = logging.getLogger(__name__)

# A worker whose last heartbeat is older than this is not counted as alive.
WORKER_ALIVE_SECONDS = 60.0

JobsByState = Callable[[], Mapping[str, int]]
QueueDepth = Callable[[], Mapping[str, int]]
Workers = Callable[[], Sequence[tuple[str, float]]]


@dataclass(frozen=True, slots=True)
class CollectorSources:
    """Where the scrape-time gauges come from; ``None`` leaves that family out."""

    jobs_by_state: JobsByState
    queue_depth: QueueDepth | None = None
    workers: Workers | None = None


class BrandloomCollector:
    """A Prometheus collector over swappable sources; a failing source only drops its family."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._sources: CollectorSources | None = None

    @property
    def sources(self) -> CollectorSources | None:
        return self._sources

    def install(self, sources: CollectorSources) -> None:
        """Collect from ``sources`` from now on (the most recently created application wins)."""
        with self._lock:
            self._sources = sources

    def uninstall(self, sources: CollectorSources) -> None:
        """Stop collecting from ``sources``, unless another application replaced them already."""
        with self._lock:
            if self._sources is sources:
                self._sources = None

    def describe(self) -> Iterable[Metric]:
        # Nothing to describe up front: registering must not call the sources.
        return ()

    def collect(self) -> Iterator[Metric]:
        sources = self._sources
        if sources is None:
            return
        yield from self._guarded("brandloom_jobs", lambda: self._jobs(sources.jobs_by_state))
        queue_depth = sources.queue_depth
        if queue_depth is not None:
            yield from self._guarded("brandloom_queue_depth", lambda: self._queues(queue_depth))
        workers = sources.workers
        if workers is not None:
            yield from self._guarded("brandloom_workers", lambda: self._workers(workers))

    @staticmethod
    def _guarded(name: str, build: Callable[[], list[Metric]]) -> list[Metric]:
        # A scrape must always succeed: an unreachable database or broker costs its families,
        # not the whole /metrics response.
        try:
            return build()
        except Exception:
            log.warning("metrics source for %s failed; family skipped", name, exc_info=True)
            return []

    @staticmethod
    def _jobs(source: JobsByState) -> list[Metric]:
        family = GaugeMetricFamily(
            "brandloom_jobs", "Jobs in the database, by state.", labels=["state"]
        )
        for state, count in sorted(source().items()):
            family.add_metric([state], float(count))
        return [family]

    @staticmethod
    def _queues(source: QueueDepth) -> list[Metric]:
        family = GaugeMetricFamily(
            "brandloom_queue_depth", "Task messages waiting in a broker queue.", labels=["queue"]
        )
        for queue, depth in sorted(source().items()):
            family.add_metric([queue], float(depth))
        return [family]

    def _workers(self, source: Workers) -> list[Metric]:
        beats = list(source())
        now = self._clock()
        last = GaugeMetricFamily(
            "brandloom_worker_last_heartbeat_timestamp_seconds",
            "Unix time of the last heartbeat of each worker.",
            labels=["worker"],
        )
        for worker, at in sorted(beats):
            last.add_metric([worker], float(at))
        alive = GaugeMetricFamily(
            "brandloom_workers_alive",
            f"Workers with a heartbeat in the last {WORKER_ALIVE_SECONDS:.0f} seconds.",
            value=float(sum(1 for _, at in beats if now - at <= WORKER_ALIVE_SECONDS)),
        )
        return [last, alive]


_collector: BrandloomCollector | None = None
_collector_lock = threading.Lock()


def shared_collector() -> BrandloomCollector:
    """The process's one collector, registered on the default registry on first use."""
    global _collector
    with _collector_lock:
        if _collector is None:
            collector = BrandloomCollector()
            REGISTRY.register(collector)
            _collector = collector
        return _collector
