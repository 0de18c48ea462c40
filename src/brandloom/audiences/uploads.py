"""Uploaded audience files: streamed from the request into storage, hashed on the way.

Where they land: ``<storage_url>/uploads/<workspace>/<upload id>/<file>`` when object storage is
configured (so workers on any machine can import them), else the data dir's uploads folder.
The import deletes the file once the audience holds its rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import anyio.to_thread
from fastapi import UploadFile

from brandloom.db.base import utcnow
from brandloom.errors import ValidationFailed
from brandloom.kit.ids import new_id
from brandloom.settings import Settings
from brandloom.storage import is_remote, join_location, open_location

COPY_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class Upload:
    location: str  # the stored file: a local path or an s3:// location
    sha256: str
    size: int
    received_at: datetime


def uploads_location(settings: Settings, workspace_id: str) -> str:
    if settings.storage_url:
        return join_location(settings.storage_url, "uploads", workspace_id, new_id("up"))
    return str(settings.uploads_dir / workspace_id / new_id("up"))


async def stream_upload(
    file: UploadFile, settings: Settings, workspace_id: str, filename: str, *, limit: int
) -> Upload:
    """Copy the request's file into storage block by block; refuse it past ``limit`` bytes.

    Nothing blocking runs on the event loop: reads are awaited, and writes to a bucket go
    through a worker thread (a local write of one block takes about a millisecond).
    """
    folder = uploads_location(settings, workspace_id)
    store = open_location(folder, settings)
    remote = is_remote(folder)
    digest = hashlib.sha256()
    size = 0
    try:
        with store.open_writer(filename) as out:
            while block := await file.read(COPY_BLOCK):
                size += len(block)
                if size > limit:
                    raise ValidationFailed(
                        f"upload larger than {limit} bytes",
                        code="audience.too_large",
                        status=413,
                    )
                digest.update(block)
                if remote:
                    await anyio.to_thread.run_sync(out.write, block)
                else:
                    out.write(block)
    except BaseException:
        store.delete_prefix("")
        raise
    location = join_location(folder, filename) if remote else str(Path(store.location) / filename)
    # Whole seconds, like a file's modification time.
    received = utcnow().replace(microsecond=0)
    return Upload(location=location, sha256=digest.hexdigest(), size=size, received_at=received)
