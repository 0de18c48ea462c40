"""The API stays responsive while an audience is uploaded and imported.

Run through ``benchmarks/run.py --only upload``. Starts ``brandloom serve`` (one server process,
so the import and the probes share it: the worst case) on embedded SQLite, prepares a finished
job, then uploads a 150,000-row CSV with ``POST /v1/audiences`` while two probes call
``GET /healthz`` and ``GET /v1/jobs/{id}`` back to back (each waiting 10 ms between calls) until
the audience is ``ready``. Prints the worst and p99 latency of each probe over that window.
Target: worst case within 250 ms on 2 cores.
"""

from __future__ import annotations

import contextlib
import http.client
import tempfile
import threading
import time
from pathlib import Path

from api_load import (
    HOST,
    _create_workspace,
    _free_port,
    _multipart,
    _prepare_job,
    _request,
    _serve,
    _server_env,
)
from run import write_audience

TARGET_WORST_MS = 250.0


class Probe(threading.Thread):
    """Calls one path on a keep-alive connection until stopped; keeps every latency."""

    def __init__(self, label: str, port: int, path: str, headers: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.label, self.port, self.path, self.headers = label, port, path, headers
        self.latencies_ms: list[float] = []
        self.errors = 0
        self.stop = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                conn.request("GET", self.path, headers=self.headers)
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
            self.latencies_ms.append((time.perf_counter() - started) * 1000)
            self.errors += not ok
            time.sleep(0.01)
        conn.close()

    def summary(self) -> str:
        values = sorted(self.latencies_ms)
        if not values:
            return "no requests"
        p50 = values[len(values) // 2]
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        return (
            f"{len(values):,} requests, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
            f"worst {values[-1]:.1f} ms, errors {self.errors}"
        )


def bench_upload(rows: int = 150_000) -> None:
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = _server_env(tmp / "data", None)
        api_key = _create_workspace(env)
        port = _free_port()
        stack.enter_context(_serve(env, port, tmp / "server.log", http_workers=1))
        job_id = _prepare_job(port, api_key, tmp)
        auth = {"Authorization": f"Bearer {api_key}"}
        csv_path = tmp / "big.csv"
        write_audience(csv_path, rows)
        body, content_type = _multipart({"key": "email"}, "file", csv_path)
        probes = [
            Probe("GET /healthz", port, "/healthz", {}),
            Probe("GET /v1/jobs/{id}", port, f"/v1/jobs/{job_id}", auth),
        ]
        for probe in probes:
            probe.start()
        time.sleep(0.5)
        started = time.perf_counter()
        status, audience = _request(
            port,
            "POST",
            "/v1/audiences",
            body=body,
            headers={**auth, "Content-Type": content_type},
        )
        accepted_s = time.perf_counter() - started
        if status != 202:
            raise SystemExit(f"POST /v1/audiences answered {status}: {audience}")
        while audience["state"] == "importing":
            time.sleep(0.1)
            _, audience = _request(port, "GET", f"/v1/audiences/{audience['id']}", headers=auth)
        imported_s = time.perf_counter() - started
        time.sleep(0.3)
        for probe in probes:
            probe.stop.set()
            probe.join()
        size_mb = csv_path.stat().st_size / 1e6
        print(
            f"upload    {rows:,} rows ({size_mb:.0f} MB CSV): 202 after {accepted_s:.2f} s, "
            f"{audience['state']} after {imported_s:.2f} s ({audience['accepted']:,} accepted)"
        )
        worst = 0.0
        for probe in probes:
            print(f"upload    {probe.label} meanwhile: {probe.summary()}")
            worst = max(worst, max(probe.latencies_ms, default=0.0))
        verdict = "held" if worst <= TARGET_WORST_MS else "NOT held"
        print(f"upload    worst case {worst:.1f} ms; target {TARGET_WORST_MS:.0f} ms {verdict}")
