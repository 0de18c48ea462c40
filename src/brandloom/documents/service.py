"""Reading a finished (or running) job's documents back: one file, or the whole archive.

Documents are read through the job's output store (a local folder or a bucket) and handed out
as blocks, so a response never holds a large document or a job's archive in memory.
"""

from __future__ import annotations

import base64
import zipfile
from collections.abc import Iterator
from typing import IO

import orjson
from sqlalchemy.orm import Session

from brandloom.documents.formats.registry import MEDIA_TYPES, get_format
from brandloom.documents.models import DocumentRecord
from brandloom.documents.repository import DocumentRepository
from brandloom.documents.sinks import JsonlSink, ZipSink
from brandloom.errors import BrandloomError, ConflictError, NotFoundError
from brandloom.jobs.models import Job
from brandloom.settings import Settings
from brandloom.storage import CHUNK_SIZE, Store, open_location
from brandloom.workspaces.models import Workspace

__all__ = [
    "MEDIA_TYPES",
    "RENDER_KIND",
    "get_document",
    "read_document",
    "stream_archive",
    "stream_document",
]

RENDER_KIND = "documents.render"
"""The name of the render job kind (``documents.kind``): only its jobs have documents."""


def outputs_of(job: Job) -> str:
    """A render job's output location; other kinds of job have no documents (404)."""
    if job.kind != RENDER_KIND or job.out_dir is None:
        raise NotFoundError(f"job {job.id} is a {job.kind} job: it has no documents")
    return job.out_dir


def get_document(session: Session, workspace: Workspace, *, job: Job, key: str) -> DocumentRecord:
    """The record of contact ``key`` in ``job``; 404 ``document.not_found`` when the job has no
    such contact (a contact that failed QA has a record: see :func:`stream_document`)."""
    record = DocumentRepository(session, workspace).document(job.id, key)
    if record is None:
        raise NotFoundError(
            f"job {job.id} has no contact '{key}'", code="document.not_found", details={"key": key}
        )
    return record


def _gone() -> NotFoundError:
    return NotFoundError("document file is gone (retention?)", code="document.gone")


def stream_document(
    job: Job,
    record: DocumentRecord,
    fmt: str,
    *,
    settings: Settings | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[bytes]:
    """One document as blocks, from whichever sink the job wrote to.

    Every error (unknown format, QA failure, missing file, job not done) is raised here, before
    the first block, so a response can still report it with a proper status. A contact whose
    document failed QA exists but has no files: 409 ``document.qa_failed``, with the QA findings
    in ``details["qa"]`` (what to fix), unlike the 404 for a contact the job does not have.
    """
    rel = record.files.get(fmt)
    if rel is None:
        if record.qa_status == "fail":
            failed = [i for i in record.qa_issues if i["severity"] == "fail"]
            reasons = "; ".join(f"{i['code']}: {i['message']}" for i in failed)
            raise ConflictError(
                f"the document for '{record.key}' failed QA and was not written ({reasons})",
                code="document.qa_failed",
                details={"key": record.key, "qa": {"status": "fail", "issues": record.qa_issues}},
            )
        raise NotFoundError(f"no '{fmt}' document for '{record.key}'", code="document.not_found")
    store = open_location(outputs_of(job), settings)
    sink = job.params["spec"].get("sink") or "dir"
    if sink == "dir":
        try:
            return store.iter_bytes(rel, chunk_size)
        except FileNotFoundError:
            raise _gone() from None
    if job.state != "done":
        raise BrandloomError(
            f"the {sink} sink assembles documents when the job is done",
            code="document.not_ready",
            status=409,
        )
    if sink == "zip":
        return _zip_entry(store, rel, chunk_size)
    data = _jsonl_document(store, record.key, fmt)
    return (data[i : i + chunk_size] for i in range(0, len(data), chunk_size))


def read_document(
    job: Job, record: DocumentRecord, fmt: str, *, settings: Settings | None = None
) -> bytes:
    """The bytes of one document (see :func:`stream_document` for large ones)."""
    return b"".join(stream_document(job, record, fmt, settings=settings))


def _zip_entry(store: Store, rel: str, chunk_size: int) -> Iterator[bytes]:
    try:
        reader = store.open_reader(ZipSink.archive)
    except FileNotFoundError:
        raise _gone() from None
    try:
        archive = zipfile.ZipFile(reader)
        entry = archive.open(rel)
    except KeyError:
        reader.close()
        raise NotFoundError(f"'{rel}' is not in {ZipSink.archive}", code="document.gone") from None
    except BaseException:
        reader.close()
        raise
    return _entry_blocks(reader, archive, entry, chunk_size)


def _entry_blocks(
    reader: IO[bytes], archive: zipfile.ZipFile, entry: IO[bytes], chunk_size: int
) -> Iterator[bytes]:
    with reader, archive, entry:
        while block := entry.read(chunk_size):
            yield block


def _jsonl_document(store: Store, key: str, fmt: str) -> bytes:
    # Lines start with the key as orjson wrote it: other contacts' lines are skipped unparsed.
    prefix = b'{"key":' + orjson.dumps(key) + b","
    try:
        reader = store.open_reader(JsonlSink.stream)
    except FileNotFoundError:
        raise _gone() from None
    with reader:
        for line in reader:
            if not line.startswith(prefix):
                continue
            item = orjson.loads(line)
            value: str = item["formats"][fmt]
            if get_format(fmt).binary:
                return base64.b64decode(value)
            return value.encode("utf-8")
    raise NotFoundError(f"'{key}' is not in the JSONL output", code="document.not_found")


class _Pipe:
    """A write-only file object that hands out what was written so far (for streaming zips)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self._size += len(data)
        return len(data)

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        return None

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def stream_archive(job: Job, *, settings: Settings | None = None) -> Iterator[bytes]:
    """A zip of the job's outputs, produced while it is sent (never whole in memory).

    A zip-sink job's ``documents.zip`` is sent as stored; otherwise every output (not the
    working state under ``.brandloom``) is zipped on the fly, one block at a time.
    """
    store = open_location(outputs_of(job), settings)
    if (job.params["spec"].get("sink") or "dir") == "zip":
        try:
            return store.iter_bytes(ZipSink.archive)
        except FileNotFoundError:
            pass
    files = sorted(
        (rel for rel in store.list() if not rel.startswith(".")),
        key=lambda rel: rel.split("/"),
    )
    return _zip_stream(store, files)


def _zip_stream(store: Store, files: list[str]) -> Iterator[bytes]:
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:  # type: ignore[call-overload]
        for rel in files:
            try:
                blocks = store.iter_bytes(rel)
            except FileNotFoundError:
                continue  # removed since it was listed
            info = zipfile.ZipInfo(rel, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as dst:
                for block in blocks:
                    dst.write(block)
                    if data := pipe.drain():
                        yield data
            if data := pipe.drain():
                yield data
    if data := pipe.drain():
        yield data
