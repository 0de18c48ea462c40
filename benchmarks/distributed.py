"""Celery workers: the same 100,000-contact job on 1 and on 2 worker processes (the ratio).

    python benchmarks/run.py --only workers [--quick] [--database-url URL] [--broker-url URL]

Needs a broker (``--broker-url``, else BRANDLOOM_TEST_REDIS_URL). The database is PostgreSQL when
``--database-url`` or BRANDLOOM_TEST_DATABASE_URL is set (a throwaway schema, dropped afterwards),
else an embedded SQLite file. Each worker process runs with ``--concurrency 1``; the job's time
is from enqueueing to the finalized report (``report.json`` ``elapsed_s``).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from import_pg import postgres_url, throwaway_schema
from run import write_audience, write_spec

BRANDLOOM = [sys.executable, "-m", "brandloom.cli.app"]


@contextlib.contextmanager
def _database(url: str | None, folder: Path) -> Iterator[str]:
    """A throwaway PostgreSQL schema for ``url``, or an embedded SQLite file without one."""
    if url:
        with throwaway_schema(url, prefix="bench_workers") as schema_url:
            yield schema_url
    else:
        yield f"sqlite:///{folder / 'brandloom.db'}"


def _alive_workers(database_url: str) -> int:
    from sqlalchemy import func, select

    from brandloom.db.engine import make_engine
    from brandloom.workers.models import WorkerHeartbeat

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(WorkerHeartbeat)) or 0)
    finally:
        engine.dispose()


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for proc in workers:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in workers:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _run_job(env: dict[str, str], spec: Path, out: Path, processes: int, db: str) -> dict:
    workers = [
        subprocess.Popen(
            [*BRANDLOOM, "worker", "--concurrency", "1", "--metrics-port", "0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(processes)
    ]
    try:
        deadline = time.monotonic() + 120
        while _alive_workers(db) < processes:
            if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                raise SystemExit("workers did not start")
            time.sleep(0.2)
        done = subprocess.run(
            [*BRANDLOOM, "generate", str(spec), "--out", str(out)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"generate failed: {done.stderr[-2000:]}")
        return json.loads((out / "report.json").read_text())
    finally:
        _stop(workers)


def bench_workers(contacts: int, *, database_url: str | None, broker_url: str | None) -> None:
    broker = broker_url or os.environ.get("BRANDLOOM_TEST_REDIS_URL")
    if not broker:
        print("workers   skipped: give --broker-url or set BRANDLOOM_TEST_REDIS_URL")
        return
    database_url = postgres_url(database_url)
    queue = f"bench-{secrets.token_hex(4)}"
    with tempfile.TemporaryDirectory() as tmp, _database(database_url, Path(tmp)) as db:
        folder = Path(tmp)
        write_audience(folder / "contacts.csv", contacts)
        spec = write_spec(folder, outputs=["html", "txt"], sink="dir")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("BRANDLOOM_")},
            "BRANDLOOM_DATABASE_URL": db,
            "BRANDLOOM_DATA_DIR": str(folder / "data"),
            "BRANDLOOM_BROKER_URL": broker,
            "BRANDLOOM_BROKER_QUEUE": queue,
        }
        from brandloom.db.engine import make_engine
        from brandloom.db.migrate import upgrade

        engine = make_engine(db)
        upgrade(engine)  # before the workers start, so their heartbeats can be counted
        engine.dispose()
        backend = "postgresql" if db.startswith("postgresql") else "sqlite"
        rates = {}
        for processes in (1, 2):
            report = _run_job(env, spec, folder / f"out-{processes}", processes, db)
            docs = sum(report["documents"].values())
            rates[processes] = docs / report["elapsed_s"] * 60
            print(
                f"workers   {contacts:>9,} contacts -> {docs:>9,} docs (html+txt, dir, "
                f"{backend}, {processes} worker process{'es' if processes > 1 else ''}): "
                f"{rates[processes]:>10,.0f} docs/min (job {report['elapsed_s']:.1f} s)"
            )
        print(f"workers   2 vs 1 worker processes: {rates[2] / rates[1]:.2f}x")
        with contextlib.suppress(Exception):
            import redis

            client = redis.Redis.from_url(broker)
            client.delete(queue)
            client.close()
