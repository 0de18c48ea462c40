"""The ``audiences.import`` job kind: an uploaded file becomes an audience, off the request.

One chunk: the file is read as a stream and validated row by row (the same code as a
synchronous import), its contacts and rejects written in batches. Run again after a crash, it
first deletes what the interrupted run wrote, so the file is imported exactly once. When the
job fails, so does the audience, with the job's error; render jobs waiting for the audience
then fail with it too.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from brandloom.audiences.models import AudienceState
from brandloom.audiences.reader import open_audience
from brandloom.audiences.repository import AudienceRepository
from brandloom.audiences.service import IMPORT_KIND, fill_audience, options_from_json
from brandloom.db.engine import unit_of_work
from brandloom.errors import NotFoundError
from brandloom.jobs.kinds import ChunkPlan, ChunkRun, WorkerContext
from brandloom.jobs.models import Job, JobChunk
from brandloom.jobs.threshold import ErrorThreshold
from brandloom.settings import Settings
from brandloom.storage import is_remote, open_location


@dataclass(frozen=True, slots=True)
class ImportRuntime:
    job_id: str
    workspace_id: str
    audience_id: str
    source: str
    params: dict[str, Any]
    context: WorkerContext


@contextmanager
def local_copy(source: str, settings: Settings | None) -> Iterator[Path]:
    """The uploaded file as a local path (a bucket's object is downloaded to a temp file)."""
    if not is_remote(source):
        yield Path(source)
        return
    parent, _, name = source.rstrip("/").rpartition("/")
    store = open_location(parent, settings)
    with tempfile.TemporaryDirectory(prefix="brandloom-import-") as tmp:
        target = Path(tmp) / (name or "audience")
        with store.open_reader(name) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        yield target


def delete_source(source: str, settings: Settings | None) -> None:
    """Remove an uploaded file once its import is done (it lives on as the audience)."""
    if is_remote(source):
        parent, _, name = source.rstrip("/").rpartition("/")
        open_location(parent, settings).delete(name)
        return
    path = Path(source)
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()  # the upload's own folder, when empty


class ImportKind:
    """Import an uploaded audience file (see the module docstring)."""

    name = IMPORT_KIND
    failure_noun = "imports failed"

    def plan(self, session: Session, job: Job) -> Iterator[ChunkPlan]:
        yield ChunkPlan(after_key=None, last_key=None, items=1)

    def open_runtime(self, session: Session, job: Job, context: WorkerContext) -> ImportRuntime:
        assert job.audience_id is not None
        return ImportRuntime(
            job_id=job.id,
            workspace_id=job.workspace_id,
            audience_id=job.audience_id,
            source=str(job.params["source"]),
            params=job.params,
            context=context,
        )

    def load_chunk(self, session: Session, runtime: ImportRuntime, chunk: JobChunk) -> None:
        return None

    def run_chunk(self, runtime: ImportRuntime, index: int, work: None) -> ChunkRun:
        """Read and store the whole file in one transaction of its own.

        Unlike a render chunk, this work *is* writing rows; it commits them before the chunk's
        checkpoint, and a repeated run replaces them (``fill_audience`` deletes first).
        """
        options = options_from_json(runtime.params["options"])
        with local_copy(runtime.source, runtime.context.settings) as path:
            reader = open_audience(path, options)
            with unit_of_work(runtime.context.factory) as session:
                audience = AudienceRepository(session, runtime.workspace_id).get(
                    runtime.audience_id
                )
                if audience is None:
                    raise NotFoundError(
                        f"audience '{runtime.audience_id}' not found", code="audience.not_found"
                    )
                fill_audience(session, audience, reader)
                stats = {
                    "items": 1,
                    "rows_read": audience.rows_read,
                    "accepted": audience.accepted,
                    "rejected": audience.rejected,
                }
        return ChunkRun(stats=stats)

    def commit_chunk(
        self, session: Session, runtime: ImportRuntime, index: int, run: ChunkRun
    ) -> None:
        """Nothing more to record: the rows committed with the audience's summary."""

    def threshold(self, job: Job) -> ErrorThreshold | None:
        return None

    def on_failed(self, session: Session, job: Job) -> None:
        if job.audience_id is None:
            return
        audience = AudienceRepository(session, job.workspace_id).get(job.audience_id)
        if audience is not None and audience.state == AudienceState.IMPORTING:
            audience.state = AudienceState.FAILED
            audience.error = job.error

    def finalize(self, session: Session, job: Job, *, settings: Settings | None) -> dict[str, Any]:
        assert job.audience_id is not None
        audience = AudienceRepository(session, job.workspace_id).get(job.audience_id)
        if audience is None:
            raise NotFoundError(f"audience '{job.audience_id}' not found")
        delete_source(str(job.params["source"]), settings)
        return {
            "audience_id": audience.id,
            "rows_read": audience.rows_read,
            "accepted": audience.accepted,
            "rejected": audience.rejected,
            "rejected_by_code": dict(sorted(audience.rejected_by_code.items())),
            "elapsed_s": round(job.elapsed_s, 3),
        }
