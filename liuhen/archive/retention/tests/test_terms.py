"""Retention classes on store, lengthening that only grows, object lock following, ORM refusal logged.

Clauses store-av-retention-min, store-av-permanent-longterm, store-text-retention,
integ-no-destroy-within-retention.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from liuhen.archive.models import RetentionAssignment
from liuhen.archive.retention.errors import RetentionEventUnknown, RetentionWouldShorten
from liuhen.archive.retention.terms import add_period, current_assignments, history, lock_follow, retention_extend
from liuhen.core.writeonce import RecordImmutable
from liuhen.ledger.blobstore.models import Blob, BlobImmutable
from liuhen.ledger.models import Event
from liuhen.media.ingest import originals as media
from liuhen.media.models import MediaRecord


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"


def ingest(staff, data: bytes = b"clip", name: str = "clip.mp4") -> MediaRecord:
    return media.av_record_ingest(actor=staff.officer, stream=data, filename=name, content_type="video/mp4")


@pytest.mark.clause("store-av-retention-min")
@pytest.mark.parametrize(
    ("profile_id", "months"), [("dongxihu-culture", 3), ("naiman-culture", 6), ("changzhi-ethnic-religious", 24)]
)
@pytest.mark.django_db(transaction=True)
def test_av_record_gets_its_profiles_minimum_when_stored(staff_for, profile_id, months):
    staff = staff_for(profile_id)
    rec = ingest(staff, f"clip {profile_id}".encode())
    (row,) = current_assignments("av_record", rec.pk)
    stored_on = timezone.localdate(rec.uploaded_at)
    assert row.retention_class == "av_stored_min"
    assert row.starts_on == stored_on
    assert row.keep_until == add_period(stored_on, months, "months")
    assert row.blob_sha256 == rec.blob_id and not row.permanent
    assert row.profile.startswith(f"{profile_id}@")
    assert Event.objects.filter(action="retention.assigned", object_id=str(row.pk)).exists()


@pytest.mark.django_db
def test_assignment_commits_with_the_record_or_not_at_all(staff_for):
    staff = staff_for("dongxihu-culture")
    with pytest.raises(RuntimeError), transaction.atomic():
        ingest(staff, b"rolled back")
        assert RetentionAssignment.objects.count() == 1  # written inside the same transaction
        raise RuntimeError
    assert RetentionAssignment.objects.count() == 0 and MediaRecord.objects.count() == 0


@pytest.mark.clause("store-av-retention-min")
@pytest.mark.django_db
def test_silent_profile_leaves_the_term_open_so_nothing_is_disposed(staff_for):
    rec = ingest(staff_for("xigang-culture"), b"xigang clip")
    (row,) = current_assignments("av_record", rec.pk)
    assert (row.retention_class, row.keep_until, row.permanent) == ("undetermined", None, False)


@pytest.mark.clause("store-av-permanent-longterm", "integ-no-destroy-within-retention")
@pytest.mark.django_db
def test_lengthening_only_grows(staff_for):
    staff = staff_for("changzhi-ethnic-religious")
    rec = ingest(staff, b"evidence clip")
    (first,) = current_assignments("av_record", rec.pk)
    later = first.keep_until + dt.timedelta(days=400)
    (longer,) = retention_extend(actor=staff.officer, obj=rec, event="other", reason="复议期间", until=later)
    assert longer.supersedes_id == first.pk and longer.keep_until == later
    with pytest.raises(RetentionWouldShorten) as refused:
        retention_extend(actor=staff.officer, obj=rec, event="other", reason="缩短", until=first.keep_until)
    assert refused.value.code == "retention_would_shorten"
    (perm,) = retention_extend(actor=staff.department_head, obj=rec, event="used_as_evidence", reason="作为处罚证据")
    assert perm.permanent and perm.retention_class == "permanent" and perm.trigger == "used_as_evidence"
    with pytest.raises(RetentionWouldShorten):
        retention_extend(actor=staff.officer, obj=rec, event="other", reason="再定日期", until=later.replace(year=2200))
    assert [r.pk for r in history("av_record", rec.pk)] == [first.pk, longer.pk, perm.pk]
    assert current_assignments("av_record", rec.pk) == [perm]


@pytest.mark.clause("store-av-permanent-longterm")
@pytest.mark.django_db
def test_an_event_the_profile_does_not_list_is_refused_without_a_date(staff_for):
    staff = staff_for("naiman-culture")
    rec = ingest(staff, b"naiman clip")
    with pytest.raises(RetentionEventUnknown):
        retention_extend(actor=staff.officer, obj=rec, event="obstruction", reason="阻碍执法")
    (row,) = retention_extend(actor=staff.officer, obj=rec, event="used_as_evidence", reason="作为证据")
    assert (row.retention_class, row.keep_until) == ("with_case_file", None)  # open until the case file is archived


@pytest.mark.clause("integ-no-destroy-within-retention")
@pytest.mark.django_db
def test_orm_deletion_of_a_retained_record_or_blob_is_refused_and_logged(staff_for):
    rec = ingest(staff_for("dongxihu-culture"), b"one month old")
    with pytest.raises(RecordImmutable):
        rec.delete()
    with pytest.raises(RecordImmutable):
        MediaRecord.objects.filter(pk=rec.pk).delete()
    with pytest.raises(BlobImmutable):
        Blob.objects.get(pk=rec.blob_id).delete()
    with pytest.raises(BlobImmutable):
        Blob.objects.filter(pk=rec.blob_id).delete()
    refused = list(Event.objects.filter(action="disposal.early_refused").order_by("seq"))
    assert [e.object_type for e in refused] == ["media.MediaRecord"] * 2 + ["blobstore.Blob"] * 2
    assert all('"within_retention":true' in e.payload for e in refused)
    assert MediaRecord.objects.filter(pk=rec.pk).exists()


@pytest.mark.clause("integ-no-destroy-within-retention")
@pytest.mark.django_db
def test_the_blobs_object_lock_follows_a_dated_term(staff_for, monkeypatch):
    from liuhen.ledger.blobstore.backends import LocalBlobStore

    calls = []
    monkeypatch.setattr(LocalBlobStore, "extend_retention", lambda self, key, until: calls.append((key, until)) or True)
    staff = staff_for("dongxihu-culture")
    with transaction.atomic():
        rec = ingest(staff, b"locked clip")
        (row,) = current_assignments("av_record", rec.pk)
    # on_commit hooks do not run in a test transaction; call what they call
    assert lock_follow(rec.blob_id) is True
    key, until = calls[-1]
    assert key == rec.blob_id and timezone.localdate(until) == row.keep_until + dt.timedelta(days=1)
