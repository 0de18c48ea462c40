"""Workers' metrics in multiprocess mode: values recorded by pool processes, summed on scrape."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from brandloom.observability.worker_metrics import child_exited, worker_registry

RECORD = textwrap.dedent(
    """
    from brandloom.observability.metrics import record_chunk

    record_chunk(
        {
            "documents": {"html": 3, "pdf": 1},
            "qa": {"pass": 2, "warn": 1},
            "by_code": {"qa.link_http": 1},
            "seconds": 0.2,
        }
    )
    record_chunk({}, outcome="skipped")
    """
)


def _python(code: str, multiproc_dir: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(code: str, multiproc_dir: Path) -> str:
    proc = _python(code, multiproc_dir)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out


def test_values_from_two_processes_are_summed(tmp_path: Path) -> None:
    _run(RECORD, tmp_path)
    _run(RECORD, tmp_path)
    assert any(p.name.startswith("counter_") for p in tmp_path.iterdir())
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(tmp_path))

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("brandloom_documents_rendered_total", format="html") == 6
    assert value("brandloom_documents_rendered_total", format="pdf") == 2
    assert value("brandloom_qa_documents_total", status="warn") == 2
    assert value("brandloom_qa_issues_total", code="qa.link_http") == 2
    assert value("brandloom_chunks_processed_total", outcome="done") == 2
    assert value("brandloom_chunks_processed_total", outcome="skipped") == 2
    assert value("brandloom_chunk_duration_seconds_count") == 2


def test_worker_registry_reads_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(RECORD, tmp_path)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    registry = worker_registry()
    assert registry is not REGISTRY
    value = registry.get_sample_value("brandloom_documents_rendered_total", {"format": "html"})
    assert value == 3


def test_worker_registry_without_multiprocess_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    assert worker_registry() is REGISTRY
    child_exited(12345)  # nothing to clean up outside multiprocess mode


def test_missing_directory_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "nope"))
    with pytest.raises(RuntimeError, match="PROMETHEUS_MULTIPROC_DIR"):
        worker_registry()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_served_over_http(tmp_path: Path) -> None:
    """The worker's main process serves what a pool child recorded."""
    _run(RECORD, tmp_path)  # a "child" that has already exited
    port = _free_port()
    server = _python(
        textwrap.dedent(
            """
            import sys
            from brandloom.observability.worker_metrics import serve_worker_metrics

            serve_worker_metrics(int(sys.argv[1]), addr="127.0.0.1")
            print("ready", flush=True)
            sys.stdin.read()  # serve until the test closes stdin
            """
        ),
        tmp_path,
        str(port),
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "ready"
        # "ready" is printed once the server socket listens.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
            body = resp.read().decode()
        assert 'brandloom_documents_rendered_total{format="html"} 3.0' in body
        assert 'brandloom_chunks_processed_total{outcome="skipped"} 1.0' in body
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)


def test_child_exited_removes_live_gauge_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _run(
        textwrap.dedent(
            """
            import os
            from prometheus_client import Gauge

            Gauge("brandloom_test_live", "test", multiprocess_mode="livesum").set(1)
            print(os.getpid())
            """
        ),
        tmp_path,
    )
    pid = int(out.strip())
    live = tmp_path / f"gauge_livesum_{pid}.db"
    assert live.exists()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    child_exited(pid)
    assert not live.exists()
