"""verify_blobs: every fault injected beneath the application is found and named (resp-tamper-delete)."""

from __future__ import annotations

import os
import random

import pytest

from liuhen.ledger.blobstore.backends import get_store
from liuhen.ledger.blobstore.services import blob_put
from liuhen.ledger.blobstore.verification import verify_blobs

pytestmark = pytest.mark.clause("resp-tamper-delete")


@pytest.fixture
def stored(db, blob_settings):
    return [blob_put(actor="测试", stream=os.urandom(10_000 + i)) for i in range(5)]


def _writable(path):
    os.chmod(path, 0o644)
    return path


def test_an_intact_store_has_no_findings(stored):
    assert verify_blobs() == []
    assert verify_blobs(with_sm3=True) == []


def test_a_flipped_byte_is_reported_as_changed(stored):
    victim = stored[2]
    path = _writable(get_store().path(victim.sha256))
    data = bytearray(path.read_bytes())
    data[1234] ^= 0x01
    path.write_bytes(bytes(data))
    findings = verify_blobs()
    assert [(f.code, f.item) for f in findings] == [("blob_changed", f"blob:{victim.sha256}")]
    assert findings[0].detail["actual_sha256"] != victim.sha256
    assert findings[0].detail["actual_size"] == victim.size


def test_a_deleted_blob_is_reported_as_missing(stored):
    victim = stored[0]
    get_store().path(victim.sha256).unlink()
    assert [(f.code, f.item) for f in verify_blobs()] == [("blob_missing", f"blob:{victim.sha256}")]


def test_an_extra_blob_and_a_stray_file_are_reported_as_untracked(stored):
    store = get_store()
    extra = store.put(b"put beside the application")
    stray = store.objects / "ab" / "cd"
    stray.mkdir(parents=True, exist_ok=True)
    (stray / "notes.txt").write_text("hello")
    found = {(f.code, f.item) for f in verify_blobs()}
    assert found == {("blob_untracked", f"blob:{extra.sha256}"), ("blob_untracked", "blob:ab/cd/notes.txt")}


def test_a_truncated_blob_is_reported_as_changed(stored):
    victim = stored[4]
    path = _writable(get_store().path(victim.sha256))
    os.truncate(path, 100)
    (finding,) = verify_blobs()
    assert (finding.code, finding.item, finding.detail["actual_size"]) == ("blob_changed", f"blob:{victim.sha256}", 100)


def test_sample_rehashes_only_a_fraction_but_still_finds_missing_blobs(db, blob_settings, monkeypatch):
    blobs = [blob_put(actor="测试", stream=f"sample {i}".encode()) for i in range(40)]
    from liuhen.ledger.blobstore import verification

    rehashed = []
    real = verification.rehash
    monkeypatch.setattr(verification, "rehash", lambda store, key, **kw: rehashed.append(key) or real(store, key, **kw))
    get_store().path(blobs[7].sha256).unlink()
    findings = verify_blobs(sample=0.25, rng=random.Random(3))
    draws = random.Random(3)
    expected = sum(1 for _ in blobs if draws.random() < 0.25)
    assert len(rehashed) == expected < len(blobs)
    assert [(f.code, f.item) for f in findings] == [("blob_missing", f"blob:{blobs[7].sha256}")]
    with pytest.raises(ValueError):
        verify_blobs(sample=0)
