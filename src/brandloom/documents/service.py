"""Reading a finished (or running) job's documents back: one file, or the whole archive."""

from __future__ import annotations

import base64
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import orjson

from brandloom.documents.models import DocumentRecord
from brandloom.documents.sinks import BINARY_FORMATS, JsonlSink, ZipSink
from brandloom.errors import BrandloomError, NotFoundError
from brandloom.jobs.models import Job

MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "sms": "text/plain; charset=utf-8",
    "eml": "message/rfc822",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def read_document(job: Job, record: DocumentRecord, fmt: str) -> bytes:
    """The bytes of one document, from whichever sink the job wrote to."""
    rel = record.files.get(fmt)
    if rel is None:
        if record.qa_status == "fail":
            codes = ", ".join(i["code"] for i in record.qa_issues if i["severity"] == "fail")
            raise NotFoundError(
                f"'{record.key}' failed QA ({codes}); its documents were not written",
                code="document.not_written",
            )
        raise NotFoundError(f"no '{fmt}' document for '{record.key}'", code="document.not_found")
    out = Path(job.out_dir)
    sink = job.spec["spec"].get("sink") or "dir"
    if sink == "dir":
        try:
            return (out / rel).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(
                "document file is gone (retention?)", code="document.gone"
            ) from None
    if job.state != "done":
        raise BrandloomError(
            f"the {sink} sink assembles documents when the job is done",
            code="document.not_ready",
            status=409,
        )
    if sink == "zip":
        with zipfile.ZipFile(out / ZipSink.archive) as zf:
            return zf.read(rel)
    with open(out / JsonlSink.stream, "rb") as fh:
        for line in fh:
            item = orjson.loads(line)
            if item["key"] == record.key:
                value: str = item["formats"][fmt]
                if fmt in BINARY_FORMATS:
                    return base64.b64decode(value)
                return value.encode("utf-8")
    raise NotFoundError(f"'{record.key}' is not in the JSONL output", code="document.not_found")


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


def stream_archive(job: Job) -> Iterator[bytes]:
    """A zip of the job's output folder, produced while it is sent (never whole in memory)."""
    out = Path(job.out_dir)
    pipe = _Pipe()
    files = sorted(
        p for p in out.rglob("*") if p.is_file() and not p.relative_to(out).parts[0].startswith(".")
    )
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:  # type: ignore[call-overload]
        for path in files:
            info = zipfile.ZipInfo(str(path.relative_to(out)), date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                _copy(src, dst)
                yield pipe.drain()
            yield pipe.drain()
    yield pipe.drain()


def _copy(src: IO[bytes], dst: IO[bytes]) -> None:
    while block := src.read(1 << 20):
        dst.write(block)
