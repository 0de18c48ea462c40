"""Both stores behave alike: round trips, atomic publishing, streaming, listing, deletion."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from brandloom.settings import Settings
from brandloom.storage import (
    LocalStore,
    S3Store,
    StorageError,
    Store,
    download_tree,
    join_location,
    open_location,
)
from tests.storage.conftest import SECRET_KEY


def test_round_trip(store: Store) -> None:
    assert store.is_empty()
    store.put("a.txt", b"alpha")
    store.put("html/x@example.com.html", b"<p>x</p>")
    store.put("html/deep/y.html", b"")
    store.put(".brandloom/job.json", b"{}")
    assert store.get("a.txt") == b"alpha"
    assert store.get("html/deep/y.html") == b""
    assert store.exists("html/x@example.com.html") and not store.exists("html/nope.html")
    assert store.size("html/x@example.com.html") == 8
    assert not store.is_empty()
    assert sorted(store.list()) == [
        ".brandloom/job.json",
        "a.txt",
        "html/deep/y.html",
        "html/x@example.com.html",
    ]
    assert sorted(store.list("html")) == ["html/deep/y.html", "html/x@example.com.html"]
    # Prefixes are folders: "htm" is not a prefix of "html/...".
    assert list(store.list("htm")) == []
    assert store.child("html").get("deep/y.html") == b""

    store.put("a.txt", b"replaced")
    assert store.get("a.txt") == b"replaced"
    store.delete("a.txt")
    store.delete("a.txt")  # a missing object is not an error
    assert not store.exists("a.txt")
    store.delete_prefix("html")
    assert sorted(store.list()) == [".brandloom/job.json"]
    store.delete_prefix("")
    assert store.is_empty()


def test_missing_objects_raise_file_not_found(store: Store) -> None:
    for read in (store.get, store.open_reader, store.iter_bytes, store.size):
        with pytest.raises(FileNotFoundError):
            read("missing.bin")


def test_put_many_writes_every_object(store: Store) -> None:
    items = [(f"html/{i:03d}.html", f"<p>{i}</p>".encode()) for i in range(60)]
    store.put_many(items)
    store.put_many(items)  # repeating a chunk rewrites the same bytes
    assert sorted(store.list()) == [path for path, _ in items]
    assert all(store.get(path) == data for path, data in items)


def test_writer_publishes_only_on_a_clean_exit(store: Store) -> None:
    with store.open_writer("out.jsonl") as fh:
        fh.write(b"one\n")
        fh.write(b"two\n")
    assert store.get("out.jsonl") == b"one\ntwo\n"

    with pytest.raises(RuntimeError), store.open_writer("out.jsonl") as fh:
        fh.write(b"half")
        raise RuntimeError("interrupted")
    assert store.get("out.jsonl") == b"one\ntwo\n"
    assert sorted(store.list()) == ["out.jsonl"]  # no temporary left behind


def test_staged_file_publishes_only_on_a_clean_exit(store: Store) -> None:
    with store.staged_file("docs.zip") as tmp:
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.writestr("a.txt", "A")
        assert not store.exists("docs.zip")
    with pytest.raises(RuntimeError), store.staged_file("docs.zip") as tmp:
        tmp.write_bytes(b"garbage")
        raise RuntimeError("interrupted")
    assert not tmp.exists()
    with zipfile.ZipFile(io.BytesIO(store.get("docs.zip"))) as zf:
        assert zf.read("a.txt") == b"A"
    assert sorted(store.list()) == ["docs.zip"]


def test_multi_megabyte_objects_stream_in_bounded_blocks(store: Store) -> None:
    # 13 MiB of incompressible data, written 1 MiB at a time (a multipart upload on S3).
    block = os.urandom(1 << 20)
    expected = hashlib.sha256()
    with store.open_writer("big.bin") as fh:
        for i in range(13):
            piece = bytes([i]) + block[1:]
            expected.update(piece)
            fh.write(piece)
    assert store.size("big.bin") == 13 << 20

    chunk = 256 * 1024
    digest = hashlib.sha256()
    sizes = []
    for part in store.iter_bytes("big.bin", chunk):
        sizes.append(len(part))
        digest.update(part)
    assert digest.hexdigest() == expected.hexdigest()
    assert max(sizes) <= chunk
    assert sum(sizes) == 13 << 20 and len(sizes) >= (13 << 20) // chunk


def test_readers_seek(store: Store) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(50):
            zf.writestr(f"f{i}.txt", f"file {i} " * 1000)
    store.put("a.zip", buffer.getvalue())
    with store.open_reader("a.zip") as reader, zipfile.ZipFile(reader) as zf:
        assert zf.read("f37.txt") == b"file 37 " * 1000
        assert len(zf.namelist()) == 50
    with store.open_reader("a.zip") as reader:
        reader.seek(-4, os.SEEK_END)
        assert reader.read() == buffer.getvalue()[-4:]


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a//b", "a/./b", "", "a\\b"])
def test_paths_never_leave_the_root(store: Store, bad: str) -> None:
    with pytest.raises(StorageError) as info:
        store.put(bad, b"x")
    assert info.value.code == "storage.bad_path"


def test_download_tree_copies_outputs_but_not_working_state(store: Store, tmp_path: Path) -> None:
    store.put("manifest.jsonl", b"{}\n")
    store.put("html/a.html", b"<p>a</p>")
    store.put(".brandloom/parts/jsonl/chunk-0000000.jsonl", b"{}\n")
    target = tmp_path / "copy"
    assert download_tree(store, target) == 2
    assert (target / "html" / "a.html").read_bytes() == b"<p>a</p>"
    assert not (target / ".brandloom").exists()
    assert download_tree(store, tmp_path / "all", include_hidden=True) == 3


# ---------------------------------------------------------------------------------------------
# Locations and settings
# ---------------------------------------------------------------------------------------------


def test_locations_open_the_right_store(s3_settings: Settings, tmp_path: Path) -> None:
    assert isinstance(open_location(str(tmp_path)), LocalStore)
    assert open_location(f"file://{tmp_path}").location == str(tmp_path)
    s3 = open_location("s3://some-bucket/a/b/", s3_settings)
    assert isinstance(s3, S3Store)
    assert s3.location == "s3://some-bucket/a/b"
    assert join_location("s3://b/p/", "jobs", "job_1") == "s3://b/p/jobs/job_1"
    assert join_location(str(tmp_path), "jobs") == str(tmp_path / "jobs")
    with pytest.raises(StorageError, match="gs://"):
        open_location("gs://bucket/x", s3_settings)


def test_credentials_never_come_from_or_show_in_locations(s3_settings: Settings) -> None:
    with pytest.raises(StorageError) as info:
        open_location("s3://AKIA:topsecret@bucket/x", s3_settings)
    assert "topsecret" not in str(info.value)
    store = open_location(f"{s3_settings.storage_url}/x", s3_settings)
    assert SECRET_KEY not in repr(store) and SECRET_KEY not in store.location
    assert SECRET_KEY not in repr(s3_settings) and SECRET_KEY not in str(s3_settings)


def test_storage_errors_name_the_object_and_hide_the_secret(
    s3_endpoint: str, s3_settings: Settings
) -> None:
    store = open_location("s3://no-such-bucket-brandloom/p", s3_settings)
    with pytest.raises(StorageError) as info:
        store.put("a.txt", b"x")
    message = str(info.value)
    assert "s3://no-such-bucket-brandloom/p/a.txt" in message
    assert SECRET_KEY not in message


def test_plain_http_endpoints_need_an_explicit_setting(s3_endpoint: str) -> None:
    settings = Settings(
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id="AKIA",
        s3_secret_access_key=SecretStr("shh-this-is-secret"),
    )
    with pytest.raises(StorageError) as info:
        open_location("s3://bucket-x/p", settings)
    assert "BRANDLOOM_S3_ALLOW_HTTP" in str(info.value)
    assert "shh-this-is-secret" not in str(info.value)


def test_half_a_key_pair_is_refused(s3_endpoint: str) -> None:
    settings = Settings(s3_endpoint_url=s3_endpoint, s3_allow_http=True, s3_access_key_id="A")
    with pytest.raises(StorageError, match="BRANDLOOM_S3_SECRET_ACCESS_KEY"):
        open_location("s3://bucket-y/p", settings)


def test_a_whole_bucket_is_never_deleted(s3_settings: Settings, s3_bucket: str) -> None:
    store = open_location(f"s3://{s3_bucket}", s3_settings)
    store.put("keep.txt", b"x")
    with pytest.raises(StorageError):
        store.delete_prefix("")
    assert store.get("keep.txt") == b"x"


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("storage_url", "gs://bucket/x", "gs://"),
        ("storage_url", "s3:///x", "bucket"),
        ("s3_endpoint_url", "minio:9000", "http"),
    ],
)
def test_settings_reject_bad_storage_values(field: str, value: str, needle: str) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(**{field: value})
    assert field in str(info.value) and needle in str(info.value)


def test_settings_read_storage_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRANDLOOM_STORAGE_URL", "s3://outputs/brandloom")
    monkeypatch.setenv("BRANDLOOM_S3_ENDPOINT_URL", "https://minio.example.com")
    monkeypatch.setenv("BRANDLOOM_S3_SECRET_ACCESS_KEY", "from-env-secret")
    settings = Settings()
    assert settings.storage_url == "s3://outputs/brandloom"
    assert settings.s3_endpoint_url == "https://minio.example.com"
    assert settings.s3_region == "us-east-1" and settings.s3_allow_http is False
    assert settings.s3_secret_access_key is not None
    assert settings.s3_secret_access_key.get_secret_value() == "from-env-secret"
    assert "from-env-secret" not in repr(settings)
