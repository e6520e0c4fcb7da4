"""Previews and thumbnails: made from real generated media, stored as derived blobs, the original untouched."""

from __future__ import annotations

import hashlib
import io

import av
import pytest
from django.db import IntegrityError, connection, transaction
from django_tasks_db.models import DBTaskResult
from PIL import Image

from liuhen.ledger.blobstore.backends import get_store
from liuhen.ledger.models import Event
from liuhen.ledger.records import verify_records
from liuhen.media.ingest import originals, processing, transcode
from liuhen.media.models import DerivativeKind, MediaDerivative, MediaRecord
from liuhen.media.tests import mediafiles
from liuhen.testing.attacker import attacker

pytestmark = pytest.mark.django_db


def _ingest(staff, path, content_type: str) -> MediaRecord:
    with open(path, "rb") as fh:
        return originals.av_record_ingest(actor=staff.officer, stream=fh, filename=path.name, content_type=content_type)


def _blob(sha256: str) -> bytes:
    with get_store().open(sha256) as fh:
        return fh.read()


@pytest.mark.clause("integ-no-tamper-original")
def test_video__h264_aac_faststart_preview_and_jpeg_thumbnail_original_untouched(staff, media_dir):
    clip = mediafiles.make_mp4(media_dir / "cam.mp4", seconds=3, size=(640, 480))
    original = clip.read_bytes()
    rec = _ingest(staff, clip, "video/mp4")
    made = {d.kind: d for d in processing.av_record_derive(record_id=rec.pk)}
    assert set(made) == {DerivativeKind.PREVIEW, DerivativeKind.THUMBNAIL}
    preview = made[DerivativeKind.PREVIEW]
    assert preview.content_type == "video/mp4" and (preview.width, preview.height) == (480, 360)
    assert preview.duration == pytest.approx(3.0, abs=0.2)
    assert preview.program.startswith("liuhen-preview/1 PyAV") and "libx264" in preview.program
    data = _blob(preview.blob_id)
    assert hashlib.sha256(data).hexdigest() == preview.blob_id and len(data) == preview.size
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: the index comes first, so it streams
    with av.open(io.BytesIO(data)) as c:
        assert [s.codec_context.name for s in c.streams] == ["h264", "aac"]
    thumb = Image.open(io.BytesIO(_blob(made[DerivativeKind.THUMBNAIL].blob_id)))
    assert thumb.format == "JPEG" and thumb.width <= transcode.THUMB_WIDTH
    # the original: same bytes in the store, same record
    assert _blob(rec.blob_id) == original and hashlib.sha256(original).hexdigest() == rec.blob_id
    assert Event.objects.filter(action="av_record.derived", object_type="av_derivative").count() == 2
    assert verify_records() == []


def test_derive__twice_makes_nothing_new(staff, mp4):
    rec = _ingest(staff, mp4, "video/mp4")
    first = sorted(d.pk for d in processing.av_record_derive(record_id=rec.pk))
    again = sorted(d.pk for d in processing.av_record_derive(record_id=rec.pk))
    assert first == again and MediaDerivative.objects.count() == 2
    assert Event.objects.filter(action="av_record.derived").count() == 2


def test_audio__aac_m4a_preview_no_thumbnail(staff, m4a):
    rec = _ingest(staff, m4a, "audio/mp4")
    (preview,) = processing.av_record_derive(record_id=rec.pk)
    assert preview.kind == DerivativeKind.PREVIEW and preview.content_type == "audio/mp4"
    with av.open(io.BytesIO(_blob(preview.blob_id))) as c:
        assert [s.type for s in c.streams] == ["audio"] and c.streams[0].codec_context.name == "aac"


def test_photo__smaller_jpeg_and_thumbnail(staff, media_dir):
    src = media_dir / "big.jpg"
    Image.new("RGB", (2400, 1600), (10, 120, 200)).save(src, "JPEG")
    rec = _ingest(staff, src, "image/jpeg")
    made = {d.kind: d for d in processing.av_record_derive(record_id=rec.pk)}
    assert (made["preview"].width, made["preview"].height) == (1280, 853)
    assert Image.open(io.BytesIO(_blob(made["thumbnail"].blob_id))).size[0] == transcode.THUMB_WIDTH


@pytest.mark.clause("integ-no-tamper-original")
def test_damaged_or_empty__no_preview_and_nothing_recorded(staff, mp4, media_dir):
    truncated = _ingest(staff, mediafiles.truncate(mp4, media_dir / "cut.mp4", keep=0.5), "video/mp4")
    empty = media_dir / "empty.mp4"
    empty.write_bytes(b"")
    nothing = _ingest(staff, empty, "video/mp4")
    assert processing.av_record_derive(record_id=truncated.pk) == []
    assert processing.av_record_derive(record_id=nothing.pk) == []
    assert not MediaDerivative.objects.exists()
    assert verify_records() == []


def test_duplicate_upload__reuses_the_first_records_derived_blobs(staff, mp4):
    first = _ingest(staff, mp4, "video/mp4")
    second = _ingest(staff, mp4, "video/mp4")
    a = {d.kind: d.blob_id for d in processing.av_record_derive(record_id=first.pk)}
    b = {d.kind: d.blob_id for d in processing.av_record_derive(record_id=second.pk)}
    assert a == b and MediaDerivative.objects.count() == 4
    assert verify_records() == []


def test_duplicate_upload__third_copy_and_later_get_one_preview_of_each_kind(staff, mp4):
    """The same bytes uploaded again and again: each copy reuses the derived blobs once per kind (the
    third found the preview and thumbnail of both earlier copies and hit the unique record/kind)."""
    copies = [_ingest(staff, mp4, "video/mp4") for _ in range(4)]
    for rec in copies:
        processing.av_record_derive_task.call(record_id=rec.pk)  # what the worker runs
    made = [{d.kind: d.blob_id for d in MediaDerivative.objects.filter(record=rec)} for rec in copies]
    assert all(m == made[0] for m in made) and set(made[0]) == {DerivativeKind.PREVIEW, DerivativeKind.THUMBNAIL}
    assert MediaDerivative.objects.count() == 8
    assert verify_records() == []


def test_probe_commit__queues_the_preview_task(staff, mp4, django_capture_on_commit_callbacks):
    rec = _ingest(staff, mp4, "video/mp4")
    with django_capture_on_commit_callbacks(execute=True):
        processing.av_record_probe(record_id=rec.pk)
    queued = DBTaskResult.objects.filter(task_path="liuhen.media.ingest.processing.av_record_derive_task")
    assert queued.count() == 1 and queued.get().args_kwargs["kwargs"] == {"record_id": rec.pk}


def test_derivative_row__write_once_and_verify_finds_an_edit(staff, mp4):
    from liuhen.core.writeonce import RecordImmutable

    rec = _ingest(staff, mp4, "video/mp4")
    row = processing.av_record_derive(record_id=rec.pk)[0]
    with pytest.raises(RecordImmutable):
        row.save()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE media_mediaderivative SET program = 'forged' WHERE id = %s", [row.pk])
    with attacker(), connection.cursor() as cur:
        cur.execute("UPDATE media_mediaderivative SET program = 'forged' WHERE id = %s", [row.pk])
    found = [(f.code, f.item, f.detail.get("columns")) for f in verify_records()]
    assert found == [("record_row_edited", f"record:media.MediaDerivative:{row.pk}", ["program"])]
