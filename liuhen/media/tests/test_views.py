"""AV pages and file serving: byte ranges, access by case visibility, every read of an original traced."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from liuhen.ledger.models import Event
from liuhen.media.continuity import player, sessions
from liuhen.media.ingest import originals, processing, uploads
from liuhen.media.ingest.serving import ByteRange, Unsatisfiable, range_parse
from liuhen.media.models import MediaRecord
from liuhen.media.tests import mediafiles

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(staff):
    return staff.open("inspection")


def _ingest(staff, path, *, case=None, content_type="video/mp4", serial="") -> MediaRecord:
    target = originals.Target(case=case, stage_id=case.stage if case else "")
    with open(path, "rb") as fh:
        rec = originals.av_record_ingest(
            actor=staff.officer,
            stream=fh,
            filename=path.name,
            content_type=content_type,
            target=target,
            device_serial=serial,
        )
    processing.av_record_probe(record_id=rec.pk)
    processing.av_record_derive(record_id=rec.pk)
    return rec


def _client(client, user):
    client.force_login(user)
    return client


# ---------------------------------------------------------------- ranges


def test_range_parse__single_open_suffix_invalid_and_unsatisfiable():
    assert range_parse("", 1000) is None
    assert range_parse("bytes=0-99", 1000) == ByteRange(0, 99)
    assert range_parse("bytes=900-", 1000) == ByteRange(900, 999)
    assert range_parse("bytes=990-5000", 1000) == ByteRange(990, 999)
    assert range_parse("bytes=-100", 1000) == ByteRange(900, 999)
    assert range_parse("bytes=-5000", 1000) == ByteRange(0, 999)
    assert range_parse("bytes=0-1,5-6", 1000) is None  # several ranges: the whole file
    assert range_parse("items=0-1", 1000) is None
    assert range_parse("bytes=50-10", 1000) is None
    with pytest.raises(Unsatisfiable):
        range_parse("bytes=1000-", 1000)
    with pytest.raises(Unsatisfiable):
        range_parse("bytes=-0", 1000)


def test_original__served_whole_and_in_ranges(client, staff, case, mp4):
    rec = _ingest(staff, mp4, case=case)
    data = mp4.read_bytes()
    c = _client(client, staff.officer)
    url = reverse("media:original", args=[rec.pk])
    whole = c.get(url)
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == data
    assert whole["Accept-Ranges"] == "bytes" and whole["Content-Length"] == str(len(data))
    part = c.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert b"".join(part.streaming_content) == data[100:200]
    tail = c.get(url, headers={"Range": "bytes=-64"})
    assert tail.status_code == 206 and b"".join(tail.streaming_content) == data[-64:]
    past = c.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert past.status_code == 416 and past["Content-Range"] == f"bytes */{len(data)}"
    head = c.head(url, headers={"Range": "bytes=0-9"})
    assert head.status_code == 206 and head["Content-Length"] == "10"
    download = c.get(url + "?download=1")
    assert download["Content-Disposition"].startswith("attachment")


def test_preview_and_thumbnail__served_with_ranges_for_seeking(client, staff, case, mp4):
    rec = _ingest(staff, mp4, case=case)
    c = _client(client, staff.officer)
    preview = c.get(reverse("media:preview", args=[rec.pk]), headers={"Range": "bytes=0-1023"})
    assert preview.status_code == 206 and preview["Content-Type"] == "video/mp4"
    assert len(b"".join(preview.streaming_content)) == 1024
    thumb = c.get(reverse("media:thumbnail", args=[rec.pk]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    etag = thumb["ETag"]
    assert c.get(reverse("media:thumbnail", args=[rec.pk]), headers={"If-None-Match": etag}).status_code == 304


# ---------------------------------------------------------------- who sees what


def test_another_agency__gets_404_everywhere(client, staff, other_staff, case, mp4):
    rec = _ingest(staff, mp4, case=case)
    c = _client(client, other_staff.officer)
    for name in ("record", "original", "preview", "thumbnail"):
        assert c.get(reverse(f"media:{name}", args=[rec.pk])).status_code == 404, name
    for name in ("case", "case_records", "case_section", "timeline"):
        assert c.get(reverse(f"media:{name}", args=[case.pk])).status_code == 404, name
    assert not Event.objects.filter(action__in=["av_record.viewed", "av_record.original_read"]).exists()


def test_officer_not_handling_the_case__does_not_see_its_records(client, staff, case, mp4):
    rec = _ingest(staff, mp4, case=case)
    c = _client(client, staff.outsider)
    assert c.get(reverse("media:record", args=[rec.pk])).status_code == 404
    assert c.get(reverse("media:original", args=[rec.pk])).status_code == 404
    head = _client(client, staff.agency_head)  # sees every case of the agency
    assert head.get(reverse("media:record", args=[rec.pk])).status_code == 200


# ---------------------------------------------------------------- traces


@pytest.mark.clause("integ-audit-trail-traceability")
def test_opening_a_record_and_reading_its_original__in_the_ledger(client, staff, case, mp4):
    rec = _ingest(staff, mp4, case=case)
    c = _client(client, staff.officer)
    page = c.get(reverse("media:record", args=[rec.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert rec.blob_id in html and "h264" in html and reverse("media:preview", args=[rec.pk]) in html
    viewed = Event.objects.get(action="av_record.viewed")
    assert viewed.object_id == str(rec.pk) and viewed.actor_id == staff.officer.pk
    url = reverse("media:original", args=[rec.pk])
    b"".join(c.get(url, headers={"Range": "bytes=0-"}).streaming_content)
    b"".join(c.get(url, headers={"Range": "bytes=500-"}).streaming_content)  # the player seeking on
    b"".join(c.get(url + "?download=1").streaming_content)
    reads = list(Event.objects.filter(action="av_record.original_read").order_by("seq"))
    assert [json.loads(e.payload)["purpose"] for e in reads] == ["play", "download"]
    assert all(e.object_id == str(rec.pk) and e.actor_id == staff.officer.pk for e in reads)
    # the preview is not the original: playing it leaves no read of the original
    b"".join(c.get(reverse("media:preview", args=[rec.pk])).streaming_content)
    assert Event.objects.filter(action="av_record.original_read").count() == 2


# ---------------------------------------------------------------- pages


def test_case_page__has_the_av_section_and_it_lists_thumbnails(client, staff, case, mp4):
    rec = _ingest(staff, mp4, case=case)
    c = _client(client, staff.officer)
    page = c.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("media:case_section", args=[case.pk]) in page and "音像记录" in page
    section = c.get(reverse("media:case_section", args=[case.pk])).content.decode()
    assert reverse("media:thumbnail", args=[rec.pk]) in section
    listing = c.get(reverse("media:case", args=[case.pk])).content.decode()
    assert 'id="av-upload"' in listing and "tus.min.js" in listing and mp4.name in listing


def test_case_media__flags_shown_in_chinese(client, staff, case, mp4):
    _ingest(staff, mp4, case=case)
    _ingest(staff, mp4, case=case)  # the same bytes again
    html = _client(client, staff.officer).get(reverse("media:case_records", args=[case.pk])).content.decode()
    assert "重复上传（内容与已有记录相同）" in html


def test_upload_record__names_the_record_an_upload_became(client, staff, case, mp4):
    import io

    upload = uploads.upload_create(actor=staff.officer, length=mp4.stat().st_size, metadata_header="")
    uploads.upload_append(
        actor=staff.officer,
        upload_id=upload.pk,
        offset=0,
        body=io.BytesIO(mp4.read_bytes()),
        content_length=mp4.stat().st_size,
    )
    c = _client(client, staff.officer)
    data = c.get(reverse("media:upload_record", args=[upload.pk])).json()
    rec = MediaRecord.objects.get()
    assert data["record_id"] == rec.pk and data["url"] == reverse("media:record", args=[rec.pk])
    assert _client(client, staff.officer2).get(reverse("media:upload_record", args=[upload.pk])).status_code == 404


def test_timeline__lanes_per_device_gap_beyond_tolerance_and_overlap(client, staff, case, media_dir):
    a1 = mediafiles.make_mp4(media_dir / "a1.mp4", seconds=2, creation_time="2026-03-01T02:00:00Z", serial="CAM-A")
    a2 = mediafiles.make_mp4(media_dir / "a2.mp4", seconds=2, creation_time="2026-03-01T02:01:00Z", serial="CAM-A")
    a3 = mediafiles.make_mp4(media_dir / "a3.mp4", seconds=2, creation_time="2026-03-01T02:01:03Z", serial="CAM-A")
    b1 = mediafiles.make_mp4(media_dir / "b1.mp4", seconds=3, creation_time="2026-03-01T02:00:01Z", serial="CAM-B")
    late = mediafiles.make_mp4(media_dir / "c.mp4", seconds=2, creation_time="2026-03-02T02:00:00Z", serial="CAM-A")
    for path in (a1, a2, a3, b1, late):
        _ingest(staff, path, case=case)
    blocks = player.case_timeline(case)
    assert len(blocks) == 2  # a day apart: shown apart
    first = blocks[0]
    lanes = {lane.device: lane for lane in first.lanes}
    assert set(lanes) == {"CAM-A", "CAM-B"}
    assert [round(g.seconds) for g in lanes["CAM-A"].gaps] == [58]  # 02:00:02 -> 02:01:00; 1 s is tolerated
    assert lanes["CAM-B"].gaps == []
    assert len(first.overlaps) == 1 and first.overlaps[0].devices == ["CAM-A", "CAM-B"]
    assert all(0 <= s.left <= 100 and s.left + s.width <= 100.7 for lane in first.lanes for s in lane.segments)
    html = _client(client, staff.officer).get(reverse("media:timeline", args=[case.pk])).content.decode()
    assert html.count('data-testid="timeline-segment"') == 5 and 'data-testid="timeline-gap"' in html
    assert "未见中断原因说明" in html and "多机位" in html


def test_timeline__drawn_from_recording_sessions_with_their_interruption_notes(client, staff, case, media_dir):
    a1 = mediafiles.make_mp4(media_dir / "a1.mp4", seconds=2, creation_time="2026-03-01T02:00:00Z", serial="CAM-A")
    a2 = mediafiles.make_mp4(media_dir / "a2.mp4", seconds=2, creation_time="2026-03-01T02:01:00Z", serial="CAM-A")
    loose = mediafiles.make_mp4(media_dir / "x.mp4", seconds=2, creation_time="2026-03-05T02:00:00Z", serial="CAM-X")
    r1, r2, _ = (_ingest(staff, p, case=case) for p in (a1, a2, loose))
    session = sessions.session_create(
        actor=staff.officer, title="网吧现场检查", case=case, stage_id=case.stage, place="某某网吧", records=[r1, r2]
    )
    sessions.interruption_note_record(
        actor=staff.officer, session=session, before=r1, after=r2, cause="device_fault", resume_offset=1.5
    )
    blocks = player.case_timeline(case)
    assert [b.session for b in blocks] == [session, None]
    assert blocks[0].title.startswith("录制场次：网吧现场检查（某某网吧）")
    assert blocks[1].title.startswith("未归入录制场次的记录")
    (gap,) = blocks[0].lanes[0].gaps
    assert gap.note.startswith("中断原因：设备故障") and "第 1.5 秒" in gap.note
    html = _client(client, staff.officer).get(reverse("media:timeline", args=[case.pk])).content.decode()
    assert "lh-tl-gap-explained" in html and "未见中断原因说明" not in html
