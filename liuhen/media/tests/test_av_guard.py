"""The AV guard: mandatory AV per the profile's checklist blocks the stage until a usable linked
recording, full fixed-camera coverage or a head-approved explanation; deliveries whose method needs
AV; coverage gaps of surveillance clips."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from liuhen.cases import services as case_services
from liuhen.cases.errors import TransitionRefused
from liuhen.cases.selectors import current_requirements
from liuhen.documents import delivery
from liuhen.documents.tests.test_delivery import final, record
from liuhen.ledger.records import verify_records
from liuhen.media.continuity import coverage, guards
from liuhen.media.errors import AvForbidden, AvInvalid
from liuhen.media.tests.avhelpers import clip, empty
from liuhen.testing.cases import approve_stage, complete_documents, drive_to_close, file_case

T0 = dt.datetime(2026, 3, 2, 2, 0, 0, tzinfo=dt.UTC)


@pytest.mark.clause("av-matter-list")
@pytest.mark.parametrize(("profile_id", "blocks"), [("xigang-culture", True), ("national-baseline", False)])
def test_site_inspection__blocked_without_av_only_where_the_profile_makes_it_mandatory(
    staff_for, media_dir, profile_id, blocks
):
    staff = staff_for(profile_id)  # 现场检查: mandatory in 西岗, recommended in the national baseline
    case = staff.open("inspection")
    complete_documents(staff, case, case.stage)
    reqs = {r.code: r for r in current_requirements(case)}
    assert ("av" in reqs and reqs["av"].blocking) is blocks
    if blocks:
        with pytest.raises(TransitionRefused) as exc:
            case_services.case_advance(actor=staff.officer, case=case)
        assert [m["code"] for m in exc.value.detail["missing"]] == ["av"]
        bad = empty(staff, case=case, stage_id=case.stage)  # stored and flagged, but it covers nothing
        reqs = {r.code: r for r in current_requirements(case)}
        assert reqs["av"].blocking and bad.filename in reqs["av"].note
    clip(staff, media_dir, "site.mp4", start=T0, case=case, stage_id=case.stage)
    reqs = {r.code: r for r in current_requirements(case)}
    assert reqs["av"].status == "met" and "已有 1 段" in reqs["av"].label
    case_services.case_advance(actor=staff.officer, case=case)
    assert verify_records() == []


@pytest.mark.clause("av-matter-list", "av-mandatory-coercive-measures")
@pytest.mark.parametrize("profile_id", ["national-baseline", "changzhi-ethnic-religious"])
def test_mandatory_stage__head_approved_explanation_unblocks(staff_for, profile_id):
    staff = staff_for(profile_id)  # 行政强制 实施: mandatory in both (长治 also by its checklist item)
    case = staff.open("coercion")
    stage = case_services.profile_of(case).stage("coercion", "implementation")
    state = guards.stage_av_state(case, case_services.profile_of(case), stage)
    assert state.level == "mandatory" and not state.covered
    with pytest.raises(AvForbidden) as exc:
        guards.av_exemption_approve(
            actor=staff.officer, case=case, stage_id="implementation", reason="设备故障无法录制"
        )
    assert exc.value.code == "av_exemption_not_head"
    with pytest.raises(AvInvalid):
        guards.av_exemption_approve(actor=staff.department_head, case=case, stage_id="implementation", reason="")
    row = guards.av_exemption_approve(
        actor=staff.department_head,
        case=case,
        stage_id="implementation",
        reason="执法记录仪突发故障，现场无法录制，书面说明附卷",
        explained_by=staff.officer,
    )
    assert row.approver_role == "department_head"
    assert guards.stage_av_state(case, case_services.profile_of(case), stage).covered
    assert case.timeline.filter(action="av_exemption.approved").exists()
    assert verify_records() == []


def test_drive_to_close__the_test_driver_covers_every_mandatory_stage(staff_for):
    staff = staff_for("xigang-culture")  # every general stage of 行政许可 needs AV there
    case = staff.open("licensing")
    drive_to_close(staff, case)
    case.refresh_from_db()
    assert case.status == "closed" and verify_records() == []


@pytest.mark.clause("av-lien-service", "doc-service-lien")
def test_left_at_premises__met_by_a_case_recording_made_at_the_delivery(staff_for, media_dir):
    staff = staff_for("xigang-culture")  # 留置送达 must be recorded on AV
    case = staff.open("penalty")
    file_case(staff, case)
    version = final(staff, case, "decision_letter")
    row = record(staff, version, "left_at_premises")
    profile = case_services.profile_of(case)
    assert delivery.av_requirements(profile, row)[0].blocking
    clip(staff, media_dir, "other.mp4", start=row.delivered_at - dt.timedelta(hours=3), case=case)  # not then
    assert delivery.av_requirements(profile, row)[0].blocking
    clip(staff, media_dir, "lien.mp4", start=row.delivered_at - dt.timedelta(seconds=1), seconds=3, case=case)
    req = delivery.av_requirements(profile, row)[0]
    assert req.status == "met" and "lien.mp4" in req.note
    assert verify_records() == []


@pytest.mark.clause("src-application-window-recording", "av-continuous-monitoring-high-stakes")
def test_fixed_camera_clips__coverage_gap_found_and_full_coverage_meets_the_guard(staff_for, media_dir):
    staff = staff_for("changzhi-ethnic-religious")  # 行政许可 受理: mandatory (窗口视频监控)
    case = staff.open("licensing")
    cam = {"serial": "WIN-CAM-1", "source": "surveillance", "case": case}
    a = clip(staff, media_dir, "w1.mp4", start=T0, seconds=2, **cam)
    b = clip(staff, media_dir, "w2.mp4", start=T0 + dt.timedelta(seconds=10), seconds=2, **cam)  # 8 s gap > 5 s
    body = clip(staff, media_dir, "body.mp4", start=T0, serial="CAM-9")
    with pytest.raises(AvInvalid) as exc:
        coverage.coverage_claim_record(
            actor=staff.officer,
            case=case,
            act_start=T0,
            act_end=T0 + dt.timedelta(seconds=7),
            records=[body],
            stage_id="acceptance",
        )
    assert exc.value.code == "av_coverage_not_fixed_camera"
    with pytest.raises(AvInvalid) as exc:
        coverage.coverage_claim_record(
            actor=staff.officer,
            case=case,
            act_start=T0,
            act_end=T0 - dt.timedelta(1),
            records=[a],
            stage_id="acceptance",
        )
    assert exc.value.code == "av_times_inverted"
    claim = coverage.coverage_claim_record(
        actor=staff.officer,
        case=case,
        act_start=T0,
        act_end=T0 + dt.timedelta(seconds=12),
        records=[a, b],
        stage_id="acceptance",
    )
    gaps = coverage.coverage_gaps(claim)
    assert len(gaps) == 1 and 7.5 < (gaps[0][1] - gaps[0][0]).total_seconds() <= 8.0
    assert "未覆盖" in case.timeline.get(action="av_coverage.named").summary
    assert {r.code: r for r in current_requirements(case)}["av"].blocking  # a gap: the clips do not cover it
    full = coverage.coverage_claim_record(
        actor=staff.officer,
        case=case,
        act_start=T0,
        act_end=T0 + dt.timedelta(seconds=2),
        records=[a],
        stage_id="acceptance",
    )
    assert coverage.coverage_gaps(full) == []
    reqs = {r.code: r for r in current_requirements(case)}
    assert reqs["av"].status == "met" and "全程覆盖" in reqs["av"].label
    assert verify_records() == []


def test_uncovered__pure():
    t = timezone.now()
    s = dt.timedelta(seconds=1)
    assert coverage.uncovered((t, t + 10 * s), [(t + 2 * s, t + 4 * s), (t + 3 * s, t + 6 * s)]) == [
        (t, t + 2 * s),
        (t + 6 * s, t + 10 * s),
    ]
    assert coverage.uncovered((t, t + 2 * s), [(t - s, t + 3 * s)]) == []


def test_approve_stage_without_av__refused_in_a_mandatory_stage(staff_for):
    staff = staff_for("xigang-culture")
    case = staff.open("inspection")
    approve_stage(staff, case, case.stage, av=False)
    with pytest.raises(TransitionRefused):
        case_services.case_advance(actor=staff.officer, case=case)
