"""A prefix in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, ...), through obstore.

Large objects are written as multipart uploads while they are produced and read as ranged or
streamed GETs, so memory stays bounded by a buffer, never by the object's size.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

import obstore
from obstore.exceptions import BaseError as ObstoreError
from obstore.store import S3Store as ObjectStoreS3

from brandloom.storage.base import CHUNK_SIZE, StorageError, Store, Writer, check_path, check_prefix

if TYPE_CHECKING:
    from obstore import ReadableFile, WritableFile
    from obstore.store import S3Config

T = TypeVar("T")

# Multipart part size for streamed uploads (S3 needs at least 5 MiB per part but the last).
UPLOAD_PART_SIZE = 8 << 20
# Parts uploaded at once: bounds upload memory to about UPLOAD_PART_SIZE * (this + 1).
UPLOAD_CONCURRENCY = 4
# Documents of one chunk written at once by ``put_many``.
PUT_CONCURRENCY = 16
# Keys per bulk delete request (the S3 maximum).
DELETE_BATCH = 1000


class S3Store(Store):
    """Objects under ``prefix`` in ``bucket``; the client may be shared by many such stores."""

    def __init__(self, client: ObjectStoreS3, *, bucket: str, prefix: str = "") -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = check_prefix(prefix)
        self.location = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"

    @classmethod
    def connect(
        cls,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        allow_http: bool = False,
    ) -> S3Store:
        """A store with its own client. Prefer ``open_location``, which shares clients."""
        return cls(
            _client(bucket, endpoint_url, region, access_key_id, secret_access_key, allow_http),
            bucket=bucket,
            prefix=prefix,
        )

    def child(self, prefix: str) -> S3Store:
        prefix = check_prefix(prefix)
        if not prefix:
            return self
        return S3Store(self._client, bucket=self.bucket, prefix=self._key(prefix))

    def _key(self, path: str) -> str:
        check_path(path)
        return f"{self.prefix}/{path}" if self.prefix else path

    def _folder(self, prefix: str) -> str | None:
        prefix = check_prefix(prefix)
        if prefix:
            return self._key(prefix)
        return self.prefix or None

    def _error(self, what: str, path: str, exc: ObstoreError) -> StorageError:
        # obstore messages end with a multi-line debug dump; the first line says it all.
        text = str(exc).strip()
        detail = text.splitlines()[0] if text else type(exc).__name__
        where = f"{self.location}/{path}" if path else self.location
        return StorageError(f"storage {what} failed for {where}: {detail}")

    def _call(self, what: str, path: str, fn: Callable[[], T]) -> T:
        """Run an obstore call; its errors become a ``StorageError`` naming the object.

        ``FileNotFoundError`` is kept for reads (a missing object); when writing, it can only
        mean the bucket itself is missing.
        """
        try:
            return fn()
        except ObstoreError as exc:
            raise self._error(what, path, exc) from None
        except FileNotFoundError:
            if what == "read":
                raise
            where = f"{self.location}/{path}" if path else self.location
            raise StorageError(
                f"storage {what} failed for {where}: bucket {self.bucket} not found"
            ) from None

    def put(self, path: str, data: bytes) -> None:
        key = self._key(path)
        self._call("write", path, lambda: obstore.put(self._client, key, data))

    def put_many(self, items: Iterable[tuple[str, bytes]]) -> None:
        batch = [(self._key(path), path, data) for path, data in items]
        if not batch:
            return

        def one(item: tuple[str, str, bytes]) -> None:
            key, path, data = item
            self._call("write", path, lambda: obstore.put(self._client, key, data))

        with ThreadPoolExecutor(max_workers=min(PUT_CONCURRENCY, len(batch))) as pool:
            for _ in pool.map(one, batch):
                pass

    @contextmanager
    def open_writer(self, path: str) -> Iterator[Writer]:
        key = self._key(path)
        raw = self._call(
            "write",
            path,
            lambda: obstore.open_writer(
                self._client,
                key,
                buffer_size=UPLOAD_PART_SIZE,
                max_concurrency=UPLOAD_CONCURRENCY,
            ),
        )
        try:
            # obstore's writer completes the upload on a clean exit and aborts it on an error.
            with raw:
                writer = _CoalescingWriter(raw)
                yield writer
                writer.flush()
        except ObstoreError as exc:
            raise self._error("write", path, exc) from None

    @contextmanager
    def staged_file(self, path: str) -> Iterator[Path]:
        key = self._key(path)
        fd, name = tempfile.mkstemp(prefix="brandloom-", suffix=".part")
        os.close(fd)
        tmp = Path(name)
        try:
            yield tmp
            self._call(
                "upload",
                path,
                lambda: obstore.put(
                    self._client,
                    key,
                    tmp,
                    chunk_size=UPLOAD_PART_SIZE,
                    max_concurrency=UPLOAD_CONCURRENCY,
                ),
            )
        finally:
            tmp.unlink(missing_ok=True)

    def get(self, path: str) -> bytes:
        key = self._key(path)
        return self._call("read", path, lambda: bytes(obstore.get(self._client, key).bytes()))

    def open_reader(self, path: str) -> BinaryIO:
        key = self._key(path)
        raw = self._call(
            "read",
            path,
            lambda: obstore.open_reader(self._client, key, buffer_size=CHUNK_SIZE),
        )
        return io.BufferedReader(_ObjectReader(raw, lambda fn: self._call("read", path, fn)))

    def iter_bytes(self, path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        key = self._key(path)
        result = self._call("read", path, lambda: obstore.get(self._client, key))
        stream = result.stream(min_chunk_size=chunk_size)
        return _rechunk(self, path, stream, chunk_size)

    def exists(self, path: str) -> bool:
        try:
            self.size(path)
        except FileNotFoundError:
            return False
        return True

    def size(self, path: str) -> int:
        key = self._key(path)
        return self._call("read", path, lambda: obstore.head(self._client, key)["size"])

    def list(self, prefix: str = "") -> Iterator[str]:
        folder = self._folder(prefix)
        strip = len(self.prefix) + 1 if self.prefix else 0
        pages = self._call("list", prefix, lambda: obstore.list(self._client, folder))
        while True:
            page = self._call("list", prefix, lambda: next(pages, None))
            if page is None:
                return
            for meta in page:
                yield meta["path"][strip:]

    def delete(self, path: str) -> None:
        key = self._key(path)
        self._call("delete", path, lambda: obstore.delete(self._client, key))

    def delete_prefix(self, prefix: str) -> None:
        folder = self._folder(prefix)
        if folder is None:
            raise StorageError(
                f"refusing to delete everything in the bucket {self.bucket}",
                code="storage.bad_path",
            )
        keys = [self._key(rel) for rel in self.list(prefix)]
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start : start + DELETE_BATCH]
            self._call("delete", prefix, partial(obstore.delete, self._client, batch))

    def is_empty(self) -> bool:
        pages = self._call(
            "list", "", lambda: obstore.list(self._client, self.prefix or None, chunk_size=1)
        )
        return not self._call("list", "", lambda: next(pages, None))


class _CoalescingWriter:
    """Gathers small writes (a JSON line, a CSV row) before handing them to obstore."""

    def __init__(self, raw: WritableFile, size: int = 1 << 20) -> None:
        self._raw = raw
        self._buffer = bytearray()
        self._size = size

    def write(self, data: bytes, /) -> int:
        self._buffer += data
        if len(self._buffer) >= self._size:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            self._raw.write(bytes(self._buffer))
            self._buffer.clear()


class _ObjectReader(io.RawIOBase):
    """A seekable raw stream over obstore's ranged reader, for ``io.BufferedReader``."""

    def __init__(self, raw: ReadableFile, call: Callable[[Callable[[], bytes]], bytes]) -> None:
        self._raw = raw
        self._call = call

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        data = self._call(lambda: bytes(self._raw.read(len(view))))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def _rechunk(
    store: S3Store, path: str, stream: Iterator[bytes], chunk_size: int
) -> Iterator[bytes]:
    """Blocks of at most ``chunk_size`` bytes from obstore's (slightly larger) stream pieces."""
    while True:
        piece = store._call("read", path, lambda: next(stream, None))
        if piece is None:
            return
        view = memoryview(piece)
        for start in range(0, len(view), chunk_size):
            yield bytes(view[start : start + chunk_size])


@lru_cache(maxsize=32)
def _cached_client(
    bucket: str,
    endpoint_url: str | None,
    region: str,
    access_key_id: str | None,
    secret_access_key: str | None,
    allow_http: bool,
    pid: int,
) -> ObjectStoreS3:
    del pid  # part of the key only: a forked worker builds its own client (and runtime)
    return _client(bucket, endpoint_url, region, access_key_id, secret_access_key, allow_http)


def _client(
    bucket: str,
    endpoint_url: str | None,
    region: str,
    access_key_id: str | None,
    secret_access_key: str | None,
    allow_http: bool,
) -> ObjectStoreS3:
    if endpoint_url and endpoint_url.startswith("http://") and not allow_http:
        raise StorageError(
            "BRANDLOOM_S3_ENDPOINT_URL is a plain http:// URL; set BRANDLOOM_S3_ALLOW_HTTP=true "
            "to allow unencrypted connections",
            code="storage.bad_config",
            status=500,
        )
    if (access_key_id is None) != (secret_access_key is None):
        raise StorageError(
            "set both BRANDLOOM_S3_ACCESS_KEY_ID and BRANDLOOM_S3_SECRET_ACCESS_KEY, or neither",
            code="storage.bad_config",
            status=500,
        )
    config: S3Config = {"region": region}
    if endpoint_url:
        config["endpoint"] = endpoint_url
    if access_key_id is not None and secret_access_key is not None:
        config["access_key_id"] = access_key_id
        config["secret_access_key"] = secret_access_key
    try:
        return ObjectStoreS3(
            bucket,
            config=config,
            client_options={"allow_http": allow_http},
        )
    except ObstoreError as exc:
        # The message names the setting at fault; the config (with the secret) is not echoed.
        raise StorageError(
            f"cannot configure S3 storage for bucket {bucket}: {type(exc).__name__}",
            code="storage.bad_config",
            status=500,
        ) from None


def cached_client(
    bucket: str,
    *,
    endpoint_url: str | None,
    region: str,
    access_key_id: str | None,
    secret_access_key: str | None,
    allow_http: bool,
) -> ObjectStoreS3:
    """One client (connection pool) per bucket and configuration, per process."""
    return _cached_client(
        bucket, endpoint_url, region, access_key_id, secret_access_key, allow_http, os.getpid()
    )
