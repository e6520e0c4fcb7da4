"""blob_put: file first, then the row and its ledger event in one transaction; the row is append-only."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.db import DatabaseError, connection, transaction

from liuhen.ledger.blobstore import services
from liuhen.ledger.blobstore.backends import LocalBlobStore, get_store
from liuhen.ledger.blobstore.errors import BlobStoreMisconfigured
from liuhen.ledger.blobstore.models import Blob, BlobImmutable
from liuhen.ledger.blobstore.selectors import blob_get, blob_open
from liuhen.ledger.blobstore.services import blob_put
from liuhen.ledger.blobstore.verification import verify_blobs
from liuhen.ledger.models import Event


@pytest.fixture
def officer(make_agency, make_user):
    return make_user(make_agency(), "officer")


@pytest.mark.clause("integ-audit-trail-traceability", "integ-no-tamper-original")
def test_blob_put__writes_the_file_the_row_and_one_event(db, blob_settings, officer):
    data = b"\x00\x01 record " * 5000
    blob = blob_put(actor=officer, stream=io.BytesIO(data))
    sha256 = hashlib.sha256(data).hexdigest()
    assert blob.created is True
    assert (blob.sha256, blob.sm3, blob.size, blob.backend) == (
        sha256,
        hashlib.new("sm3", data).hexdigest(),
        len(data),
        "local",
    )
    assert blob.first_stored_by_id == officer.pk
    assert blob_get(sha256=sha256) == blob
    with blob_open(sha256=sha256) as stream:
        assert stream.read() == data
    event = Event.objects.get(action="blob.stored")
    assert (event.object_type, event.object_id, event.actor_id) == ("blob", sha256, officer.pk)
    assert get_store().exists(sha256)


def test_blob_put__duplicate_content_adds_no_row_and_no_event(db, blob_settings, officer):
    first = blob_put(actor=officer, stream=b"same")
    events = Event.objects.count()
    again = blob_put(actor="采集站", stream=iter([b"sa", b"me"]))
    assert again.created is False
    assert again.sha256 == first.sha256
    assert again.first_stored_by_id == officer.pk
    assert Blob.objects.count() == 1
    assert Event.objects.count() == events


def test_blob_put__a_failed_write_leaves_no_row_and_no_event(db, blob_settings):
    def broken():
        yield b"partial"
        raise OSError("disk full")

    with pytest.raises(OSError):
        blob_put(actor="测试", stream=broken())
    assert not Blob.objects.exists()
    assert not Event.objects.filter(action="blob.stored").exists()
    assert list(get_store().keys()) == []


def test_blob_put__crash_between_file_and_row_leaves_an_untracked_blob_that_the_next_put_adopts(
    db, blob_settings, monkeypatch
):
    def ledger_down(**kwargs):
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(services, "record", ledger_down)
    with pytest.raises(RuntimeError):
        blob_put(actor="测试", stream=b"orphan")
    sha256 = hashlib.sha256(b"orphan").hexdigest()
    assert not Blob.objects.exists()  # the row rolled back with its event
    assert [f.code for f in verify_blobs()] == ["blob_untracked"]
    monkeypatch.undo()
    blob = blob_put(actor="测试", stream=b"orphan")
    assert blob.created is True and blob.sha256 == sha256
    assert verify_blobs() == []


@pytest.mark.clause("integ-no-tamper-original")
def test_blob_rows_refuse_update_and_delete_in_the_orm(db, blob_settings):
    blob = blob_put(actor="测试", stream=b"immutable")
    with pytest.raises(BlobImmutable):
        Blob.objects.filter(pk=blob.pk).update(size=1)
    with pytest.raises(BlobImmutable):
        Blob.objects.filter(pk=blob.pk).delete()
    with pytest.raises(BlobImmutable):
        blob.delete()
    blob.size = 1
    with pytest.raises(BlobImmutable):
        blob.save()


@pytest.mark.clause("integ-no-tamper-original")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE blobstore_blob SET size = 1 WHERE sha256 = %s",
        "UPDATE blobstore_blob SET sm3 = 'x' WHERE sha256 = %s",
        "DELETE FROM blobstore_blob WHERE sha256 = %s",
    ],
)
def test_blob_rows_refuse_update_and_delete_in_the_database(db, blob_settings, sql):
    blob = blob_put(actor="测试", stream=b"guarded")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [blob.sha256])
    row = Blob.objects.get(pk=blob.pk)
    assert (row.size, row.sm3) == (blob.size, blob.sm3)


def test_get_store__follows_the_settings(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "a"
    store = get_store()
    assert isinstance(store, LocalBlobStore) and store.root == tmp_path / "a"
    assert get_store() is store
    settings.LIUHEN_STORAGE = "floppy"
    with pytest.raises(BlobStoreMisconfigured):
        get_store()
