"""The S3 backend against a real S3-compatible server (SeaweedFS), with and without object lock.

Clauses integ-no-tamper-original (nothing incomplete under a final key, no overwrite) and
integ-no-destroy-within-retention (the server itself refuses to delete a locked blob).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os

import pytest
from botocore.exceptions import ClientError

from liuhen.ledger.blobstore.backends.s3 import S3BlobStore
from liuhen.ledger.blobstore.errors import BlobNotFound

MiB = 1024 * 1024


def _store(server, bucket: str, **kwargs) -> S3BlobStore:
    return S3BlobStore(
        endpoint=server.endpoint,
        bucket=bucket,
        access_key=server.access_key,
        secret_key=server.secret_key,
        part_size=5 * MiB,
        **kwargs,
    )


def _leftovers(store: S3BlobStore) -> tuple[list, list]:
    client = store.client
    versions = client.list_object_versions(Bucket=store.bucket, Prefix=store.tmp_prefix)
    uploads = client.list_multipart_uploads(Bucket=store.bucket, Prefix=store.tmp_prefix)
    return versions.get("Versions", []) + versions.get("DeleteMarkers", []), uploads.get("Uploads", [])


@pytest.fixture
def locked(s3_server) -> S3BlobStore:
    return _store(s3_server, s3_server.new_bucket(object_lock=True), lock_days=1)


@pytest.fixture
def plain(s3_server) -> S3BlobStore:
    return _store(s3_server, s3_server.new_bucket(object_lock=False), lock_days=1)


@pytest.mark.clause("integ-no-tamper-original", "integ-no-destroy-within-retention")
def test_multipart_put__digests_final_key_metadata_and_retention(locked):
    data = os.urandom(12 * MiB + 123)  # three parts of 5 MiB, 5 MiB, 2 MiB+
    chunks = (data[i : i + MiB] for i in range(0, len(data), MiB))
    result = locked.put(chunks)
    sha256 = hashlib.sha256(data).hexdigest()
    assert (result.sha256, result.sm3, result.size, result.created) == (
        sha256,
        hashlib.new("sm3", data).hexdigest(),
        len(data),
        True,
    )
    head = locked.client.head_object(Bucket=locked.bucket, Key=f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}")
    assert head["Metadata"] == {"sha256": sha256, "sm3": result.sm3}
    with locked.open(sha256) as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == sha256
    mode, until = locked.retention(sha256)
    now = dt.datetime.now(dt.UTC)
    assert mode == "COMPLIANCE"
    assert now + dt.timedelta(hours=23) < until <= now + dt.timedelta(days=1, minutes=5)
    assert list(locked.keys()) == [sha256]
    assert _leftovers(locked) == ([], [])


@pytest.mark.clause("integ-no-destroy-within-retention")
def test_a_locked_blob_cannot_be_deleted_even_with_the_storage_credentials(locked):
    result = locked.put(b"evidence")
    key = locked.object_key(result.sha256)
    version = locked.client.head_object(Bucket=locked.bucket, Key=key)["VersionId"]
    with pytest.raises(ClientError) as refused:
        locked.client.delete_object(Bucket=locked.bucket, Key=key, VersionId=version)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    with locked.open(result.sha256) as stream:
        assert stream.read() == b"evidence"


def test_retention_only_grows(locked):
    result = locked.put(b"kept longer")
    _, before = locked.retention(result.sha256)
    later = before + dt.timedelta(days=30)
    assert locked.extend_retention(result.sha256, later) is True
    assert locked.retention(result.sha256)[1] >= later - dt.timedelta(seconds=1)
    assert locked.extend_retention(result.sha256, before) is True  # asking for less changes nothing
    assert locked.retention(result.sha256)[1] >= later - dt.timedelta(seconds=1)


def test_same_content_again_is_a_no_op(locked):
    first = locked.put(io.BytesIO(b"twice"))
    again = locked.put(iter([b"tw", b"ice"]))
    assert (again.sha256, again.created) == (first.sha256, False)
    key = locked.object_key(first.sha256)
    versions = locked.client.list_object_versions(Bucket=locked.bucket, Prefix=key)["Versions"]
    assert len(versions) == 1
    assert _leftovers(locked) == ([], [])


def test_a_bucket_without_object_lock_stores_without_retention(plain):
    result = plain.put(b"no lock here")
    assert plain.lock_supported is False
    assert plain.retention(result.sha256) is None
    assert plain.extend_retention(result.sha256, dt.datetime.now(dt.UTC)) is False
    assert plain.exists(result.sha256) and plain.size(result.sha256) == len(b"no lock here")
    assert not plain.exists("0" * 64)
    with pytest.raises(BlobNotFound):
        plain.open("0" * 64)


@pytest.mark.clause("integ-no-tamper-original")
def test_an_interrupted_upload_leaves_nothing_under_a_final_key(locked):
    def broken():
        yield os.urandom(11 * MiB)  # two parts sent
        raise ConnectionResetError("camera unplugged")

    with pytest.raises(ConnectionResetError):
        locked.put(broken())
    assert list(locked.keys()) == []
    assert _leftovers(locked) == ([], [])  # the multipart upload was aborted


def test_cleanup_removes_what_a_killed_writer_left_and_keeps_blobs(plain):
    stored = plain.put(b"a stored blob")
    client = plain.client
    client.create_multipart_upload(Bucket=plain.bucket, Key="tmp/killed-upload")
    client.put_object(Bucket=plain.bucket, Key="tmp/killed-small", Body=b"half")
    assert plain.cleanup(min_age_seconds=3600) == 0  # too young to be sure the writer is gone
    assert plain.cleanup(min_age_seconds=0) == 2
    assert _leftovers(plain) == ([], [])
    assert list(plain.keys()) == [stored.sha256]


@pytest.mark.clause("resp-tamper-delete")
def test_verify_blobs_on_s3__changed_missing_untracked(db, plain):
    from liuhen.ledger.blobstore.services import blob_put
    from liuhen.ledger.blobstore.verification import verify_blobs

    changed, missing, intact = (blob_put(actor="测试", stream=f"s3 blob {i}".encode(), store=plain) for i in range(3))
    assert verify_blobs(store=plain) == []
    client = plain.client
    client.put_object(Bucket=plain.bucket, Key=plain.object_key(changed.sha256), Body=b"forged")
    client.delete_object(Bucket=plain.bucket, Key=plain.object_key(missing.sha256))
    extra = plain.put(b"slipped in")
    found = {(f.code, f.item) for f in verify_blobs(store=plain)}
    assert found == {
        ("blob_changed", f"blob:{changed.sha256}"),
        ("blob_missing", f"blob:{missing.sha256}"),
        ("blob_untracked", f"blob:{extra.sha256}"),
    }
    assert intact.backend == "s3"


def test_get_store__s3_from_the_settings(s3_server, settings):
    from liuhen.ledger.blobstore.backends import get_store

    settings.LIUHEN_STORAGE = "s3"
    settings.LIUHEN_S3_ENDPOINT = s3_server.endpoint
    settings.LIUHEN_S3_BUCKET = s3_server.new_bucket(object_lock=True)
    settings.LIUHEN_S3_ACCESS_KEY = s3_server.access_key
    settings.LIUHEN_S3_SECRET_KEY = s3_server.secret_key
    settings.LIUHEN_S3_OBJECT_LOCK_DAYS = 2
    store = get_store()
    assert isinstance(store, S3BlobStore) and store.bucket == settings.LIUHEN_S3_BUCKET
    result = store.put(b"configured")
    assert store.retention(result.sha256)[0] == "COMPLIANCE"
