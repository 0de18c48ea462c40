"""Every sink writes the same bytes to a bucket as to a local folder, part by part."""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO

import pytest

from brandloom.documents.sinks import PARTS_DIR, RenderedDocument, make_sink
from brandloom.storage import CHUNK_SIZE, LocalStore, Store, Writer, download_tree
from tests.factories import tree_bytes

FORMATS = ("html", "txt", "pdf")


def _documents(chunk: int, size: int = 5) -> list[RenderedDocument]:
    docs = []
    for i in range(size):
        key = f"user{chunk:03d}{i:03d}@example.com"
        html = f"<p>Hello {key}</p>".encode()
        docs.append(
            RenderedDocument(
                key=key,
                row=chunk * size + i + 1,
                variant="A" if i % 2 else None,
                qa_status="pass",
                files={
                    "html": (f"html/{key}.html", html),
                    "txt": (f"txt/{key}.txt", f"Hello {key}".encode()),
                    "pdf": (f"pdf/{key}.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 3),
                },
                parts={"subject": f"Hi {key}"},
            )
        )
    return docs


def _run(store: Store, sink_name: str, order: list[int]) -> None:
    sink = make_sink(sink_name, store, FORMATS)
    for index in order:
        sink.write_chunk(index, _documents(index))
    sink.finalize(4)


@pytest.mark.parametrize("sink_name", ["dir", "zip", "jsonl"])
def test_sinks_write_identical_bytes_to_a_bucket(
    sink_name: str, s3_store: Store, tmp_path: Path
) -> None:
    local = LocalStore(tmp_path / "local")
    _run(local, sink_name, [0, 1, 2, 3])
    # Out of order and with a chunk rendered twice, as after a worker crash and a retry.
    _run(s3_store, sink_name, [2, 0, 3, 1, 2])

    if sink_name != "dir":
        parts = sorted(s3_store.list(PARTS_DIR))
        assert len(parts) == 4 and parts[0].startswith(f"{PARTS_DIR}/{sink_name}/chunk-")
    copy = tmp_path / "from-bucket"
    download_tree(s3_store, copy)
    expected, actual = tree_bytes(tmp_path / "local"), tree_bytes(copy)
    assert expected and expected == actual

    if sink_name == "zip":
        with zipfile.ZipFile(io.BytesIO(actual["documents.zip"])) as zf:
            assert len(zf.namelist()) == 4 * 5 * len(FORMATS)
            assert zf.namelist()[0] == "html/user000000@example.com.html"
    if sink_name == "jsonl":
        lines = actual["documents.jsonl"].decode().splitlines()
        assert [json.loads(line)["row"] for line in lines] == list(range(1, 21))


class _Measured(Store):
    """Delegates to a store and records the largest block that crossed it in either direction.

    (tracemalloc cannot tell: the in-process S3 server keeps its objects on the same heap.)
    """

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.location = inner.location
        self.largest = 0

    def _seen(self, size: int) -> None:
        self.largest = max(self.largest, size)

    def child(self, prefix: str) -> Store:
        raise NotImplementedError

    def put(self, path: str, data: bytes) -> None:
        self._seen(len(data))
        self.inner.put(path, data)

    @contextmanager
    def open_writer(self, path: str) -> Iterator[Writer]:
        with self.inner.open_writer(path) as raw:
            outer = self

            class _W:
                def write(self, data: bytes, /) -> int:
                    outer._seen(len(data))
                    return raw.write(data)

            yield _W()

    def staged_file(self, path: str) -> AbstractContextManager[Path]:
        return self.inner.staged_file(path)

    def get(self, path: str) -> bytes:
        data = self.inner.get(path)
        self._seen(len(data))
        return data

    def open_reader(self, path: str) -> BinaryIO:
        reader = self.inner.open_reader(path)
        outer = self
        read = reader.read

        def measured_read(size: int | None = -1, /) -> bytes:
            data = read(size)
            outer._seen(len(data))
            return data

        reader.read = measured_read  # type: ignore[method-assign]
        return reader

    def iter_bytes(self, path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        blocks = self.inner.iter_bytes(path, chunk_size)

        def measured() -> Iterator[bytes]:
            for block in blocks:
                self._seen(len(block))
                yield block

        return measured()

    def exists(self, path: str) -> bool:
        return self.inner.exists(path)

    def size(self, path: str) -> int:
        return self.inner.size(path)

    def list(self, prefix: str = "") -> Iterator[str]:
        return self.inner.list(prefix)

    def delete(self, path: str) -> None:
        self.inner.delete(path)

    def delete_prefix(self, prefix: str) -> None:
        self.inner.delete_prefix(prefix)

    def is_empty(self) -> bool:
        return self.inner.is_empty()


@pytest.mark.parametrize("sink_name", ["zip", "jsonl"])
def test_assembly_moves_one_block_at_a_time(sink_name: str, s3_store: Store) -> None:
    # Eight parts of 1 MiB of incompressible data each: assembly never gathers the job.
    measured = _Measured(s3_store)
    sink = make_sink(sink_name, measured, ("pdf",))
    for index in range(8):
        doc = RenderedDocument(
            key=f"k{index}",
            row=index + 1,
            variant=None,
            qa_status="pass",
            files={"pdf": (f"pdf/k{index}.pdf", os.urandom(1 << 20))},
        )
        sink.write_chunk(index, [doc])
    measured.largest = 0
    sink.finalize(8)
    output = "documents.zip" if sink_name == "zip" else "documents.jsonl"
    assert s3_store.size(output) > 8 << 20
    assert 0 < measured.largest <= CHUNK_SIZE
