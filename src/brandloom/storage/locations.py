"""Locations (a local folder or ``s3://bucket/prefix``) and the stores they open.

A location names *where*; how to get there (endpoint, credentials) always comes from settings,
so a location can be stored with a job and shown in messages without revealing anything.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from brandloom.settings import Settings, get_settings
from brandloom.storage.base import StorageError, Store, check_path
from brandloom.storage.local import LocalStore
from brandloom.storage.s3 import S3Store, cached_client


def is_remote(location: str) -> bool:
    """Whether the location is in a bucket rather than on the local filesystem."""
    return location.startswith("s3://")


def _split_s3(location: str) -> tuple[str, str]:
    parts = urlsplit(location)
    if "@" in parts.netloc:
        # The location is never echoed here: it carries what looks like credentials.
        raise StorageError(
            "storage locations must not carry credentials; set BRANDLOOM_S3_ACCESS_KEY_ID and "
            "BRANDLOOM_S3_SECRET_ACCESS_KEY instead",
            code="storage.bad_location",
            status=500,
        )
    bucket = parts.netloc
    if not bucket or parts.query or parts.fragment:
        raise StorageError(
            f"expected s3://bucket[/prefix], got {location!r}",
            code="storage.bad_location",
            status=500,
        )
    return bucket, parts.path.strip("/")


def _local_path(location: str) -> Path:
    if location.startswith("file://"):
        return Path(unquote(urlsplit(location).path))
    if "://" in location:
        scheme = location.split("://", 1)[0]
        raise StorageError(
            f"unsupported storage location scheme {scheme}:// (use s3:// or a local folder)",
            code="storage.bad_location",
            status=500,
        )
    return Path(location)


def open_location(location: str | Path, settings: Settings | None = None) -> Store:
    """The store rooted at ``location``: a local folder, ``file://`` URL or ``s3://`` URL.

    ``settings`` supplies the S3 endpoint and credentials; when omitted, the process settings
    (``BRANDLOOM_*`` environment) are used, as on a worker that only knows a job's location.
    """
    if isinstance(location, Path):
        return LocalStore(location)
    if not is_remote(location):
        return LocalStore(_local_path(location))
    bucket, prefix = _split_s3(location)
    settings = settings or get_settings()
    secret = settings.s3_secret_access_key
    client = cached_client(
        bucket,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=secret.get_secret_value() if secret is not None else None,
        allow_http=settings.s3_allow_http,
    )
    return S3Store(client, bucket=bucket, prefix=prefix)


def as_store(out: Store | Path) -> Store:
    return out if isinstance(out, Store) else LocalStore(out)


def join_location(base: str, *parts: str) -> str:
    """``base`` with relative path segments appended (URL or local path alike)."""
    for part in parts:
        check_path(part)
    if is_remote(base) or base.startswith("file://"):
        return "/".join([base.rstrip("/"), *parts])
    return str(Path(base, *parts))


def same_location(a: str, b: str) -> bool:
    """Whether two locations name the same place (local paths are compared resolved)."""
    if is_remote(a) or is_remote(b):
        return a.rstrip("/") == b.rstrip("/")
    return _local_path(a).resolve() == _local_path(b).resolve()


def parent_location(location: str) -> str:
    if is_remote(location) or location.startswith("file://"):
        return location.rstrip("/").rsplit("/", 1)[0]
    return str(Path(location).parent)


def api_jobs_location(settings: Settings) -> str:
    """Where API job outputs go: ``<storage_url>/jobs``, or else the data dir's jobs folder."""
    if settings.storage_url:
        return join_location(settings.storage_url, "jobs")
    return str(settings.jobs_dir)


def download_tree(store: Store, local_dir: Path, *, include_hidden: bool = False) -> int:
    """Copy every object of ``store`` into ``local_dir``, streaming; returns the file count.

    Each file appears under its final name only once complete. Top-level names starting with
    ``.`` (brandloom's working state) are skipped unless ``include_hidden``.
    """
    count = 0
    for rel in sorted(store.list(), key=lambda p: p.split("/")):
        check_path(rel)  # an object named ``../x`` must not escape ``local_dir``
        if not include_hidden and rel.startswith("."):
            continue
        target = local_dir.joinpath(*rel.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.download")
        try:
            with open(tmp, "wb") as fh:
                for block in store.iter_bytes(rel):
                    fh.write(block)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        count += 1
    return count
