"""Where rendered documents go: a directory tree, a zip archive, or one JSONL stream.

Every sink writes a chunk idempotently (rewriting a chunk yields the same bytes), and anything
that must be assembled across chunks (zip, JSONL) is built from per-chunk parts at finalize, in
chunk order, so an interrupted and resumed job produces the same bytes as an uninterrupted one.
Sinks write through a :class:`~brandloom.storage.Store` rooted at the job's output location (a
local folder or a bucket prefix) and assemble outputs part by part, never a whole job in memory.
"""

from __future__ import annotations

import base64
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import orjson

from brandloom.documents.formats.registry import binary_formats
from brandloom.storage import Store, as_store

STATE_DIR = ".brandloom"
# Per-chunk parts of assembled outputs, removed once the job is finalized.
PARTS_DIR = f"{STATE_DIR}/parts"
# Zip entries carry a fixed timestamp so archives are byte-identical between runs.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(slots=True)
class RenderedDocument:
    """One contact's send-ready outputs (only for documents that did not fail QA)."""

    key: str
    row: int
    variant: str | None
    qa_status: str
    files: dict[str, tuple[str, bytes]]  # format -> (relative path, content)
    parts: dict[str, str] = field(default_factory=dict)  # rendered text parts for JSONL


class Sink(Protocol):
    name: str

    def write_chunk(self, index: int, documents: Sequence[RenderedDocument]) -> None: ...

    def finalize(self, chunks: int) -> list[str]:
        """Assemble the outputs; returns their paths relative to the output folder."""
        ...


def part_path(sink: str, index: int, suffix: str) -> str:
    """Where a chunk's part is kept until finalize, relative to the output location."""
    return f"{PARTS_DIR}/{sink}/chunk-{index:07d}.{suffix}"


class DirSink:
    """``<out>/<format>/<file>``, written in place; a rerun overwrites them identically."""

    name = "dir"

    def __init__(self, store: Store, formats: Sequence[str]) -> None:
        self.store = store

    def write_chunk(self, index: int, documents: Sequence[RenderedDocument]) -> None:
        self.store.put_many((rel, data) for doc in documents for rel, data in doc.files.values())

    def finalize(self, chunks: int) -> list[str]:
        return []


class ZipSink:
    """``<out>/documents.zip`` with entries ``<format>/<file>``, assembled from per-chunk parts."""

    name = "zip"
    archive = "documents.zip"

    def __init__(self, store: Store, formats: Sequence[str]) -> None:
        self.store = store

    def write_chunk(self, index: int, documents: Sequence[RenderedDocument]) -> None:
        with (
            self.store.staged_file(part_path(self.name, index, "zip")) as tmp,
            zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf,
        ):
            for doc in documents:
                for rel, data in doc.files.values():
                    info = zipfile.ZipInfo(rel, date_time=ZIP_EPOCH)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    zf.writestr(info, data)

    def finalize(self, chunks: int) -> list[str]:
        store = self.store
        # Built in a seekable local file (zip headers are patched after each entry), then
        # published; entries are copied from one part at a time.
        with (
            store.staged_file(self.archive) as tmp,
            zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as out,
        ):
            for index in range(chunks):
                try:
                    reader = store.open_reader(part_path(self.name, index, "zip"))
                except FileNotFoundError:
                    continue
                with reader, zipfile.ZipFile(reader) as zin:
                    for info in zin.infolist():
                        with zin.open(info) as src, out.open(info, "w") as dst:
                            shutil.copyfileobj(src, dst, 1 << 20)
        return [self.archive]


class JsonlSink:
    """``<out>/documents.jsonl``: one object per contact with every rendered part and format."""

    name = "jsonl"
    stream = "documents.jsonl"

    def __init__(self, store: Store, formats: Sequence[str]) -> None:
        self.store = store
        # Binary formats are base64 text in JSON; looked up once, not per document.
        self._binary = binary_formats()

    def write_chunk(self, index: int, documents: Sequence[RenderedDocument]) -> None:
        binary = self._binary
        # Streamed line by line: a chunk's documents are never held twice in memory.
        with self.store.open_writer(part_path(self.name, index, "jsonl")) as fh:
            for doc in documents:
                formats: dict[str, str] = {}
                for fmt, (_rel, data) in doc.files.items():
                    if fmt in binary:
                        formats[fmt] = base64.b64encode(data).decode("ascii")
                    else:
                        formats[fmt] = data.decode("utf-8")
                record = {
                    "key": doc.key,
                    "row": doc.row,
                    "variant": doc.variant,
                    "qa": doc.qa_status,
                    "parts": doc.parts,
                    "formats": formats,
                }
                fh.write(orjson.dumps(record))
                fh.write(b"\n")

    def finalize(self, chunks: int) -> list[str]:
        store = self.store
        with store.open_writer(self.stream) as dst:
            for index in range(chunks):
                try:
                    blocks = store.iter_bytes(part_path(self.name, index, "jsonl"))
                except FileNotFoundError:
                    continue
                for block in blocks:
                    dst.write(block)
        return [self.stream]


def make_sink(name: str, out: Store | Path, formats: Sequence[str]) -> Sink:
    """The named sink writing into ``out`` (a store, or a local folder)."""
    sinks: dict[str, type[DirSink] | type[ZipSink] | type[JsonlSink]] = {
        "dir": DirSink,
        "zip": ZipSink,
        "jsonl": JsonlSink,
    }
    return sinks[name](as_store(out), formats)
