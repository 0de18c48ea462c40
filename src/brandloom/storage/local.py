"""A folder on the local filesystem (the default for CLI and single-machine API jobs)."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from brandloom.storage.base import CHUNK_SIZE, StorageError, Store, Writer, check_path, check_prefix


class LocalStore(Store):
    """Objects are files under ``root``; atomic writes go to a temporary name, then ``rename``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def child(self, prefix: str) -> LocalStore:
        prefix = check_prefix(prefix)
        return LocalStore(self.root / prefix) if prefix else self

    def _path(self, path: str) -> Path:
        return self.root / check_path(path)

    def _tmp(self, target: Path) -> Path:
        # Unique per process and call: workers on several machines may share this folder.
        return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")

    def put(self, path: str, data: bytes) -> None:
        with self.staged_file(path) as tmp:
            tmp.write_bytes(data)

    def put_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        # Written in place: these are rewritten identically when a chunk is repeated, so a crash
        # mid-write is repaired by the rerun, and the hot path saves a rename per document.
        root = self.root
        for path, data in items:
            target = root / check_path(path)
            try:
                fh = open(target, "wb")  # noqa: SIM115 - retried below
            except FileNotFoundError:
                target.parent.mkdir(parents=True, exist_ok=True)
                fh = open(target, "wb")  # noqa: SIM115
            with fh:
                fh.write(data)

    @contextmanager
    def open_writer(self, path: str) -> Iterator[Writer]:
        with self.staged_file(path) as tmp, open(tmp, "wb") as fh:
            yield fh

    @contextmanager
    def staged_file(self, path: str) -> Iterator[Path]:
        target = self._path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._tmp(target)
        try:
            yield tmp
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def get(self, path: str) -> bytes:
        return self._path(path).read_bytes()

    def open_reader(self, path: str) -> BinaryIO:
        return open(self._path(path), "rb")

    def iter_bytes(self, path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        return _blocks(open(self._path(path), "rb"), chunk_size)

    def exists(self, path: str) -> bool:
        return self._path(path).is_file()

    def size(self, path: str) -> int:
        return self._path(path).stat().st_size

    def list(self, prefix: str = "") -> Iterator[str]:
        prefix = check_prefix(prefix)
        top = self.root / prefix if prefix else self.root
        base = str(self.root)
        for folder, _dirs, files in os.walk(top):
            rel = os.path.relpath(folder, base)
            for name in files:
                yield name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}"

    def delete(self, path: str) -> None:
        self._path(path).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        prefix = check_prefix(prefix)
        target = self.root / prefix if prefix else self.root
        if not prefix and target.resolve() == Path(target.resolve().anchor):
            raise StorageError("refusing to delete a filesystem root", code="storage.bad_path")
        if target.is_dir():
            shutil.rmtree(target)

    def is_empty(self) -> bool:
        try:
            return not any(self.root.iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return True

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)


def _blocks(fh: BinaryIO, chunk_size: int) -> Iterator[bytes]:
    with fh:
        while block := fh.read(chunk_size):
            yield block
