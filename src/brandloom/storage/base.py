"""The interface every place that writes or reads job outputs goes through.

A store is rooted at one location (a local folder or a prefix in a bucket) and addresses objects
by relative, ``/``-separated paths such as ``html/ann@example.com.html``. Writers publish an
object only when they finish without error, so a reader never sees half an output.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Protocol

from brandloom.errors import BrandloomError

# Reads are handed out in blocks of at most this many bytes unless told otherwise.
CHUNK_SIZE = 1 << 20


class StorageError(BrandloomError):
    """A storage location that cannot be used, or a storage service that failed."""

    code = "storage.failed"
    status = 502


class Writer(Protocol):
    """What :meth:`Store.open_writer` yields: a sequential, write-only byte sink."""

    def write(self, data: bytes, /) -> int: ...


def check_path(path: str) -> str:
    """A relative object path with no empty, ``.`` or ``..`` segment (never outside the root)."""
    if not path or path.startswith("/") or "\\" in path:
        raise StorageError(f"invalid storage path {path!r}", code="storage.bad_path")
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            raise StorageError(f"invalid storage path {path!r}", code="storage.bad_path")
    return path


def check_prefix(prefix: str) -> str:
    """Like :func:`check_path`, but ``""`` (the whole store) is allowed; a final ``/`` ignored."""
    prefix = prefix.rstrip("/")
    return check_path(prefix) if prefix else ""


class Store(ABC):
    """Objects under one location. Implementations: ``LocalStore`` and ``S3Store``."""

    #: Where the store points, for messages (``/srv/out`` or ``s3://bucket/prefix``; no secrets).
    location: str

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"

    @abstractmethod
    def child(self, prefix: str) -> Store:
        """The store rooted at ``prefix`` inside this one."""

    @abstractmethod
    def put(self, path: str, data: bytes) -> None:
        """Write one object atomically (readers see the old object or the new one)."""

    def put_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Write many objects that are rewritten identically when repeated (e.g. a chunk's
        documents). Stores may write them concurrently or in place; a failure raises after the
        others were attempted, and repeating the call repairs any partial result.
        """
        for path, data in items:
            self.put(path, data)

    @abstractmethod
    def open_writer(self, path: str) -> AbstractContextManager[Writer]:
        """Stream an object of any size; it is published only when the block exits cleanly.

        Memory stays bounded by the store's buffer, whatever the object's size.
        """

    @abstractmethod
    def staged_file(self, path: str) -> AbstractContextManager[Path]:
        """A local, seekable file to fill (e.g. a zip archive); published when the block exits
        cleanly and discarded on error."""

    @abstractmethod
    def get(self, path: str) -> bytes:
        """The whole object (for small objects). Raises ``FileNotFoundError`` when missing."""

    @abstractmethod
    def open_reader(self, path: str) -> BinaryIO:
        """A buffered, seekable reader (random access, e.g. for zip files); close it after use.

        Raises ``FileNotFoundError`` when the object is missing.
        """

    @abstractmethod
    def iter_bytes(self, path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The object as blocks of at most ``chunk_size`` bytes.

        The object is opened before this returns, so a missing object raises
        ``FileNotFoundError`` here rather than part-way through a response.
        """

    @abstractmethod
    def exists(self, path: str) -> bool: ...

    @abstractmethod
    def size(self, path: str) -> int:
        """Size in bytes. Raises ``FileNotFoundError`` when missing."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[str]:
        """Paths of every object under the folder ``prefix`` (recursive, in no set order)."""

    @abstractmethod
    def delete(self, path: str) -> None:
        """Remove one object; a missing object is not an error."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> None:
        """Remove every object under the folder ``prefix`` (``""``: everything in the store)."""

    @abstractmethod
    def is_empty(self) -> bool:
        """Whether the location holds nothing at all."""

    def prepare(self) -> None:  # noqa: B027 - optional hook
        """Make the location ready to write into (creates a local folder; buckets need nothing)."""
