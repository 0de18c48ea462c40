"""Progress reporting: a Rich bar on a terminal, plain lines otherwise (logs, CI, pipes).

Rates and the ETA count only the work done since this run started: a resumed job (``--resume``,
or a job followed again after a pause) starts with contacts already done, and counting those
as done in no time would promise an end long before it comes.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from brandloom.jobs.lifecycle import Progress as JobProgress


class OutputClosed(KeyboardInterrupt):
    """Standard output was closed by its reader (``brandloom generate ... | head -3``).

    An interruption like Ctrl-C, and a subclass of it so every path that pauses an interrupted
    job (in-process or on workers) pauses this one: nothing is marked failed, ``--resume``
    continues. The CLI exits 141, as a program killed by SIGPIPE does.
    """


def silence_stdout() -> None:
    """Point standard output at the null device: the reader is gone, and Python's final flush
    at exit must not fail on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def say(line: str) -> None:
    """Print a progress line; a closed standard output interrupts the job (OutputClosed)."""
    try:
        print(line, file=sys.stdout, flush=True)
    except BrokenPipeError:
        silence_stdout()
        raise OutputClosed from None


class ProgressReporter:
    def __init__(
        self,
        console: Console,
        *,
        interval_s: float = 2.0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.console = console
        self.interactive = console.is_terminal
        self.interval_s = interval_s
        self._clock = clock
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._started = clock()
        self._docs_at_start = 0
        self._items_at_start = 0
        self._last_line = 0.0

    def __enter__(self) -> ProgressReporter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def start(self, progress: JobProgress) -> None:
        self._started = self._clock()
        self._docs_at_start = progress.documents_done
        self._items_at_start = progress.items_done
        if self.interactive:
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("contacts · {task.fields[rate]} docs/s"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
                get_time=self._clock,
            )
            self._bar.start()
            self._task = self._bar.add_task(
                "rendering",
                total=progress.items_total,
                completed=progress.items_done,
                rate="-",
            )
        else:
            left = progress.chunks_total - progress.chunks_done
            say(
                f"job {progress.job_id}: {progress.items_done}/{progress.items_total} "
                f"contacts done, {plural(left, 'chunk')} to go"
            )

    def update(self, progress: JobProgress) -> None:
        elapsed = max(self._clock() - self._started, 1e-9)
        rate = (progress.documents_done - self._docs_at_start) / elapsed
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=progress.items_done, rate=f"{rate:,.0f}")
            return
        now = self._clock()
        finished = progress.chunks_done == progress.chunks_total
        if finished or now - self._last_line >= self.interval_s:
            self._last_line = now
            left = progress.items_total - progress.items_done
            contacts_rate = (progress.items_done - self._items_at_start) / elapsed
            if not left:
                eta = "0s"
            else:
                eta = f"{left / contacts_rate:.0f}s" if contacts_rate > 0 else "unknown"
            say(
                f"progress: {progress.items_done}/{progress.items_total} contacts, "
                f"{progress.documents_done} documents, {rate:,.0f} docs/s, ETA {eta}"
            )


def plural(count: int, noun: str) -> str:
    """``1 chunk``, ``2 chunks``, ``1,000 chunks``."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
