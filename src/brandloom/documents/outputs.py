"""A render job's output location: what brandloom writes there, and who may write into it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from brandloom.documents.formats.registry import format_names
from brandloom.documents.sinks import STATE_DIR
from brandloom.errors import BrandloomError, ConflictError
from brandloom.jobs.models import Job
from brandloom.jobs.states import JobState
from brandloom.storage import LocalStore, Store, as_store

MANIFEST = "manifest.jsonl"
REPORT = "report.json"
REJECTED = "rejected.csv"
MARKER = "job.json"

# Outputs a finished job leaves in its folder; a new run into the same folder replaces them.
_OWNED = (
    *format_names(),  # a folder per format
    MANIFEST,
    REPORT,
    REJECTED,
    "documents.zip",
    "documents.jsonl",
    STATE_DIR,
)


def write_marker(out: Path | Store, job: Job) -> None:
    """Mark an output location as brandloom's (names the job writing into it)."""
    as_store(out).put(
        f"{STATE_DIR}/{MARKER}",
        orjson.dumps({"job_id": job.id, "workspace_id": job.workspace_id, "name": job.name}),
    )


def read_marker(out: Path | Store) -> dict[str, Any] | None:
    try:
        data = orjson.loads(as_store(out).get(f"{STATE_DIR}/{MARKER}"))
    except (FileNotFoundError, NotADirectoryError, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def check_out_dir(out: Path | Store, *, previous: Job | None = None, force: bool = False) -> None:
    """Refuse an output folder that holds a job's outputs (finished or not) unless ``force``,
    and always one holding anything brandloom did not write.

    ``previous`` is the newest job recorded for this location. Without ``force`` a new job never
    replaces another's outputs silently: an unfinished one is continued with ``--resume``, a
    finished one is kept unless ``--force`` says to delete it.
    """
    store = as_store(out)
    where = store.location
    if isinstance(store, LocalStore) and store.root.exists() and not store.root.is_dir():
        raise BrandloomError(f"--out {where} is a file, not a folder", code="job.bad_out_dir")
    if store.is_empty():
        return
    marker = read_marker(store)
    if marker is None:
        raise ConflictError(
            f"--out {where} is not empty and holds no brandloom output; choose an empty folder",
            code="job.out_dir_not_empty",
        )
    if force:
        return
    job_id = previous.id if previous is not None else marker.get("job_id", "?")
    if previous is not None and previous.state != JobState.DONE:
        raise ConflictError(
            f"{where} holds an unfinished job ({job_id}, {previous.state}): continue it with "
            "--resume, start over with --force (deletes its outputs), or choose another --out",
            code="job.unfinished",
        )
    raise ConflictError(
        f"{where} holds the outputs of job {job_id}: choose another --out, or give --force "
        "to delete them and start a new job there",
        code="job.out_dir_has_outputs",
    )


def clear_out_dir(out: Path | Store) -> None:
    """Remove a previous finished job's outputs (only what brandloom writes) before a new run."""
    store = as_store(out)
    for name in _OWNED:
        store.delete_prefix(name)
        store.delete(name)
    store.prepare()
