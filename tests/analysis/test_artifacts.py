"""Versioned artifacts: names, a safe archive format, clear errors when one is missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from brandloom.analysis.artifacts import Artifact, ArtifactError, artifact_path


def test_round_trip_keeps_arrays_and_meta(tmp_path: Path) -> None:
    artifact = Artifact(
        "demo.data.v2", {"labels": ["a", "b"], "note": "größer"}, {"w": np.arange(6.0)}
    )
    path = artifact.save(tmp_path)
    assert path.name == "demo.data.v2.npz"
    back = Artifact.from_bytes(path.read_bytes(), expected_name="demo.data.v2")
    assert back.meta == {"labels": ["a", "b"], "note": "größer"}
    assert np.array_equal(back.arrays["w"], np.arange(6.0))


@pytest.mark.parametrize("name", ["emotion", "emotion.v1", "Emotion.go.v1", "a.b.c.v1", "a.b.1"])
def test_names_must_be_task_data_version(name: str) -> None:
    with pytest.raises(ValueError, match=r"<task>\.<data>\.v<N>"):
        Artifact(name)


def test_an_archive_with_another_name_is_refused() -> None:
    data = Artifact("demo.data.v1").to_bytes()
    with pytest.raises(ArtifactError, match=r"expected 'demo\.data\.v2'"):
        Artifact.from_bytes(data, expected_name="demo.data.v2")


def test_garbage_is_a_clear_error_not_a_crash() -> None:
    with pytest.raises(ArtifactError, match="unreadable"):
        Artifact.from_bytes(b"not an archive")


def test_pickled_arrays_are_never_loaded(tmp_path: Path) -> None:
    # An object array needs pickle: an artifact is data, so it must not load.
    path = tmp_path / "evil.npz"
    np.savez(path, __meta__=np.frombuffer(b'{"name": "evil.data.v1"}', dtype=np.uint8),
             payload=np.array([{"x": 1}], dtype=object))  # fmt: skip
    with pytest.raises(ArtifactError):
        Artifact.from_bytes(path.read_bytes())


def test_a_missing_model_names_its_file() -> None:
    with pytest.raises(ArtifactError, match=r"nothing\.here\.v9\.npz is not installed"):
        artifact_path("nothing.here.v9")
