"""Job kinds: what a job does, plugged into the generic chunk/lease/checkpoint engine.

The engine (``jobs/``) owns states, chunk claims and leases, pause/cancel/resume, the error
threshold, progress counters and finalize leases, for every kind alike. A kind owns only its
work, in five steps:

``plan``          the job's chunks (keyset bounds and item counts), when it starts
``open_runtime``  per worker process, once per job: load and compile what every chunk needs
``load_chunk``    inside the claim's transaction: read the chunk's inputs (a keyset page)
``run_chunk``     outside any transaction, under a renewed lease: do the work (no queries)
``commit_chunk``  inside the chunk's commit transaction: record its results (idempotently)
``finalize``      once every chunk is done: assemble outputs, return the report

Kinds live in their domains (``documents.render`` in ``documents/``, ``audiences.import`` in
``audiences/``) and are registered by the application wiring (``brandloom.wiring``), so this
package never imports a domain.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from brandloom.errors import BrandloomError

if TYPE_CHECKING:
    from brandloom.jobs.models import Job, JobChunk
    from brandloom.jobs.threshold import ErrorThreshold
    from brandloom.settings import Settings

RuntimeT = TypeVar("RuntimeT")


@dataclass(frozen=True, slots=True)
class ChunkPlan:
    """One chunk as planned: keyset bounds (``after_key < key <= last_key``) and its items."""

    after_key: str | None
    last_key: str | None
    items: int


@dataclass(slots=True)
class ChunkRun:
    """What ``run_chunk`` produced: engine-read ``stats`` plus the kind's own ``result``.

    ``stats["items"]`` (units done) and ``stats["failed"]`` (units that failed, counted by the
    error threshold) move the job's counters; ``stats["by_code"]`` names the failures. Stats
    are stored with the chunk; ``result`` goes to ``commit_chunk`` only.
    """

    stats: dict[str, Any]
    result: Any = None


@dataclass(frozen=True, slots=True)
class WorkerContext:
    """What a kind's runtime may use beside its job: this process's database and settings."""

    factory: sessionmaker[Session]
    settings: Settings | None = None


class JobKind(Protocol[RuntimeT]):
    """One kind of job. Implementations are stateless; per-job state lives in the runtime."""

    name: str
    # How the error threshold's message names failed items ("documents failed QA").
    failure_noun: str

    def plan(self, session: Session, job: Job) -> Iterable[ChunkPlan]:
        """The job's chunks. May raise ``BrandloomError``: the job then fails with it."""
        ...

    def open_runtime(self, session: Session, job: Job, context: WorkerContext) -> RuntimeT:
        """Per worker process, once per job: everything every chunk needs, loaded once."""
        ...

    def load_chunk(self, session: Session, runtime: RuntimeT, chunk: JobChunk) -> Any:
        """The chunk's inputs, read in the transaction that claimed it."""
        ...

    def run_chunk(self, runtime: RuntimeT, index: int, work: Any) -> ChunkRun:
        """Do the chunk's work. Running it twice must give the same outputs."""
        ...

    def commit_chunk(self, session: Session, runtime: RuntimeT, index: int, run: ChunkRun) -> None:
        """Record the chunk's results; called only by the first commit of the chunk."""
        ...

    def finalize(self, session: Session, job: Job, *, settings: Settings | None) -> dict[str, Any]:
        """Assemble the job's outputs once every chunk is done; returns its report."""
        ...

    def threshold(self, job: Job) -> ErrorThreshold | None:
        """The job's error threshold (None: the job never pauses itself)."""
        ...

    def on_failed(self, session: Session, job: Job) -> None:
        """The job just failed: mark what it was producing as failed too."""
        ...


@dataclass
class KindRegistry:
    """Kinds by name. The application wiring registers each kind once per process.

    ``setup`` names the function that filled the registry (``"module:function"``): worker
    processes spawned by this one call it first, so they know the same kinds.
    """

    kinds: dict[str, JobKind[Any]] = field(default_factory=dict)
    setup: str | None = None

    def register(self, kind: JobKind[Any]) -> None:
        existing = self.kinds.get(kind.name)
        if existing is not None and existing is not kind:
            raise ValueError(f"job kind {kind.name!r} is registered already")
        self.kinds[kind.name] = kind

    def get(self, name: str) -> JobKind[Any]:
        try:
            return self.kinds[name]
        except KeyError:
            known = ", ".join(sorted(self.kinds)) or "none"
            raise BrandloomError(
                f"unknown job kind {name!r} (registered: {known})", code="job.unknown_kind"
            ) from None

    def names(self) -> list[str]:
        return sorted(self.kinds)


def run_setup(path: str | None) -> None:
    """Call the ``"module:function"`` that registers this application's kinds."""
    if not path:
        return
    module, _, function = path.partition(":")
    getattr(importlib.import_module(module), function)()


REGISTRY = KindRegistry()
register = REGISTRY.register
get_kind = REGISTRY.get
