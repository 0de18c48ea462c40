"""record_chunk turns a chunk's stats into the counters and histogram dashboards read."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from brandloom.observability.metrics import record_chunk


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_done_chunk_counts_documents_qa_issues_and_duration() -> None:
    code = "qa.test_done_chunk_code"
    before = {
        "html": _value("brandloom_documents_rendered_total", format="html"),
        "txt": _value("brandloom_documents_rendered_total", format="txt"),
        "pass": _value("brandloom_qa_documents_total", status="pass"),
        "fail": _value("brandloom_qa_documents_total", status="fail"),
        "code": _value("brandloom_qa_issues_total", code=code),
        "done": _value("brandloom_chunks_processed_total", outcome="done"),
        "count": _value("brandloom_chunk_duration_seconds_count"),
        "sum": _value("brandloom_chunk_duration_seconds_sum"),
        "le1": _value("brandloom_chunk_duration_seconds_bucket", le="1.0"),
    }
    record_chunk(
        {
            "contacts": 5,
            "documents": {"html": 4, "txt": 4},
            "qa": {"pass": 3, "warn": 0, "fail": 1},
            "by_code": {code: 2},
            "seconds": 0.75,
        }
    )
    assert _value("brandloom_documents_rendered_total", format="html") - before["html"] == 4
    assert _value("brandloom_documents_rendered_total", format="txt") - before["txt"] == 4
    assert _value("brandloom_qa_documents_total", status="pass") - before["pass"] == 3
    assert _value("brandloom_qa_documents_total", status="fail") - before["fail"] == 1
    assert _value("brandloom_qa_issues_total", code=code) - before["code"] == 2
    assert _value("brandloom_chunks_processed_total", outcome="done") - before["done"] == 1
    assert _value("brandloom_chunk_duration_seconds_count") - before["count"] == 1
    assert _value("brandloom_chunk_duration_seconds_sum") - before["sum"] == pytest.approx(0.75)
    assert _value("brandloom_chunk_duration_seconds_bucket", le="1.0") - before["le1"] == 1


def test_missing_keys_are_tolerated() -> None:
    before = _value("brandloom_chunks_processed_total", outcome="done")
    count = _value("brandloom_chunk_duration_seconds_count")
    record_chunk({})
    assert _value("brandloom_chunks_processed_total", outcome="done") - before == 1
    assert _value("brandloom_chunk_duration_seconds_count") == count  # no duration, no sample


@pytest.mark.parametrize("outcome", ["skipped", "failed"])
def test_skipped_and_failed_chunks_count_only_the_outcome(outcome: str) -> None:
    before = _value("brandloom_chunks_processed_total", outcome=outcome)
    html = _value("brandloom_documents_rendered_total", format="html")
    count = _value("brandloom_chunk_duration_seconds_count")
    record_chunk({"documents": {"html": 9}, "seconds": 1.0}, outcome=outcome)
    assert _value("brandloom_chunks_processed_total", outcome=outcome) - before == 1
    assert _value("brandloom_documents_rendered_total", format="html") == html
    assert _value("brandloom_chunk_duration_seconds_count") == count


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="outcome"):
        record_chunk({}, outcome="exploded")


def test_outcome_and_qa_series_exist_before_any_event() -> None:
    for outcome in ("done", "skipped", "failed"):
        value = REGISTRY.get_sample_value("brandloom_chunks_processed_total", {"outcome": outcome})
        assert value is not None
    for status in ("pass", "warn", "fail"):
        value = REGISTRY.get_sample_value("brandloom_qa_documents_total", {"status": status})
        assert value is not None


def test_cache_counter_is_exported_under_its_contract_name() -> None:
    from brandloom.observability.metrics import CACHE_REQUESTS

    before = _value("brandloom_cache_requests_total", cache="test", result="hit")
    CACHE_REQUESTS.labels(cache="test", result="hit").inc()
    assert _value("brandloom_cache_requests_total", cache="test", result="hit") - before == 1
