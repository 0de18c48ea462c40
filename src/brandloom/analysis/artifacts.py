"""Versioned model artifacts shipped inside the package.

An artifact is named ``<task>.<data>.v<N>`` (``emotion.goemotions.v1``) and lives in
``brandloom/analysis/models/``:

- ``<name>.npz`` -- the learned arrays plus a ``__meta__`` entry holding a JSON object (labels,
  vocabulary, thresholds, the figures measured at training time). It is read with
  ``allow_pickle=False``: an artifact is data, never code.
- ``<name>.md`` -- the model card: data and license, training command, measured figures, size.
- optional side files that share the name (``<name>.onnx``, ``<name>.tokenizer.json``).

Artifacts are read lazily and once per process (``load``); a command that needs no model reads none.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile
import threading
import zipfile
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

import numpy as np

from brandloom.errors import BrandloomError

_META_KEY = "__meta__"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+\.v[0-9]+$")
_FILE_PATTERN = re.compile(r"^([a-z][a-z0-9_]*\.[a-z0-9_]+\.v[0-9]+)\.[a-z.]+$")


def cache_dir() -> Path | None:
    """Where brandloom keeps files it can always rebuild (unpacked models): ``BRANDLOOM_CACHE_DIR``,
    else the user's cache directory; None when the variable is set empty (no cache)."""
    configured = os.environ.get("BRANDLOOM_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    import platformdirs

    return Path(platformdirs.user_cache_dir("brandloom", appauthor=False))


def write_cache_file(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write a cache file atomically (a temporary file renamed over it: a concurrent reader
    never sees half a file); a cache that cannot be written is no error, only slower."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


class ArtifactError(BrandloomError):
    """A model artifact is missing or unreadable (a broken install, not bad user input)."""

    code = "analysis.model_unavailable"
    status = 503


@dataclass(frozen=True)
class Artifact:
    """A model's learned state: named arrays and a JSON-serializable ``meta`` mapping."""

    name: str
    meta: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not NAME_PATTERN.match(self.name):
            raise ValueError(f"artifact name {self.name!r} is not <task>.<data>.v<N>")

    def to_bytes(self) -> bytes:
        """Serialize as an ``.npz`` archive (compressed, no pickles)."""
        meta = json.dumps({"name": self.name, **self.meta}, ensure_ascii=False, sort_keys=True)
        buffer = io.BytesIO()
        arrays = dict(self.arrays)
        arrays[_META_KEY] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, *, expected_name: str | None = None) -> Artifact:
        """Read what ``to_bytes`` wrote; refuses an archive whose name is not the expected one."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in archive.files}
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            raise ArtifactError(f"model artifact is unreadable: {exc}") from exc
        raw_meta = arrays.pop(_META_KEY, None)
        if raw_meta is None:
            raise ArtifactError("model artifact has no metadata")
        meta = json.loads(raw_meta.tobytes().decode("utf-8"))
        name = meta.pop("name")
        if expected_name is not None and name != expected_name:
            raise ArtifactError(f"model artifact holds {name!r}, expected {expected_name!r}")
        return cls(name=name, meta=meta, arrays=arrays)

    def save(self, directory: Path) -> Path:
        """Write ``<directory>/<name>.npz`` (training scripts call this)."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.name}.npz"
        path.write_bytes(self.to_bytes())
        return path


def models_dir() -> Path:
    """The package folder that holds the shipped artifacts."""
    return Path(str(resources.files("brandloom.analysis") / "models"))


def artifact_path(name: str, suffix: str = ".npz") -> Path:
    """Where artifact ``name``'s file with ``suffix`` lives; raises when it is not installed."""
    if not NAME_PATTERN.match(name):
        raise ValueError(f"artifact name {name!r} is not <task>.<data>.v<N>")
    path = models_dir() / f"{name}{suffix}"
    if not path.is_file():
        raise ArtifactError(
            f"model file {path.name} is not installed (expected in {path.parent}); "
            "reinstall brandloom or rebuild the models with `make models`"
        )
    return path


@cache
def load(name: str) -> Artifact:
    """The shipped artifact ``name``, read once per process."""
    return Artifact.from_bytes(artifact_path(name).read_bytes(), expected_name=name)


T = TypeVar("T")
_opened: dict[Hashable, Any] = {}
_opened_lock = threading.RLock()  # re-entrant: a model may open the one it builds on


def opened_once(key: Hashable, open_model: Callable[[], T]) -> T:
    """What ``open_model`` returns, built once per process for ``key`` even when several
    threads ask at the same time (each model's ``load``)."""
    with _opened_lock:
        if key not in _opened:
            _opened[key] = open_model()
        return cast(T, _opened[key])


def shipped() -> list[dict[str, Any]]:
    """Every shipped artifact with its files' total size in bytes (for ``brandloom models``)."""
    found: dict[str, int] = {}
    for path in sorted(models_dir().iterdir()):
        match = _FILE_PATTERN.match(path.name)
        if match and path.is_file():
            found[match[1]] = found.get(match[1], 0) + path.stat().st_size
    return [{"name": name, "bytes": size} for name, size in found.items()]
