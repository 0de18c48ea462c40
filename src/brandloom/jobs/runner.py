"""Runners execute a job's pending chunks. The pipeline does not know which runner it is under.

``InProcessRunner`` is the embedded default: a pool of worker processes on this machine. A
distributed runner only has to deliver ``process_chunk(job_id, index)`` calls to workers.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

from brandloom.jobs import worker
from brandloom.jobs.kinds import REGISTRY

ChunkDone = Callable[[int, dict[str, Any] | None], None]
ShouldStop = Callable[[], bool]


class Runner(Protocol):
    def run(
        self,
        job_id: str,
        chunks: Sequence[int],
        *,
        on_chunk: ChunkDone,
        should_stop: ShouldStop,
    ) -> bool:
        """Process the chunks; returns False when stopped early (pause/cancel)."""
        ...


class InProcessRunner:
    def __init__(self, database_url: str, *, workers: int) -> None:
        self.database_url = database_url
        self.workers = max(1, workers)

    def run(
        self,
        job_id: str,
        chunks: Sequence[int],
        *,
        on_chunk: ChunkDone,
        should_stop: ShouldStop,
    ) -> bool:
        if self.workers == 1 or len(chunks) <= 1:
            worker.init_worker(self.database_url)
            for index in chunks:
                if should_stop():
                    return False
                on_chunk(index, worker.process_chunk(job_id, index))
            return True
        return self._run_pool(job_id, chunks, on_chunk=on_chunk, should_stop=should_stop)

    def _run_pool(
        self, job_id: str, chunks: Sequence[int], *, on_chunk: ChunkDone, should_stop: ShouldStop
    ) -> bool:
        # Spawned workers start clean (no inherited connections, locks or threads) and, unlike a
        # fork server, add no extra resident process to the job's memory footprint.
        context = multiprocessing.get_context("spawn")
        # A bounded window of chunks in flight gives back-pressure and lets pause/cancel act fast.
        window = self.workers * 2
        todo = list(chunks)
        with ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=worker.init_pool_worker,
            # The spawned process registers the same job kinds as this one.
            initargs=(self.database_url, REGISTRY.setup),
        ) as pool:
            running: dict[Future[dict[str, Any] | None], int] = {}
            stopped = False
            while todo or running:
                while todo and len(running) < window and not stopped:
                    if should_stop():
                        stopped = True
                        break
                    index = todo.pop(0)
                    running[pool.submit(worker.process_chunk, job_id, index)] = index
                if stopped and not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    index = running.pop(future)
                    on_chunk(index, future.result())
                if stopped:
                    todo.clear()
            return not stopped
