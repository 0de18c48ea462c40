"""Where rendered documents go: a directory tree, a zip archive, or one JSONL stream.

Every sink writes a chunk idempotently (rewriting a chunk yields the same bytes), and anything
that must be assembled across chunks (zip, JSONL) is built from per-chunk parts at finalize, in
chunk order, so an interrupted and resumed job produces the same bytes as an uninterrupted one.
"""

from __future__ import annotations

import base64
import os
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import orjson

STATE_DIR = ".brandloom"
# Zip entries carry a fixed timestamp so archives are byte-identical between runs.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
BINARY_FORMATS = frozenset({"pdf", "docx"})


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


def part_path(out: Path, sink: str, index: int, suffix: str) -> Path:
    return out / STATE_DIR / "parts" / sink / f"chunk-{index:07d}.{suffix}"


class DirSink:
    """``<out>/<format>/<file>``, written in place; a rerun overwrites them identically."""

    name = "dir"

    def __init__(self, out: Path, formats: Sequence[str]) -> None:
        self.out = out
        for fmt in formats:
            (out / fmt).mkdir(parents=True, exist_ok=True)

    def write_chunk(self, index: int, documents: Sequence[RenderedDocument]) -> None:
        out = self.out
        for doc in documents:
            for rel, data in doc.files.values():
                with open(out / rel, "wb") as fh:
                    fh.write(data)

    def finalize(self, chunks: int) -> list[str]:
        return []


class ZipSink:
    """``<out>/documents.zip`` with entries ``<format>/<file>``, assembled from per-chunk parts."""

    name = "zip"
    archive = "documents.zip"

    def __init__(self, out: Path, formats: Sequence[str]) -> None:
        self.out = out
        (out / STATE_DIR / "parts" / self.name).mkdir(parents=True, exist_ok=True)

    def write_chunk(self, index: int, documents: Sequence[RenderedDocument]) -> None:
        target = part_path(self.out, self.name, index, "zip")
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for doc in documents:
                for rel, data in doc.files.values():
                    info = zipfile.ZipInfo(rel, date_time=ZIP_EPOCH)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    zf.writestr(info, data)
        os.replace(tmp, target)

    def finalize(self, chunks: int) -> list[str]:
        final = self.out / self.archive
        tmp = final.with_name(f".{final.name}.tmp")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as out:
            for index in range(chunks):
                part = part_path(self.out, self.name, index, "zip")
                if not part.exists():
                    continue
                with zipfile.ZipFile(part) as zin:
                    for info in zin.infolist():
                        with zin.open(info) as src, out.open(info, "w") as dst:
                            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, final)
        return [self.archive]


class JsonlSink:
    """``<out>/documents.jsonl``: one object per contact with every rendered part and format."""

    name = "jsonl"
    stream = "documents.jsonl"

    def __init__(self, out: Path, formats: Sequence[str]) -> None:
        self.out = out
        (out / STATE_DIR / "parts" / self.name).mkdir(parents=True, exist_ok=True)

    def write_chunk(self, index: int, documents: Sequence[RenderedDocument]) -> None:
        target = part_path(self.out, self.name, index, "jsonl")
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        # Streamed line by line: a chunk's documents are never held twice in memory.
        with open(tmp, "wb") as fh:
            for doc in documents:
                formats: dict[str, str] = {}
                for fmt, (_rel, data) in doc.files.items():
                    if fmt in BINARY_FORMATS:
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
        os.replace(tmp, target)

    def finalize(self, chunks: int) -> list[str]:
        final = self.out / self.stream
        tmp = final.with_name(f".{final.name}.tmp")
        with open(tmp, "wb") as dst:
            for index in range(chunks):
                part = part_path(self.out, self.name, index, "jsonl")
                if part.exists():
                    with open(part, "rb") as src:
                        shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, final)
        return [self.stream]


def make_sink(name: str, out: Path, formats: Sequence[str]) -> Sink:
    sinks: dict[str, type[DirSink] | type[ZipSink] | type[JsonlSink]] = {
        "dir": DirSink,
        "zip": ZipSink,
        "jsonl": JsonlSink,
    }
    return sinks[name](out, formats)
