"""Prometheus metrics of the API and the workers, on prometheus-client's default registry.

The metric names and labels are a contract: dashboards and alerts are written against them.
In a worker started with ``PROMETHEUS_MULTIPROC_DIR`` set, every value here is written to a
memory-mapped file in that directory and summed over processes by ``worker_metrics``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import Counter, Histogram

# A fast API: most requests take a few milliseconds, uploads and archives take seconds.
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A chunk renders hundreds to thousands of documents: from tens of milliseconds to minutes.
CHUNK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

CHUNK_OUTCOMES = ("done", "skipped", "failed")
QA_STATUSES = ("pass", "warn", "fail")
CACHE_RESULTS = ("hit", "miss", "error")

HTTP_REQUEST_DURATION = Histogram(
    "brandloom_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status code.",
    ["method", "route", "status"],
    buckets=HTTP_BUCKETS,
)
DOCUMENTS_RENDERED = Counter(
    "brandloom_documents_rendered_total",
    "Documents rendered and written, by output format.",
    ["format"],
)
QA_DOCUMENTS = Counter(
    "brandloom_qa_documents_total",
    "Contacts checked by QA, by QA status (pass, warn, fail).",
    ["status"],
)
QA_ISSUES = Counter(
    "brandloom_qa_issues_total",
    "QA issues found, by issue code.",
    ["code"],
)
CHUNKS_PROCESSED = Counter(
    "brandloom_chunks_processed_total",
    "Job chunks handled by a worker, by outcome (done, skipped, failed).",
    ["outcome"],
)
CHUNK_DURATION = Histogram(
    "brandloom_chunk_duration_seconds",
    "Time to render, check and write one job chunk.",
    buckets=CHUNK_BUCKETS,
)
CACHE_REQUESTS = Counter(
    "brandloom_cache_requests_total",
    "Cache lookups, by cache name and result (hit, miss, error).",
    ["cache", "result"],
)

# Series with a known, small label set exist from the start, so rates and alerts see a zero
# instead of a missing series before the first event.
for _outcome in CHUNK_OUTCOMES:
    CHUNKS_PROCESSED.labels(outcome=_outcome)
for _status in QA_STATUSES:
    QA_DOCUMENTS.labels(status=_status)


def record_chunk(stats: Mapping[str, Any], *, outcome: str = "done") -> None:
    """Count one chunk; a ``done`` chunk also adds its documents, QA results and duration.

    ``stats`` is what rendering a chunk returns: ``{"contacts", "documents": {format: n},
    "qa": {"pass", "warn", "fail"}, "by_code": {code: n}, "seconds"}``; any key may be missing.
    Call it once per chunk, in the process that rendered it.
    """
    if outcome not in CHUNK_OUTCOMES:
        raise ValueError(f"outcome: expected one of {', '.join(CHUNK_OUTCOMES)}, got {outcome!r}")
    CHUNKS_PROCESSED.labels(outcome=outcome).inc()
    if outcome != "done":
        return
    for fmt, count in (stats.get("documents") or {}).items():
        if count:
            DOCUMENTS_RENDERED.labels(format=str(fmt)).inc(count)
    for status, count in (stats.get("qa") or {}).items():
        if count:
            QA_DOCUMENTS.labels(status=str(status)).inc(count)
    for code, count in (stats.get("by_code") or {}).items():
        if count:
            QA_ISSUES.labels(code=str(code)).inc(count)
    seconds = stats.get("seconds")
    if isinstance(seconds, int | float) and seconds >= 0:
        CHUNK_DURATION.observe(float(seconds))
