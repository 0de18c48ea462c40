"""The REST API under load on loopback: job status reads (``GET /v1/jobs/{id}``).

Run through ``benchmarks/run.py --only api``. Starts the real server (``brandloom serve``) as a
subprocess on embedded SQLite, and also on PostgreSQL when ``--database-url`` or
``BRANDLOOM_TEST_DATABASE_URL`` is set (in a throwaway schema). Each server gets a workspace, a
small audience and a finished job; then keep-alive connections spread over client processes read
the job's status for a fixed time after a warm-up: first flat out (the server's maximum), then on
a fixed schedule of 500 requests/s (latency counted from each request's scheduled time), three
times (``--api-rounds``), since the tail moves between runs on a small machine. The load
generator shares the machine's cores with the server, so the CPU each side used during the
measured window is printed too. The server runs one process per core (``BENCH_HTTP_WORKERS``
overrides that).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import multiprocessing as mp
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psutil
from import_pg import postgres_url, throwaway_schema
from run import write_audience

HOST = "127.0.0.1"
TARGET_RPS = 500
TARGET_P99_MS = 50.0
AUDIENCE_ROWS = 1000
# API server processes: one per core, as recommended for a machine that serves only the API.
HTTP_WORKERS = int(os.environ.get("BENCH_HTTP_WORKERS", 0)) or os.cpu_count() or 1
CHUNK_SIZE = 100


@dataclass(frozen=True, slots=True)
class Load:
    processes: int = 2
    threads: int = 8
    warmup_s: float = 2.0
    duration_s: float = 10.0
    # Requests per second over all connections; None: back to back (the server's maximum).
    rate: float | None = None

    @property
    def connections(self) -> int:
        return self.processes * self.threads


@dataclass(slots=True)
class ClientResult:
    latencies_ns: list[int] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)  # 0: connection error or timeout
    exceptions: Counter[str] = field(default_factory=Counter)  # the client's, by type
    cpu_s: float = 0.0
    machine_busy_s: float = 0.0  # every process on the machine, the database server included


def bench_api(database_url: str | None, *, quick: bool = False, rounds: int = 3) -> None:
    load = Load(warmup_s=1.0, duration_s=3.0) if quick else Load()
    rounds = 1 if quick else max(1, rounds)
    backends: list[tuple[str, str | None]] = [("sqlite", None)]
    if pg := postgres_url(database_url):
        backends.append(("postgresql", pg))
    for label, base in backends:
        with contextlib.ExitStack() as stack:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            url = stack.enter_context(throwaway_schema(base, prefix="bench_api")) if base else None
            env = _server_env(tmp / "data", url)
            api_key = _create_workspace(env)
            port = _free_port()
            server = stack.enter_context(_serve(env, port, tmp / "server.log"))
            job_id = _prepare_job(port, api_key, tmp)
            path = f"/v1/jobs/{job_id}"
            # Flat out first: it also warms every server process before the fixed-rate passes.
            fixed = replace(load, rate=TARGET_RPS)
            passes: list[tuple[bool, float]] = []  # (target met, p99 ms) per fixed-rate pass
            for pass_load in (load, *[fixed] * rounds):
                result, server_cpu_s = _drive(server, port, path, api_key, pass_load)
                met, p99 = _print_result(label, result, server_cpu_s, pass_load)
                if pass_load.rate:
                    passes.append((met, p99))
                if result.statuses.get(200, 0) != len(result.latencies_ns):
                    print(f"     first server error: {_first_server_error(tmp / 'server.log')}")
            if rounds > 1:
                shown = " / ".join(f"{p:.1f}" if ok else "not met" for ok, p in passes)
                held = sum(ok for ok, _ in passes)
                print(
                    f"api  {label}: p99 at {TARGET_RPS} req/s over {rounds} passes: {shown} ms; "
                    f"target held in {held} of {rounds}"
                )
            if wrk := shutil.which("wrk"):
                _run_wrk(wrk, label, port, path, api_key, load)


# ---------------------------------------------------------------------------------------------
# the server and its data


def _server_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = dict(os.environ, BRANDLOOM_DATA_DIR=str(data_dir))
    env.pop("BRANDLOOM_BROKER_URL", None)  # jobs render in the API process
    env.pop("BRANDLOOM_DATABASE_URL", None)
    if database_url:
        env["BRANDLOOM_DATABASE_URL"] = database_url
    return env


def _create_workspace(env: dict[str, str]) -> str:
    cmd = [sys.executable, "-m", "brandloom.cli.app", "workspace", "create", "bench", "--json"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"workspace create failed: {done.stderr[-2000:]}")
    key: str = json.loads(done.stdout)["api_key"]
    return key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def _serve(
    env: dict[str, str], port: int, log: Path, http_workers: int = HTTP_WORKERS
) -> Iterator[psutil.Process]:
    """``brandloom serve`` in its own session; it and its children are stopped on the way out."""
    cmd = [
        *(sys.executable, "-m", "brandloom.cli.app", "serve", "--host", HOST, "--port", str(port)),
        *("--http-workers", str(http_workers)),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_ready(proc, port, log)
        yield psutil.Process(proc.pid)
    finally:
        _stop(proc)


def _wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"brandloom serve exited with {proc.returncode}: {_tail(log)}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, _ = _request(port, "GET", "/healthz")
            if status == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"brandloom serve did not answer /healthz within 60 s: {_tail(log)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (graceful), SIGKILL after 15 s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # Job worker processes left behind in the group, if any.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _first_server_error(log: Path) -> str:
    """The exception line of the first traceback in the server's log."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            for after in lines[i + 1 :]:
                if after and not after[0].isspace():
                    return after[:300]
    return "none logged"


def _tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-2000:]


def _request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, json.loads(data) if data else None
    finally:
        conn.close()


def _multipart(fields: dict[str, str], file_field: str, path: Path) -> tuple[bytes, str]:
    boundary = f"brandloom-bench-{os.urandom(8).hex()}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{path.name}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
        + path.read_bytes()
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _prepare_job(port: int, api_key: str, tmp: Path) -> str:
    """Upload a small audience, create a job from it and wait until the job is done."""
    auth = {"Authorization": f"Bearer {api_key}"}
    csv_path = tmp / "contacts.csv"
    write_audience(csv_path, AUDIENCE_ROWS)
    body, content_type = _multipart({"key": "email"}, "file", csv_path)
    status, audience = _request(
        port,
        "POST",
        "/v1/audiences?wait=true",
        body=body,
        headers={**auth, "Content-Type": content_type},
    )
    if status != 201:
        raise SystemExit(f"POST /v1/audiences answered {status}: {audience}")
    spec = {
        "name": "bench",
        "audience_id": audience["id"],
        "template": {
            "subject": "{{ first_name | default('Hi') }}, your {{ tier }} rewards",
            "html": "<p>Hello {{ first_name }}, {{ points | number }} points in {{ city }}.</p>",
        },
        "outputs": ["html", "txt"],
        "chunk_size": CHUNK_SIZE,
    }
    status, job = _request(
        port,
        "POST",
        "/v1/jobs",
        body=json.dumps(spec).encode(),
        headers={**auth, "Content-Type": "application/json"},
    )
    if status != 202:
        raise SystemExit(f"POST /v1/jobs answered {status}: {job}")
    deadline = time.monotonic() + 300
    while job["state"] in ("queued", "running"):
        if time.monotonic() > deadline:
            raise SystemExit(f"job {job['id']} still {job['state']} after 300 s")
        time.sleep(0.2)
        status, job = _request(port, "GET", f"/v1/jobs/{job['id']}", headers=auth)
        if status != 200:
            raise SystemExit(f"GET /v1/jobs/{{id}} answered {status}: {job}")
    if job["state"] != "done":
        raise SystemExit(f"job {job['id']} ended {job['state']}: {job.get('error')}")
    job_id: str = job["id"]
    return job_id


# ---------------------------------------------------------------------------------------------
# the load generator


def _drive(
    server: psutil.Process, port: int, path: str, api_key: str, load: Load
) -> tuple[ClientResult, float]:
    """Run the client processes; returns their merged result and the server's CPU seconds."""
    ctx = mp.get_context("spawn")
    ready = ctx.Queue()
    results = ctx.Queue()
    go = ctx.Event()
    start = ctx.Value("d", 0.0)
    procs = [
        ctx.Process(
            target=_client_process,
            args=(index, port, path, api_key, load, ready, results, go, start),
            daemon=True,
        )
        for index in range(load.processes)
    ]
    try:
        for proc in procs:
            proc.start()
        for _ in procs:
            ready.get(timeout=60)
        start.value = time.time()
        go.set()
        measure_from = start.value + load.warmup_s
        _sleep_until(measure_from)
        cpu_before, machine_before = _tree_cpu(server), psutil.cpu_times()
        _sleep_until(measure_from + load.duration_s)
        server_cpu_s = _tree_cpu(server) - cpu_before
        machine = psutil.cpu_times()
        busy_s = _busy(machine) - _busy(machine_before)
        merged = ClientResult()
        for _ in procs:
            part: ClientResult = results.get(timeout=60)
            merged.latencies_ns.extend(part.latencies_ns)
            merged.statuses.update(part.statuses)
            merged.exceptions.update(part.exceptions)
            merged.cpu_s += part.cpu_s
        merged.machine_busy_s = busy_s
        for proc in procs:
            proc.join(timeout=10)
        return merged, server_cpu_s
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)


def _tree_cpu(proc: psutil.Process) -> float:
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def _busy(times: Any) -> float:
    """Seconds all cores spent on anything but idle and I/O wait (guest time is in user)."""
    skip = ("idle", "iowait", "guest", "guest_nice")
    return float(sum(getattr(times, f) for f in times._fields if f not in skip))


def _sleep_until(when: float) -> None:
    while (left := when - time.time()) > 0:
        time.sleep(min(left, 0.5))


def _client_process(
    index: int,
    port: int,
    path: str,
    api_key: str,
    load: Load,
    ready: Any,
    results: Any,
    go: Any,
    start: Any,
) -> None:
    """One load-generator process: ``load.threads`` keep-alive connections, one per thread."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the run
    headers = {"Authorization": f"Bearer {api_key}"}
    per_thread = [ClientResult() for _ in range(load.threads)]
    conns = [http.client.HTTPConnection(HOST, port, timeout=10) for _ in range(load.threads)]
    for conn in conns:
        conn.connect()
    ready.put(os.getpid())
    go.wait()
    measure_from = start.value + load.warmup_s
    measure_to = measure_from + load.duration_s
    # At a fixed rate this process sends every ``interval`` seconds (the processes staggered),
    # each request on whichever of its connections is free first, as a connection pool would.
    schedule = (
        Schedule(start.value + index / load.rate, load.processes / load.rate) if load.rate else None
    )
    threads = [
        threading.Thread(
            target=_client_loop,
            args=(conn, path, headers, measure_from, measure_to, out),
            kwargs={"schedule": schedule},
            daemon=True,
        )
        for conn, out in zip(conns, per_thread, strict=True)
    ]
    for thread in threads:
        thread.start()
    _sleep_until(measure_from)
    cpu_before = time.process_time()
    _sleep_until(measure_to)
    cpu_s = time.process_time() - cpu_before
    for thread in threads:
        thread.join()
    merged = ClientResult(cpu_s=cpu_s)
    for out in per_thread:
        merged.latencies_ns.extend(out.latencies_ns)
        merged.statuses.update(out.statuses)
        merged.exceptions.update(out.exceptions)
    results.put(merged)


class Schedule:
    """Send times ``first + k * interval``, handed out one at a time to whichever thread asks."""

    def __init__(self, first: float, interval: float) -> None:
        self._next = first
        self._interval = interval
        self._lock = threading.Lock()

    def take(self) -> float:
        with self._lock:
            due = self._next
            self._next += self._interval
            return due


def _client_loop(
    conn: http.client.HTTPConnection,
    path: str,
    headers: dict[str, str],
    measure_from: float,
    measure_to: float,
    out: ClientResult,
    *,
    schedule: Schedule | None = None,
) -> None:
    """Read ``path`` until ``measure_to``; requests started after warm-up count.

    With a ``schedule`` requests go out at fixed times, and latency counts from the scheduled
    time: a server that falls behind is charged for the wait it caused.
    """
    clock = time.perf_counter_ns
    while (now := time.time()) < measure_to:
        if schedule is not None:
            due = schedule.take()
            if due >= measure_to:
                break
            if due > now:
                time.sleep(due - now)
            began = clock() - max(0, int((time.time() - due) * 1e9))
            now = due
        else:
            began = clock()
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException) as exc:
            status = 0
            if now >= measure_from:
                out.exceptions[type(exc).__name__] += 1
            conn.close()  # reconnects on the next request
        elapsed = clock() - began
        if now >= measure_from:
            out.latencies_ns.append(elapsed)
            out.statuses[status] += 1
    conn.close()


def _print_result(
    label: str, result: ClientResult, server_cpu_s: float, load: Load
) -> tuple[bool, float]:
    """Print one pass; returns whether the target was met and the p99 in ms."""
    lat = sorted(result.latencies_ns)
    count = len(lat)
    errors = count - result.statuses.get(200, 0)
    rps = count / load.duration_s
    p50 = lat[count // 2] / 1e6 if lat else float("nan")
    p99 = lat[min(count - 1, int(count * 0.99))] / 1e6 if lat else float("nan")
    # At a fixed rate the count can miss the offered rate by a request at the window's edges.
    kept_up = rps >= TARGET_RPS * 0.995 if load.rate else rps >= TARGET_RPS
    met = kept_up and p99 < TARGET_P99_MS and errors == 0
    mode = f"at {load.rate:,.0f} req/s" if load.rate else "flat out"
    print(
        f"api  GET /v1/jobs/{{id}}  {label}, {mode}: {rps:,.0f} req/s, p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms, errors {errors:,} ({load.connections} connections, "
        f"{load.duration_s:g} s, {HTTP_WORKERS} server processes)"
    )
    if errors:
        by_status = ", ".join(
            f"{s or 'connection error'}: {n:,}"
            for s, n in sorted(result.statuses.items())
            if s != 200
        )
        print(f"     errors by status: {by_status}")
    if result.exceptions:
        kinds = ", ".join(f"{k} {n:,}" for k, n in result.exceptions.most_common())
        print(f"     client exceptions: {kinds}")
    load1, _, _ = os.getloadavg()
    print(
        f"     CPU in the window: server {server_cpu_s / load.duration_s:.2f} cores "
        f"({server_cpu_s / max(count, 1) * 1e3:.2f} ms per request), "
        f"load generator {result.cpu_s / load.duration_s:.2f} cores "
        f"({load.processes} processes x {load.threads} threads), whole machine "
        f"{result.machine_busy_s / load.duration_s:.2f} of {os.cpu_count()}; "
        f"load average {load1:.2f}; target >= {TARGET_RPS} req/s with p99 < "
        f"{TARGET_P99_MS:g} ms: {'met' if met else 'not met'}"
    )
    return met, p99


def _run_wrk(wrk: str, label: str, port: int, path: str, api_key: str, load: Load) -> None:
    """The same load through wrk, for a figure without the Python client's overhead."""
    cmd = [
        wrk,
        f"-t{load.processes}",
        f"-c{load.connections}",
        f"-d{load.duration_s:g}s",
        "--latency",
        "-H",
        f"Authorization: Bearer {api_key}",
        f"http://{HOST}:{port}{path}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"     wrk failed ({done.returncode}): {done.stderr.strip()[-500:]}")
        return
    out = done.stdout
    rps = re.search(r"Requests/sec:\s*([\d.]+)", out)
    p50 = re.search(r"^\s*50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    errs = re.search(r"Socket errors:.*", out)
    print(
        f"api  GET /v1/jobs/{{id}}  {label} (wrk): "
        f"{float(rps.group(1)) if rps else float('nan'):,.0f} req/s, "
        f"p50 {p50.group(1) if p50 else '?'}, p99 {p99.group(1) if p99 else '?'}, "
        f"non-2xx {non2xx.group(1) if non2xx else 0}"
        f"{'; ' + errs.group(0).strip() if errs else ''} "
        f"({load.connections} connections, {load.processes} threads, {load.duration_s:g} s, "
        "no warm-up)"
    )
