"""Ingest and probing: every original kept as received, damage flagged, duplicates linked, verify clean."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from liuhen.core.errors import PermissionDenied
from liuhen.ledger.blobstore.models import Blob
from liuhen.ledger.models import Event
from liuhen.ledger.records import verify_records
from liuhen.media.continuity import drift
from liuhen.media.ingest import originals, processing, rules, uploads
from liuhen.media.models import DockingReport, Flag, MediaProbe, MediaRecord, Upload, UploadStatus
from liuhen.media.tests import mediafiles
from liuhen.testing.attacker import attacker

pytestmark = pytest.mark.django_db


def _ingest(staff, path, **kw) -> MediaRecord:
    with open(path, "rb") as fh:
        return originals.av_record_ingest(actor=staff.officer, stream=fh, filename=path.name, **kw)


def _probe(rec: MediaRecord) -> MediaProbe:
    return processing.av_record_probe(record_id=rec.pk)


def test_mp4__probed_for_container_codecs_duration_size_time_and_serial(staff, media_dir):
    clip = mediafiles.make_mp4(media_dir / "cam.mp4", seconds=2, serial="CAM-42")
    rec = _ingest(staff, clip, content_type="video/mp4")
    probe = _probe(rec)
    assert probe.readable and probe.kind == "video" and "mp4" in probe.container
    assert (probe.video_codec, probe.audio_codec) == ("h264", "aac")
    assert probe.duration == pytest.approx(2.0, abs=0.2)
    assert (probe.width, probe.height) == (160, 120)
    assert probe.media_created_at == dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
    assert probe.media_device_serial == "CAM-42"
    assert probe.flags == [] and rec.flags == []
    assert _probe(rec).pk == probe.pk  # once only
    assert verify_records() == []


def test_m4a_and_jpeg__probed_as_audio_and_photo(staff, m4a, jpeg):
    audio = _probe(_ingest(staff, m4a, content_type="audio/mp4"))
    assert audio.kind == "audio" and audio.audio_codec == "aac" and audio.video_codec == ""
    photo = _probe(_ingest(staff, jpeg, content_type="image/jpeg"))
    assert photo.kind == "photo" and photo.width == 64
    assert photo.media_created_at == dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)  # EXIF 10:00 Beijing
    assert photo.media_device_serial == "CAM-PHOTO-1"


@pytest.mark.clause("integ-no-tamper-original")
def test_damaged_originals__stored_as_received_and_flagged(staff, mp4, media_dir):
    empty = media_dir / "empty.mp4"
    empty.write_bytes(b"")
    cut = mediafiles.truncate(mp4, media_dir / "cut.mp4", keep=0.5)
    junk = media_dir / "notes.mp4"
    junk.write_bytes(b"this is not a video at all\n" * 10)
    expected = {empty: Flag.EMPTY, cut: Flag.TRUNCATED, junk: Flag.UNREADABLE}
    for path, flag in expected.items():
        rec = _ingest(staff, path, content_type="video/mp4")
        probe = _probe(rec)
        assert not probe.readable and flag.value in (set(rec.flags) | set(probe.flags)), path.name
        blob = Blob.objects.get(pk=rec.blob_id)
        assert blob.size == path.stat().st_size
        assert rec.blob_id == hashlib.sha256(path.read_bytes()).hexdigest()  # kept exactly, not repaired
    assert verify_records() == []


def test_identical_content__same_blob_new_record_flagged_duplicate(staff, mp4):
    first = _ingest(staff, mp4)
    second = _ingest(staff, mp4)
    assert second.blob_id == first.blob_id and second.pk != first.pk
    assert Flag.DUPLICATE.value in second.flags and second.duplicate_of_id == first.pk
    assert Blob.objects.filter(pk=first.blob_id).count() == 1
    assert Flag.DUPLICATE.value not in first.flags
    assert verify_records() == []


def test_duplicate_is_per_agency(staff, other_staff, mp4):
    _ingest(staff, mp4)
    with open(mp4, "rb") as fh:
        theirs = originals.av_record_ingest(actor=other_staff.officer, stream=fh, filename="x.mp4")
    assert theirs.flags == [] and theirs.duplicate_of_id is None


def test_end_before_start__kept_and_flagged(staff, mp4):
    start = timezone.now()
    rec = _ingest(staff, mp4, recorded_start=start, recorded_end=start - dt.timedelta(minutes=5))
    assert Flag.TIMES_INVERTED.value in rec.flags


def test_record_with_case_and_stage__on_the_case_timeline(staff):
    case = staff.open("inspection")
    stage = case.stage
    target = originals.target_resolve(actor=staff.officer, case_ref=str(case.pk), stage_id=stage)
    rec = originals.av_record_ingest(actor=staff.officer, stream=io.BytesIO(b"abc"), filename="a.jpg", target=target)
    assert rec.case_id == case.pk and rec.stage_id == stage
    assert case.timeline.filter(action="av_record.ingested").exists()
    assert verify_records() == []


def test_stage_without_case_or_unknown_stage__refused(staff):
    from liuhen.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        originals.target_resolve(actor=staff.officer, stage_id="investigation")
    case = staff.open("inspection")
    with pytest.raises(ValidationFailed):
        originals.target_resolve(actor=staff.officer, case_ref=str(case.pk), stage_id="no-such-stage")


@pytest.mark.clause("integ-no-tamper-original", "integ-audit-trail-traceability")
def test_record_is_write_once_and_verify_finds_an_edit(staff, mp4):
    from liuhen.core.writeonce import RecordImmutable

    rec = _ingest(staff, mp4)
    with pytest.raises(RecordImmutable):
        rec.save()
    with pytest.raises(RecordImmutable):
        MediaRecord.objects.filter(pk=rec.pk).update(size=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        MediaRecord._base_manager.filter(pk=rec.pk).update(size=1)
    with attacker():
        MediaRecord._base_manager.filter(pk=rec.pk).update(size=1, filename="另一个.mp4", recorded_start=None)
    findings = verify_records()
    assert [f.code for f in findings] == ["record_row_edited"]
    assert set(findings[0].detail["columns"]) >= {"size", "filename"}


def test_uploader_needs_case_work_permission(staff_for, make_user):
    from liuhen.org.rules import Role

    staff = staff_for("national-baseline", code="media-perm")
    auditor = make_user(staff.agency, Role.AUDIT_ADMIN)
    with pytest.raises(PermissionDenied):
        originals.av_record_ingest(actor=auditor, stream=io.BytesIO(b"x"), filename="x.jpg")


def test_ingest_event__committed_with_the_record(staff, mp4):
    rec = _ingest(staff, mp4)
    event = Event.objects.get(action="av_record.ingested", object_id=str(rec.pk))
    assert rec.blob_id in event.payload


def test_docking_report__records_drift(staff):
    station_time = timezone.now()
    report = drift.docking_report_create(
        actor=staff.officer,
        device_serial="CAM-7",
        device_time=station_time + dt.timedelta(seconds=95.5),
        station_time=station_time,
        station="一号采集站",
        time_source="sidecar",
    )
    assert report.drift_seconds == 95.5
    assert DockingReport.objects.get().device_serial == "CAM-7"
    assert verify_records() == []


def test_upload_expiry__removes_temp_files_marks_rows_never_touches_blobs(staff, mp4, settings):
    stale = uploads.upload_create(actor=staff.officer, length=100)
    path = uploads.temp_path(stale)
    path.write_bytes(b"x" * 40)
    done = uploads.upload_create(actor=staff.officer, length=mp4.stat().st_size)
    with open(mp4, "rb") as fh:
        uploads.upload_append(actor=staff.officer, upload_id=done.pk, offset=0, body=fh, content_length=None)
    done.refresh_from_db()
    blob_path = settings.LIUHEN_BLOB_DIR
    blobs_before = sorted(p for p in blob_path.rglob("*") if p.is_file())
    later = timezone.now() + dt.timedelta(hours=settings.LIUHEN_UPLOAD_EXPIRY_HOURS + 1)
    assert uploads.uploads_expire(now=timezone.now()) == 0  # not yet
    assert uploads.uploads_expire(now=later) == 1
    stale.refresh_from_db()
    assert stale.status == UploadStatus.EXPIRED and not path.exists()
    assert Upload.objects.get(pk=done.pk).status == UploadStatus.FINISHED
    assert sorted(p for p in blob_path.rglob("*") if p.is_file()) == blobs_before
    assert verify_records() == []


def test_upload_expiry__configurable_and_runs_as_command(staff, settings):
    settings.LIUHEN_UPLOAD_EXPIRY_HOURS = 0
    upload = uploads.upload_create(actor=staff.officer, length=10)
    call_command("uploads_expire", stdout=io.StringIO())
    upload.refresh_from_db()
    assert upload.status == UploadStatus.EXPIRED


def test_zero_length_upload__finishes_at_creation_as_an_empty_record(staff):
    upload = uploads.upload_create(actor=staff.officer, length=0, metadata_header="filename ZW1wdHkubXA0")
    assert upload.status == UploadStatus.FINISHED
    rec = MediaRecord.objects.get(pk=upload.record_id)
    assert rec.size == 0 and Flag.EMPTY.value in rec.flags and rec.filename == "empty.mp4"


@pytest.mark.parametrize(
    ("raw", "shown", "flags"),
    [
        ("执法记录.mp4", "执法记录.mp4", []),
        ("/abs/path/x.mp4", "x.mp4", [Flag.UNSAFE_FILENAME]),
        ("", "未命名文件", [Flag.UNSAFE_FILENAME]),
        (b"\xc3\x28.mp4", "\ufffd(.mp4", [Flag.INVALID_FILENAME_ENCODING]),
        (b"../\xff", "\ufffd", [Flag.INVALID_FILENAME_ENCODING, Flag.UNSAFE_FILENAME]),
    ],
)
def test_filename_clean(raw, shown, flags):
    name, got = rules.filename_clean(raw)
    assert name == shown
    assert set(got) == {f.value for f in flags}
