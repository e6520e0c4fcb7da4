"""Findings about recordings (never blocking, never touching the original): possible backfill and
splicing, a device used without its pre-use check, an on-site act of a camera holder with no
recording, untagged records; surveillance clips kept by the service center; expired certificates."""

from __future__ import annotations

import datetime as dt
import struct

import pytest
from django.utils import timezone

from liuhen.cases import services as case_services
from liuhen.cases.errors import CaseInvalid
from liuhen.cases.selectors import current_requirements
from liuhen.devices import services as device_services
from liuhen.ledger.records import verify_records
from liuhen.media.continuity import capture, coverage, findings, guards, recording
from liuhen.media.errors import AvInvalid
from liuhen.media.ingest import mediafile
from liuhen.media.tests.avhelpers import clip
from liuhen.testing.cases import approve_stage

BJ = dt.timezone(dt.timedelta(hours=8))
ACT_START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=BJ)
ACT_END = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BJ)


def codes(rec) -> set[str]:
    return {f.code for f in findings.record_findings(rec)}


# --------------------------------------------------------------------------- backfill and splicing


@pytest.mark.clause("integ-no-backfill-or-insert")
def test_recording_starting_after_the_act_it_records__flagged_as_possible_backfill(staff_for, media_dir):
    """An act (10:00 end) covered by a clip starting 16:00: 可能为事后补录; a clip made during it is not."""
    staff = staff_for("changzhi-ethnic-religious")
    case = staff.open("licensing")
    cam = {"serial": "WIN-CAM-1", "source": "surveillance", "case": case}
    during = clip(staff, media_dir, "during.mp4", start=ACT_START + dt.timedelta(minutes=5), **cam)
    late = clip(staff, media_dir, "late.mp4", start=dt.datetime(2026, 3, 2, 16, 0, tzinfo=BJ), **cam)
    coverage.coverage_claim_record(
        actor=staff.officer, case=case, act_start=ACT_START, act_end=ACT_END, records=[during, late]
    )
    assert "possible_backfill" not in codes(during)
    found = {f.code: f for f in findings.record_findings(late)}["possible_backfill"]
    assert "2026-03-02 16:00:00" in found.label and "2026-03-02 10:00:00" in found.label
    assert "integ-no-backfill-or-insert" in found.clauses
    # the original is untouched and still listed: a finding, not a rejection
    assert late in recording.records_linked(case)
    assert verify_records() == []


@pytest.mark.clause("integ-no-backfill-or-insert")
@pytest.mark.parametrize(("profile_id", "flagged"), [("dongxihu-culture", True), ("xigang-culture", False)])
def test_backfill__the_device_clock_tolerance_of_the_profile_applies(staff_for, media_dir, profile_id, flagged):
    """30 s after a stage visit ended: beyond 东西湖's 10 s clock tolerance, within 西岗's 60 s."""
    staff = staff_for(profile_id)
    case = staff.open("inspection")
    first = case.stage
    approve_stage(staff, case, first)
    case_services.case_advance(actor=staff.officer, case=case, expected_stage=first)
    visit = case.visits.get(stage_id=first)
    rec = clip(staff, media_dir, "after.mp4", start=visit.left_at + dt.timedelta(seconds=30), case=case, stage_id=first)
    assert ("possible_backfill" in codes(rec)) is flagged


def _elst_mp4(entries: list[int]) -> bytes:
    """A minimal ISO BMFF byte string: ftyp + moov/trak/edts/elst with the given media times."""

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I4s", 8 + len(body), kind) + body

    elst = bytes(4) + struct.pack(">I", len(entries)) + b"".join(struct.pack(">IiI", 1000, t, 0x10000) for t in entries)
    return box(b"ftyp", b"isom" + bytes(4)) + box(b"moov", box(b"trak", box(b"edts", box(b"elst", elst))))


@pytest.mark.clause("integ-no-backfill-or-insert")
def test_spliced_files__edit_lists_and_creation_after_upload_flagged(staff_for, media_dir, tmp_path, monkeypatch):
    one, two, empty_then_one = tmp_path / "a.mp4", tmp_path / "b.mp4", tmp_path / "c.mp4"
    one.write_bytes(_elst_mp4([0]))
    two.write_bytes(_elst_mp4([0, 90000]))
    empty_then_one.write_bytes(_elst_mp4([-1, 0]))  # an initial empty edit is how players delay a track
    assert mediafile.iso_bmff_edits(one) == [1]
    assert mediafile.iso_bmff_edits(two) == [2]
    assert mediafile.iso_bmff_edits(empty_then_one) == [1]
    staff = staff_for("national-baseline")
    plain = clip(staff, media_dir, "plain.mp4", start=timezone.now() - dt.timedelta(hours=1))
    assert not codes(plain) & {"edited", "created_after_upload"}
    monkeypatch.setattr(mediafile, "iso_bmff_edits", lambda path: [1, 3])
    cut = clip(staff, media_dir, "cut.mp4", start=timezone.now() - dt.timedelta(hours=1))
    assert "edited" in cut.probe.flags and "edited" in codes(cut)
    monkeypatch.undo()
    later = clip(staff, media_dir, "later.mp4", start=timezone.now() + dt.timedelta(hours=3))
    assert "created_after_upload" in codes(later)


# --------------------------------------------------------------------------- devices


@pytest.mark.clause("dev-precheck-time-sync")
@pytest.mark.parametrize(("profile_id", "required"), [("dongxihu-culture", True), ("xigang-culture", False)])
def test_recording_without_a_preuse_check_that_day__flagged_where_the_profile_requires_it(
    staff_for, media_dir, profile_id, required
):
    staff = staff_for(profile_id)
    case = staff.open("penalty")
    device = device_services.device_register(actor=staff.department_head, serial="DSJ-1", kind="body_camera")
    device_services.device_assign(actor=staff.department_head, device=device, holder=staff.officer)
    start = timezone.now() + dt.timedelta(seconds=2)
    rec = clip(staff, media_dir, "a.mp4", start=start, serial="DSJ-1", case=case, stage_id=case.stage)
    assert ("preuse_check_missing" in codes(rec)) is required
    overview = {s.stage.id: s for s in guards.case_av_overview(case)}[case.stage]
    assert any(f.code == "preuse_check_missing" for f in overview.findings.get(rec.pk, [])) is required
    assert not any(r.blocking for r in current_requirements(case) if r.code.startswith("av"))  # never blocking
    device_services.preuse_check_record(
        actor=staff.officer,
        device=device,
        function_ok=True,
        battery_ok=True,
        storage_ok=True,
        clock_calibrated=True,
        checked_at=timezone.now(),
    )
    rec2 = clip(
        staff,
        media_dir,
        "b.mp4",
        start=timezone.now() + dt.timedelta(seconds=3),
        serial="DSJ-1",
        case=case,
        stage_id=case.stage,
    )
    assert "preuse_check_missing" not in codes(rec2)


@pytest.mark.clause("dev-mandatory-use")
@pytest.mark.parametrize(("profile_id", "required"), [("xigang-culture", True), ("dongxihu-culture", False)])
def test_onsite_act_of_a_camera_holder_without_a_recording__flagged(staff_for, media_dir, profile_id, required):
    """西岗 第五条: officers given a body camera use it throughout. A site inspection (on-site AV level)
    handled by an officer holding a camera, with no recording of that camera in its time, is listed;
    东西湖 has no such rule."""
    staff = staff_for(profile_id)
    device = device_services.device_register(actor=staff.department_head, serial="DSJ-9", kind="body_camera")
    device_services.device_assign(actor=staff.department_head, device=device, holder=staff.officer)
    case = staff.open("inspection")
    assert case.stage == "site_inspection"
    acts = findings.unrecorded_onsite_acts(case)
    if not required:
        assert acts == []
        return
    assert len(acts) == 1 and acts[0].serial == "DSJ-9" and "现场检查" in acts[0].text
    clip(staff, media_dir, "other-cam.mp4", start=timezone.now(), serial="DSJ-OTHER")  # another camera: no
    assert len(findings.unrecorded_onsite_acts(case)) == 1
    clip(staff, media_dir, "site.mp4", start=timezone.now(), serial="dsj-9")  # serials compare normalised
    assert findings.unrecorded_onsite_acts(case) == []


@pytest.mark.clause("av-show-credentials")
def test_officer_whose_certificate_expired_yesterday__cannot_be_assigned_to_an_onsite_inspection(staff_for):
    staff = staff_for("xinglongtai-drc")
    officer = staff.officer2.officer
    officer.certificate_valid_until = timezone.localdate() - dt.timedelta(days=1)
    officer.save(update_fields=["certificate_valid_until"])
    with pytest.raises(CaseInvalid) as exc:
        staff.open("inspection", handlers=[staff.officer, staff.officer2])
    assert exc.value.code == "handler_no_certificate"


# --------------------------------------------------------------------------- tagging


@pytest.mark.clause("store-av-tagging")
def test_untagged_recording__kept_listed_for_follow_up_and_not_counted_until_tagged(staff_for, media_dir, client):
    """The testable says an upload without a case number is rejected when finalised. Issue 6 keeps
    every original as received, so here it is kept, flagged untagged (案号、当事人、承办人), listed
    under 未关联案件的音像记录 for its uploader and the heads, and cannot count as a stage's AV record
    until it is linked and labelled."""
    staff = staff_for("xigang-culture")  # 现场检查 needs AV
    loose = clip(staff, media_dir, "loose.mp4", start=timezone.now() - dt.timedelta(minutes=5))
    assert loose.pk and "untagged" in codes(loose)
    assert recording.tagging_missing(loose) == ["案号", "当事人", "承办人"]
    assert loose in recording.records_untagged(staff.officer)
    assert loose in recording.records_untagged(staff.department_head)
    assert loose not in recording.records_untagged(staff.officer2)
    client.force_login(staff.officer)
    page = client.get("/media/untagged/").content.decode()
    assert "未关联案件的音像记录" in page and "loose.mp4" in page

    case = staff.open("inspection", party_name="")  # no party on the case
    capture.av_record_link(actor=staff.officer, record=loose, case=case, stage_id=case.stage)
    assert recording.tagging_missing(loose) == ["当事人"]
    assert {r.code: r for r in current_requirements(case)}["av"].blocking
    capture.capture_metadata_record(actor=staff.officer, record=loose, party="某网吧", reason="补填当事人")
    assert recording.tagging_missing(loose) == []
    assert loose not in recording.records_untagged(staff.officer)
    assert {r.code: r for r in current_requirements(case)}["av"].status == "met"
    assert verify_records() == []


# --------------------------------------------------------------------------- service-center CCTV


@pytest.mark.clause("dev-service-center-cctv")
def test_window_acceptance__service_center_cctv_named_with_its_retrieval_request(staff_for, media_dir):
    staff = staff_for("xigang-culture")  # 行政许可 受理: mandatory AV (窗口视频监控)
    case = staff.open("licensing")
    clip_ = clip(staff, media_dir, "window.mp4", start=ACT_START, seconds=3, serial="ZWFW-W12", source="surveillance")
    body = clip(staff, media_dir, "body.mp4", start=ACT_START, serial="DSJ-1")
    end = ACT_START + dt.timedelta(seconds=3)
    args = {"actor": staff.officer, "case": case, "act_start": ACT_START, "act_end": end, "stage_id": "acceptance"}
    with pytest.raises(AvInvalid) as exc:
        coverage.coverage_claim_record(records=[clip_], external_source="service_center", **args)
    assert exc.value.code == "av_retrieval_request_required"
    with pytest.raises(AvInvalid) as exc:
        coverage.coverage_claim_record(
            records=[body], external_source="service_center", retrieval_request_id="ZWFW-2026-031", **args
        )
    assert exc.value.code == "av_coverage_not_fixed_camera"
    claim = coverage.coverage_claim_record(
        records=[clip_], external_source="service_center", retrieval_request_id="ZWFW-2026-031", **args
    )
    assert claim.external_source == "service_center" and claim.retrieval_request_id == "ZWFW-2026-031"
    entry = case.timeline.get(action="av_coverage.named")
    assert "政务服务中心提供，调取申请编号 ZWFW-2026-031" in entry.summary
    assert {r.code: r for r in current_requirements(case)}["av"].status == "met"
    assert verify_records() == []


@pytest.mark.clause("store-dedicated-storage")
def test_import_records_its_source_and_device__an_unregistered_device_is_flagged_not_dropped(staff_for, media_dir):
    """Recordings enter only through the authenticated ingest (a collection station with its token, or
    an officer's upload); each keeps its source, station and device serial. A file from a device the
    agency never registered is kept and flagged (设备编号未登记) for follow-up, not refused."""
    staff = staff_for("naiman-culture")
    device_services.device_register(actor=staff.department_head, serial="DSJ-REG", kind="body_camera")
    known = clip(staff, media_dir, "k.mp4", start=ACT_START, serial="DSJ-REG", source="station")
    usb = clip(staff, media_dir, "u.mp4", start=ACT_START + dt.timedelta(minutes=1), serial="USB-STICK-7")
    assert known.source == "station" and known.device_serial == "DSJ-REG" and "unregistered_device" not in known.flags
    assert usb.pk and usb.device_serial == "USB-STICK-7" and "unregistered_device" in usb.flags
    assert verify_records() == []
