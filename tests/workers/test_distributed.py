"""Real Celery workers on the local Redis: kill one mid-job, pause, cancel, error threshold.

Every test starts `brandloom worker` processes (their own session, so a SIGKILL takes the whole
worker, pool processes included, like a lost machine) on a private queue name.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from brandloom.db.base import utcnow
from brandloom.db.engine import make_engine, make_session_factory, unit_of_work
from brandloom.documents.models import DocumentRecord
from brandloom.jobs.models import Job, JobChunk
from brandloom.workers.models import WorkerHeartbeat
from tests.factories import HALF_FAILING_VARIANTS, contacts, tree_bytes, write_csv, write_spec

REDIS_URL = os.environ.get("BRANDLOOM_TEST_REDIS_URL")
AMQP_URL = os.environ.get("BRANDLOOM_TEST_AMQP_URL")
PG_URL = os.environ.get("BRANDLOOM_TEST_DATABASE_URL")
BRANDLOOM = [sys.executable, "-m", "brandloom.cli.app"]

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="BRANDLOOM_TEST_REDIS_URL is not set")


class Cluster:
    """Worker processes and the environment they share with the CLI."""

    def __init__(
        self,
        database_url: str,
        data_dir: Path,
        *,
        lease_seconds: int = 4,
        broker_url: str | None = None,
    ) -> None:
        assert REDIS_URL is not None
        self.broker_url = broker_url or REDIS_URL
        self.database_url = database_url
        self.queue = f"brandloom-test-{secrets.token_hex(4)}"
        self.local_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("BRANDLOOM_")},
            "BRANDLOOM_DATABASE_URL": database_url,
            "BRANDLOOM_DATA_DIR": str(data_dir),
        }
        self.env = {
            **self.local_env,
            "BRANDLOOM_BROKER_URL": self.broker_url,
            "BRANDLOOM_BROKER_QUEUE": self.queue,
            "BRANDLOOM_CHUNK_LEASE_SECONDS": str(lease_seconds),
        }
        self.workers: list[subprocess.Popen[bytes]] = []
        self.followers: list[subprocess.Popen[str]] = []  # ``generate`` runs in the background
        self.engine = make_engine(database_url)
        self.factory = make_session_factory(self.engine)

    def start_worker(self, concurrency: int = 1, metrics_port: int = 0) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [
                *BRANDLOOM,
                "worker",
                "--concurrency",
                str(concurrency),
                "--metrics-port",
                str(metrics_port),
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.workers.append(proc)
        return proc

    def wait_for_workers(self, n: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while self.alive_workers() < n:
            assert time.monotonic() < deadline, "workers did not start"
            assert all(w.poll() is None for w in self.workers), "a worker exited"
            time.sleep(0.2)

    def alive_workers(self) -> int:
        with unit_of_work(self.factory) as session:
            return int(session.scalar(select(func.count()).select_from(WorkerHeartbeat)) or 0)

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def cli(self, *args: str, local: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*BRANDLOOM, *args],
            env=self.local_env if local else self.env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    def job(self, job_id: str) -> Job:
        with unit_of_work(self.factory) as session:
            job = session.get(Job, job_id)
            assert job is not None
            return job

    def wait_state(self, job_id: str, states: tuple[str, ...], timeout: float = 300) -> Job:
        deadline = time.monotonic() + timeout
        while (job := self.job(job_id)).state not in states:
            assert time.monotonic() < deadline, f"job stayed {job.state}"
            time.sleep(0.2)
        return job

    def close(self) -> None:
        for follower in self.followers:  # a failed test leaves no CLI polling its schema
            if follower.poll() is None:
                follower.kill()
                follower.communicate()
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.engine.dispose()
        if self.broker_url.startswith("amqp"):
            from kombu import Connection

            with Connection(self.broker_url) as conn:
                conn.default_channel.queue_delete(self.queue)
            return
        import redis

        client = redis.Redis.from_url(self.broker_url)
        client.delete(self.queue)
        client.close()


@pytest.fixture
def cluster(database_url: str, tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(database_url, tmp_path / "data")
    try:
        yield c
    finally:
        c.close()


def _pool_owners(worker: subprocess.Popen[bytes]) -> set[str]:
    """Lease owner names of a worker's pool processes (``host:pid``)."""
    host = socket.gethostname()
    return {f"{host}:{p.pid}" for p in psutil.Process(worker.pid).children(recursive=True)}


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _follow_in_background(cluster: Cluster, spec: Path, out: Path) -> subprocess.Popen[str]:
    """``brandloom generate`` (enqueue and follow) as a child process.

    Ctrl-C reaches it even when the test run itself ignores SIGINT (started in the background by
    a non-interactive shell, as ``cmd &`` or under ``nohup``), which the child would inherit.
    """
    follower = subprocess.Popen(
        [*BRANDLOOM, "generate", str(spec), "--out", str(out)],
        env=cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    cluster.followers.append(follower)
    return follower


def _detach(cluster: Cluster, spec: Path, out: Path) -> str:
    done = cluster.cli("generate", str(spec), "--out", str(out), "--detach")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_a_worker_killed_mid_job_loses_and_duplicates_nothing(
    cluster: Cluster, database_url: str, tmp_path: Path
) -> None:
    if PG_URL and database_url.startswith("sqlite"):
        pytest.skip("the 100,000-contact run uses PostgreSQL when it is available")
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_csv(inputs / "contacts.csv", contacts(100_000))
    spec = write_spec(inputs, outputs=["html", "txt"], chunk_size=500)

    reference = tmp_path / "reference"
    local = cluster.cli(
        "generate", str(spec), "--out", str(reference), "--workers", "2", local=True
    )
    assert local.returncode == 0, local.stderr

    workers = [cluster.start_worker(), cluster.start_worker()]
    cluster.wait_for_workers(2)
    owners_ready = time.monotonic() + 60
    while not _pool_owners(workers[0]):
        assert time.monotonic() < owners_ready, "the worker started no pool process"
        time.sleep(0.1)
    out = tmp_path / "distributed"
    follower = _follow_in_background(cluster, spec, out)
    # A fifth of the way in, kill one worker (with its pool process) while it holds a chunk:
    # freeze it, look at what it holds, and either kill it or let it go on and look again.
    victim = workers[0]
    deadline = time.monotonic() + 600
    orphaned: list[int] = []
    while not orphaned:
        assert follower.poll() is None, follower.communicate()[1]
        assert time.monotonic() < deadline, "the distributed job made no progress"
        time.sleep(0.01)
        with unit_of_work(cluster.factory) as session:
            # This job's chunks only: the reference job's 200 are all done before it starts.
            done = session.scalar(
                select(func.count())
                .select_from(JobChunk)
                .join(Job, Job.id == JobChunk.job_id)
                .where(Job.out_dir == str(out.resolve()), JobChunk.state == "done")
            )
        if (done or 0) < 40:
            continue
        os.killpg(victim.pid, signal.SIGSTOP)
        owners = _pool_owners(victim)
        with unit_of_work(cluster.factory) as session:
            orphaned = list(
                session.scalars(
                    select(JobChunk.index).where(
                        JobChunk.state == "running", JobChunk.lease_owner.in_(owners)
                    )
                )
            )
        if not orphaned:
            os.killpg(victim.pid, signal.SIGCONT)
    cluster.kill(victim)
    _, stderr = follower.communicate(timeout=900)
    assert follower.returncode == 0, stderr

    expected, actual = tree_bytes(reference), tree_bytes(out)
    assert expected.keys() == actual.keys()
    assert expected == actual
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    keys = [m["key"] for m in manifest]
    assert len(keys) == 100_000 == len(set(keys))
    with unit_of_work(cluster.factory) as session:
        job_id = session.scalar(select(Job.id).where(Job.out_dir == str(out.resolve())))
        records = session.scalar(
            select(func.count()).select_from(DocumentRecord).where(DocumentRecord.job_id == job_id)
        )
        states = set(session.scalars(select(JobChunk.state).where(JobChunk.job_id == job_id)))
        retried = min(
            session.scalars(
                select(JobChunk.attempts).where(
                    JobChunk.job_id == job_id, JobChunk.index.in_(orphaned)
                )
            )
        )
    assert records == 100_000
    assert states == {"done"}
    assert retried >= 2  # every chunk the dead worker held was taken over and rendered
    report = json.loads((out / "report.json").read_text())
    assert report["documents"] == {"html": 100_000, "txt": 100_000}


def _wait_started(cluster: Cluster, job_id: str, timeout: float = 120) -> None:
    """Until the job has committed its first chunk: it is running on the worker."""
    deadline = time.monotonic() + timeout
    while cluster.job(job_id).chunks_done < 1:
        assert time.monotonic() < deadline, "the job made no progress"
        time.sleep(0.005)


def test_pause_resume_and_cancel_across_workers(cluster: Cluster, tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    # 1,000 chunks: seconds of work for one worker, so each command below (given as soon as the
    # job has started) reaches it mid-run with a wide margin.
    write_csv(inputs / "contacts.csv", contacts(20_000))
    spec = write_spec(inputs, outputs=["html", "txt"], chunk_size=20)
    cluster.start_worker()
    cluster.wait_for_workers(1)

    out = tmp_path / "out"
    job_id = _detach(cluster, spec, out)
    _wait_started(cluster, job_id)
    paused = cluster.cli("pause", job_id)
    assert paused.returncode == 0, paused.stderr
    job = cluster.wait_state(job_id, ("paused",))
    time.sleep(1.0)  # the chunk in hand may still commit; then nothing moves
    frozen = cluster.job(job_id).chunks_done
    time.sleep(1.5)
    assert cluster.job(job_id).chunks_done == frozen < job.chunks_total

    resumed = cluster.cli("generate", str(spec), "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert cluster.job(job_id).state == "done"
    assert len((out / "manifest.jsonl").read_text().splitlines()) == 20_000

    second = tmp_path / "second"
    other = _detach(cluster, spec, second)
    _wait_started(cluster, other)
    cancelled = cluster.cli("cancel", other)
    assert cancelled.returncode == 0, cancelled.stderr
    time.sleep(1.0)
    job = cluster.job(other)
    assert job.state == "cancelled"
    assert job.chunks_done < job.chunks_total
    assert not (second / "report.json").exists()


def test_a_job_that_keeps_failing_pauses_itself(cluster: Cluster, tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_csv(inputs / "contacts.csv", contacts(4000))
    spec = write_spec(
        inputs,
        outputs=["txt"],
        chunk_size=50,
        variants=HALF_FAILING_VARIANTS,
        error_threshold={"min_failed": 100, "rate": 0.2},
    )
    cluster.start_worker()
    cluster.wait_for_workers(1)
    out = tmp_path / "out"
    done = cluster.cli("generate", str(spec), "--out", str(out))
    assert done.returncode == 2
    assert "error threshold" in done.stderr
    job = cluster.wait_state(_job_for(cluster, out), ("paused",))
    assert job.error is not None and "template.render_error" in job.error
    assert job.items_failed >= 100 and job.items_done < 4000
    assert not (out / "report.json").exists()


def _job_for(cluster: Cluster, out: Path) -> str:
    with unit_of_work(cluster.factory) as session:
        job_id = session.scalar(select(Job.id).where(Job.out_dir == str(out.resolve())))
    assert job_id is not None
    return job_id


def test_ctrl_c_while_following_pauses_the_job(cluster: Cluster, tmp_path: Path) -> None:
    """No worker runs, so the job waits in the queue while ``generate`` follows it."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_csv(inputs / "contacts.csv", contacts(200))
    spec = write_spec(inputs, outputs=["txt"], chunk_size=50)
    out = tmp_path / "out"
    follower = _follow_in_background(cluster, spec, out)
    deadline = time.monotonic() + 120
    job_id: str | None = None
    while job_id is None or cluster.job(job_id).state != "running":
        assert follower.poll() is None, follower.communicate()
        assert time.monotonic() < deadline, "the job was not submitted"
        time.sleep(0.1)
        with unit_of_work(cluster.factory) as session:
            job_id = session.scalar(select(Job.id).where(Job.out_dir == str(out.resolve())))
    follower.send_signal(signal.SIGINT)
    _, stderr = follower.communicate(timeout=60)
    job = cluster.job(job_id)
    assert job.state == "paused" and job.chunks_done == 0, stderr
    assert "--resume" in stderr
    # An interrupted command: 130, or ended by the SIGINT itself (a shell shows 130 for both).
    assert follower.returncode in (130, -signal.SIGINT), stderr

    # The paused job's tasks stay harmless; resuming with a worker finishes it.
    cluster.start_worker()
    resumed = cluster.cli("generate", str(spec), "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert len((out / "manifest.jsonl").read_text().splitlines()) == 200


def test_heartbeat_rows_of_stopped_and_long_dead_workers_go_away(cluster: Cluster) -> None:
    with unit_of_work(cluster.factory) as session:
        session.add(
            WorkerHeartbeat(
                name="gone:1",
                hostname="gone",
                pid=1,
                concurrency=1,
                started_at=utcnow() - timedelta(hours=3),
                last_seen=utcnow() - timedelta(hours=2),
            )
        )

    def names() -> set[str]:
        with unit_of_work(cluster.factory) as session:
            return set(session.scalars(select(WorkerHeartbeat.name)))

    worker = cluster.start_worker()
    deadline = time.monotonic() + 90
    while (seen := names()) == {"gone:1"} or "gone:1" in seen:
        assert worker.poll() is None, "the worker exited"
        assert time.monotonic() < deadline, f"heartbeats stayed {seen}"
        time.sleep(0.2)
    assert len(seen) == 1, "the worker's own row; the hour-old one was pruned"
    os.killpg(worker.pid, signal.SIGTERM)  # a clean shutdown
    assert worker.wait(timeout=60) == 0
    assert names() == set(), "a cleanly stopped worker removes its row"


def test_workers_serve_their_metrics_and_heartbeats(cluster: Cluster, tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_csv(inputs / "contacts.csv", contacts(400))
    spec = write_spec(inputs, outputs=["html", "txt"], chunk_size=50)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cluster.start_worker(concurrency=2, metrics_port=port)
    cluster.wait_for_workers(1)
    done = cluster.cli("generate", str(spec), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr

    body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }
    # Summed over the worker's pool processes (Prometheus multiprocess mode).
    assert samples[("brandloom_documents_rendered_total", (("format", "html"),))] == 400
    assert samples[("brandloom_chunks_processed_total", (("outcome", "done"),))] == 8
    assert samples[("brandloom_chunk_duration_seconds_count", ())] == 8
    with unit_of_work(cluster.factory) as session:
        beat = session.scalars(select(WorkerHeartbeat)).one()
    assert beat.concurrency == 2 and beat.name.startswith("brandloom-")


@pytest.mark.skipif(not AMQP_URL, reason="BRANDLOOM_TEST_AMQP_URL is not set")
def test_rabbitmq_as_the_broker(database_url: str, tmp_path: Path) -> None:
    cluster = Cluster(database_url, tmp_path / "data", broker_url=AMQP_URL)
    try:
        inputs = tmp_path / "in"
        inputs.mkdir()
        write_csv(inputs / "contacts.csv", contacts(600))
        spec = write_spec(inputs, outputs=["html", "txt"], chunk_size=50)
        local = cluster.cli("generate", str(spec), "--out", str(tmp_path / "ref"), local=True)
        assert local.returncode == 0, local.stderr
        cluster.start_worker()
        cluster.wait_for_workers(1)
        out = tmp_path / "out"
        done = cluster.cli("generate", str(spec), "--out", str(out))
        assert done.returncode == 0, done.stderr
        assert tree_bytes(tmp_path / "ref") == tree_bytes(out)
    finally:
        cluster.close()
