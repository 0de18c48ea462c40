"""Scrape-time gauges: jobs, queue depth, worker heartbeats; a failing source is skipped."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from brandloom.observability.collector import BrandloomCollector, CollectorSources


def _registry(collector: BrandloomCollector) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(collector)
    return registry


def _get(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_all_families_from_sources() -> None:
    collector = BrandloomCollector(clock=lambda: 1_000.0)
    collector.install(
        CollectorSources(
            jobs_by_state=lambda: {"queued": 2, "running": 1, "done": 0},
            queue_depth=lambda: {"brandloom.chunks": 7},
            workers=lambda: [("w1@host", 990.0), ("w2@host", 900.0), ("w3@host", 940.0)],
        )
    )
    registry = _registry(collector)
    assert _get(registry, "brandloom_jobs", state="queued") == 2
    assert _get(registry, "brandloom_jobs", state="done") == 0
    assert _get(registry, "brandloom_queue_depth", queue="brandloom.chunks") == 7
    assert (
        _get(registry, "brandloom_worker_last_heartbeat_timestamp_seconds", worker="w2@host") == 900
    )
    # Heartbeats within 60 s of "now" (1000): w1 (10 s ago) and w3 (60 s ago, the boundary).
    assert _get(registry, "brandloom_workers_alive") == 2


def test_optional_sources_left_out() -> None:
    collector = BrandloomCollector()
    collector.install(CollectorSources(jobs_by_state=lambda: {"queued": 0}))
    text = generate_latest(_registry(collector)).decode()
    assert "brandloom_jobs" in text
    assert "brandloom_queue_depth" not in text and "brandloom_workers_alive" not in text


def test_failing_source_drops_only_its_family(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> dict[str, int]:
        raise ConnectionError("database is down")

    collector = BrandloomCollector(clock=lambda: 100.0)
    collector.install(
        CollectorSources(
            jobs_by_state=broken, queue_depth=lambda: {"q": 1}, workers=lambda: [("w", 99.0)]
        )
    )
    with caplog.at_level(logging.WARNING, logger="brandloom.observability.collector"):
        text = generate_latest(_registry(collector)).decode()
    assert "brandloom_jobs" not in text
    assert 'brandloom_queue_depth{queue="q"} 1.0' in text
    assert "brandloom_workers_alive 1.0" in text
    assert any("brandloom_jobs" in r.getMessage() for r in caplog.records)


def test_uninstall_keeps_a_newer_applications_sources() -> None:
    collector = BrandloomCollector()
    first = CollectorSources(jobs_by_state=lambda: {"queued": 1})
    second = CollectorSources(jobs_by_state=lambda: {"queued": 2})
    collector.install(first)
    collector.install(second)
    collector.uninstall(first)  # the first app shuts down after the second was created
    registry = _registry(collector)
    assert _get(registry, "brandloom_jobs", state="queued") == 2
    collector.uninstall(second)
    assert _get(registry, "brandloom_jobs", state="queued") is None
