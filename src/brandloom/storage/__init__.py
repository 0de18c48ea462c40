"""Object storage for job outputs: a local folder by default, an S3-compatible bucket by settings.

Everything that writes or reads job outputs goes through a :class:`Store`, so jobs can render on
workers spread over several machines while the API serves their documents from one place.
"""

from brandloom.storage.base import CHUNK_SIZE, StorageError, Store, Writer, check_path
from brandloom.storage.local import LocalStore
from brandloom.storage.locations import (
    api_jobs_location,
    as_store,
    download_tree,
    is_remote,
    join_location,
    open_location,
    parent_location,
    same_location,
)
from brandloom.storage.s3 import S3Store

__all__ = [
    "CHUNK_SIZE",
    "LocalStore",
    "S3Store",
    "StorageError",
    "Store",
    "Writer",
    "api_jobs_location",
    "as_store",
    "check_path",
    "download_tree",
    "is_remote",
    "join_location",
    "open_location",
    "parent_location",
    "same_location",
]
