"""The local store: content-addressed, write-once, durable before visible, memory flat (integ-no-tamper-original)."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tracemalloc

import pytest

from liuhen.ledger.blobstore.backends import BlobStore, LocalBlobStore
from liuhen.ledger.blobstore.errors import BlobKeyInvalid, BlobNotFound

pytestmark = pytest.mark.clause("integ-no-tamper-original")

FORBIDDEN = ("delete", "remove", "overwrite", "replace", "unlink", "put_at", "write", "truncate")


def test_interface_has_no_overwrite_or_delete():
    from liuhen.ledger.blobstore.backends.s3 import S3BlobStore

    for cls in (BlobStore, LocalBlobStore, S3BlobStore):
        public = {name for name in dir(cls) if not name.startswith("_")}
        assert not public & set(FORBIDDEN), cls


def test_put__returns_both_digests_and_stores_a_read_only_file_at_the_sharded_path(local_store):
    data = os.urandom(200_000)
    result = local_store.put(io.BytesIO(data))
    sha256 = hashlib.sha256(data).hexdigest()
    assert (result.sha256, result.sm3, result.size, result.created) == (
        sha256,
        hashlib.new("sm3", data).hexdigest(),
        len(data),
        True,
    )
    path = local_store.objects / sha256[:2] / sha256[2:4] / sha256
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert list(local_store.tmp.iterdir()) == []
    assert isinstance(local_store, BlobStore)


def test_put__same_content_again_is_a_no_op_that_keeps_the_first_file(local_store):
    data = b"the same bytes" * 1000
    first = local_store.put(data)
    inode = local_store.path(first.sha256).stat().st_ino
    again = local_store.put(iter([data[:5000], data[5000:]]))
    assert again.created is False
    assert again.sha256 == first.sha256 and again.sm3 == first.sm3
    assert local_store.path(first.sha256).stat().st_ino == inode
    assert list(local_store.keys()) == [first.sha256]
    assert list(local_store.tmp.iterdir()) == []


def test_put__empty_stream_is_a_blob_too(local_store):
    result = local_store.put(iter([]))
    assert result.sha256 == hashlib.sha256(b"").hexdigest()
    assert result.size == 0
    assert local_store.size(result.sha256) == 0


def test_read_exists_size_and_sorted_keys(local_store):
    results = [local_store.put(f"blob {i}".encode()) for i in range(8)]
    for result in results:
        with local_store.open(result.sha256) as stream:
            assert hashlib.sha256(stream.read()).hexdigest() == result.sha256
        assert local_store.exists(result.sha256)
        assert local_store.size(result.sha256) == result.size
    assert list(local_store.keys()) == sorted(r.sha256 for r in results)


def test_missing_and_malformed_keys_are_refused(local_store):
    missing = "0" * 64
    assert not local_store.exists(missing)
    with pytest.raises(BlobNotFound):
        local_store.open(missing)
    with pytest.raises(BlobNotFound):
        local_store.size(missing)
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63, "0" * 63 + "/", ""):
        with pytest.raises(BlobKeyInvalid):
            local_store.open(bad)


def test_put__a_failing_stream_leaves_nothing_behind(local_store):
    def broken():
        yield b"x" * 100_000
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        local_store.put(broken())
    assert list(local_store.keys()) == []
    assert list(local_store.tmp.iterdir()) == []


def test_put__memory_stays_flat_for_a_stream_many_times_the_chunk_size(tmp_path):
    chunk = 256 * 1024
    store = LocalBlobStore(tmp_path / "flat", chunk_size=chunk)
    total = 96  # chunks

    def stream():
        for i in range(total):
            yield bytes([i % 251]) * chunk

    tracemalloc.start()
    try:
        result = store.put(stream())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.size == total * chunk
    # queue depth + the chunk in hand + the producer's: a handful of chunks, not the stream
    assert peak < 12 * chunk, peak


def test_cleanup__leaves_stored_blobs_alone(local_store):
    result = local_store.put(b"keep me")
    assert local_store.cleanup(min_age_seconds=0) == 0
    assert local_store.path(result.sha256).read_bytes() == b"keep me"
