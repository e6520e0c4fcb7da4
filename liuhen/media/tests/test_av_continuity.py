"""Continuity of AV records: sessions, gaps and interruption notes, clock drift, upload deadlines,
capture metadata — each rule with numbers from the profile, under two profiles whose numbers differ."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from liuhen.cases.selectors import current_requirements
from liuhen.ledger.records import verify_records
from liuhen.media.continuity import capture, deadlines, drift, recording, sessions
from liuhen.media.errors import AvInvalid, AvOffsetBeyondDuration, AvTimesInverted
from liuhen.media.models import DockingReport
from liuhen.media.policies import away_period_policy
from liuhen.media.tests.avhelpers import clip
from liuhen.policy.calendar import WorkingCalendar
from liuhen.testing.cases import make_document

T0 = dt.datetime(2026, 3, 2, 2, 0, 0, tzinfo=dt.UTC)  # Monday 10:00 in Beijing


def _two_segments(staff, folder, case, *, gap: float):
    first = clip(staff, folder, "a.mp4", start=T0, seconds=2, case=case, stage_id=case.stage)
    second = clip(
        staff, folder, "b.mp4", start=T0 + dt.timedelta(seconds=2 + gap), seconds=2, case=case, stage_id=case.stage
    )
    session = sessions.session_create(
        actor=staff.officer, title="现场检查", case=case, stage_id=case.stage, place="某网吧", records=[second, first]
    )
    return session, first, second


# --------------------------------------------------------------------------- gaps


@pytest.mark.clause("av-continuous")
@pytest.mark.parametrize(("profile_id", "flagged"), [("dongxihu-culture", True), ("xigang-culture", False)])
def test_gap_between_segments__flagged_beyond_the_profile_tolerance(staff_for, media_dir, profile_id, flagged):
    staff = staff_for(profile_id)
    case = staff.open("inspection")
    session, first, second = _two_segments(staff, media_dir, case, gap=6)  # 6 s: > 3 (东西湖), <= 10 (西岗)
    timeline = sessions.session_timeline(session)
    assert timeline.tolerance == {"dongxihu-culture": 3, "xigang-culture": 10}[profile_id]
    assert [s.record.pk for s in timeline.tracks[0].segments] == [first.pk, second.pk]  # ordered by media time
    assert bool(timeline.unexplained) is flagged
    codes = {r.code: r for r in current_requirements(case)}
    assert ("av:gaps" in codes and codes["av:gaps"].blocking) is flagged
    assert verify_records() == []


@pytest.mark.clause("av-continuous", "av-multi-device")
def test_segments_of_other_devices_and_later_sessions__are_not_gaps(staff_for, media_dir):
    staff = staff_for("dongxihu-culture")
    case = staff.open("inspection")
    a = clip(staff, media_dir, "a.mp4", start=T0, serial="CAM-A", case=case, stage_id=case.stage)
    b = clip(staff, media_dir, "b.mp4", start=T0 + dt.timedelta(seconds=30), serial="CAM-B", case=case)
    first = sessions.session_create(actor=staff.officer, title="第一处", case=case, stage_id=case.stage, records=[a, b])
    assert sessions.session_timeline(first).gaps == [] and len(sessions.session_timeline(first).tracks) == 2
    later = clip(staff, media_dir, "c.mp4", start=T0 + dt.timedelta(hours=2), serial="CAM-A", case=case)
    second = sessions.session_create(
        actor=staff.officer,
        title="第二处（同一事项另一地点）",
        case=case,
        stage_id=case.stage,
        follows=first,
        records=[later],
    )
    assert second.follows == first and sessions.session_timeline(second).gaps == []
    with pytest.raises(Exception) as exc:
        sessions.session_segments_add(actor=staff.officer, session=second, records=[a])
    assert exc.value.code == "av_segment_in_other_session"


# --------------------------------------------------------------------------- interruptions


@pytest.mark.clause("av-interruption")
@pytest.mark.parametrize("profile_id", ["dongxihu-culture", "national-baseline"])
def test_interruption_note__spoken_offset_or_written_statement_clears_the_gap(staff_for, media_dir, profile_id):
    staff = staff_for(profile_id)
    case = staff.open("inspection")
    session, first, second = _two_segments(staff, media_dir, case, gap=40)  # beyond both tolerances (3 and 5)
    assert len(sessions.session_timeline(session).unexplained) == 1
    with pytest.raises(AvInvalid) as exc:
        sessions.interruption_note_record(
            actor=staff.officer, session=session, before=first, after=second, cause="weather"
        )
    assert exc.value.code == "av_interruption_explanation_required"
    with pytest.raises(AvOffsetBeyondDuration) as exc:
        sessions.interruption_note_record(
            actor=staff.officer, session=session, before=first, after=second, cause="device_fault", resume_offset=50
        )
    assert exc.value.code == "av_offset_beyond_duration" and "超出录像时长" in exc.value.message
    with pytest.raises(AvInvalid) as exc:
        sessions.interruption_note_record(
            actor=staff.officer, session=session, before=first, after=second, cause="other", resume_offset=1
        )
    assert exc.value.code == "av_interruption_detail_required"
    note = sessions.interruption_note_record(
        actor=staff.officer, session=session, before=first, after=second, cause="device_fault", resume_offset=1.0
    )
    assert sessions.session_timeline(session).unexplained == []
    assert "av:gaps" not in {r.code for r in current_requirements(case)}
    # recording stopped for good after the second segment: a written statement (a finalised document)
    with pytest.raises(AvInvalid):
        sessions.interruption_note_record(actor=staff.officer, session=session, before=second, cause="damage")
    statement = make_document(staff, case, "av_interruption_statement", case.stage)
    stop = sessions.interruption_note_record(
        actor=staff.officer, session=session, before=second, cause="obstruction", statement=statement
    )
    gaps = sessions.session_timeline(session).gaps
    assert {g.note.pk for g in gaps} == {note.pk, stop.pk} and all(g.explained for g in gaps)
    assert verify_records() == []


# --------------------------------------------------------------------------- clock drift


@pytest.mark.clause("dev-precheck-time-sync")
@pytest.mark.parametrize(("profile_id", "exceeded"), [("dongxihu-culture", True), ("national-baseline", False)])
def test_clock_drift__beyond_the_profile_tolerance_is_flagged_next_to_the_record(
    staff_for, media_dir, profile_id, exceeded
):
    staff = staff_for(profile_id)
    rec = clip(staff, media_dir, "a.mp4", start=T0, serial="CAM-D")
    station = T0 + dt.timedelta(hours=8)
    drift.docking_report_create(
        actor=staff.officer, device_serial="CAM-D", device_time=station + dt.timedelta(seconds=20), station_time=station
    )
    drift.docking_report_create(
        actor=staff.officer,
        device_serial="CAM-D",
        device_time=station + dt.timedelta(days=30),
        station_time=station + dt.timedelta(days=30, seconds=1),
    )  # later, far from the recording
    d = drift.record_drift(rec)
    assert d.seconds == 20 and d.exceeded is exceeded  # 20 s: > 10 (东西湖), <= 30 (国家基线)
    assert d.corrected(T0) == T0 - dt.timedelta(seconds=20)
    assert "快 20 秒" in d.label
    assert bool(drift.drift_flags(user=staff.department_head)) is exceeded
    assert DockingReport.objects.count() == 2 and verify_records() == []


# --------------------------------------------------------------------------- upload deadlines


def _last_working_day_before(cal: WorkingCalendar, day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while not cal.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


@pytest.mark.clause("time-av-upload-2wd")
@pytest.mark.parametrize("profile_id", ["dongxihu-culture", "changzhi-ethnic-religious"])
def test_upload_deadline__n_working_days_after_recording(staff_for, media_dir, profile_id):
    staff = staff_for(profile_id)
    case = staff.open("inspection")
    old = clip(
        staff, media_dir, "old.mp4", start=timezone.now() - dt.timedelta(days=20), case=case, stage_id=case.stage
    )
    fresh = clip(
        staff, media_dir, "new.mp4", start=timezone.now() - dt.timedelta(minutes=5), case=case, stage_id=case.stage
    )
    late = deadlines.upload_deadline(old)
    assert late.late and late.basis == "recording" and late.days_late > 0
    assert late.due == WorkingCalendar().add_working_days(late.recorded_on, 2).due
    assert not deadlines.upload_deadline(fresh).late
    assert deadlines.av_upload_late_flag(record=old) is True
    deadlines.av_upload_late_flag(record=old)  # once only
    entries = case.timeline.filter(action="av_record.upload_late")
    assert entries.count() == 1 and "逾期上传" in entries.get().summary
    assert [d.record.pk for d in deadlines.late_uploads(user=staff.agency_head)] == [old.pk]
    assert deadlines.late_uploads(user=staff.outsider) == []  # another officer's uploads
    assert verify_records() == []


@pytest.mark.clause("time-av-upload-after-return")
@pytest.mark.parametrize(("profile_id", "late"), [("dongxihu-culture", True), ("changzhi-ethnic-religious", False)])
def test_upload_deadline__m_working_days_after_return_from_declared_remote_work(staff_for, media_dir, profile_id, late):
    staff = staff_for(profile_id)
    cal = WorkingCalendar()
    today = timezone.localdate()
    # returned the day before the last working day before today: +1 working day (东西湖) is before today,
    # +2 working days (长治) is today or later
    returned = _last_working_day_before(cal, today) - dt.timedelta(days=1)
    made = timezone.now() - dt.timedelta(days=(today - returned).days + 6)
    away = deadlines.away_period_declare(
        actor=staff.officer,
        kind="remote",
        started_on=timezone.localdate(made) - dt.timedelta(days=1),
        returned_on=returned,
        place="外县",
    )
    rec = clip(staff, media_dir, "trip.mp4", start=made)
    d = deadlines.upload_deadline(rec)
    assert d.away == away and d.basis == "after_return"
    assert d.late is late
    assert away in away_period_policy.visible(staff.department_head)
    assert away not in away_period_policy.visible(staff.outsider)
    with pytest.raises(AvInvalid) as exc:
        deadlines.away_period_declare(actor=staff.officer, kind="remote", started_on=today, returned_on=returned)
    assert exc.value.code == "av_away_dates_inverted"
    assert verify_records() == []


def test_upload_deadline__none_where_the_profile_is_silent(staff_for, media_dir):
    staff = staff_for("xigang-culture")  # 西岗: no upload deadline in the seed
    rec = clip(staff, media_dir, "old.mp4", start=timezone.now() - dt.timedelta(days=60))
    d = deadlines.upload_deadline(rec)
    assert d.basis == "silent" and not d.late and "未规定" in d.label


# --------------------------------------------------------------------------- capture metadata


@pytest.mark.clause("av-basic-metadata", "av-opening-statement", "av-location-landmark", "dev-wearing-position")
def test_capture_metadata__times_offsets_and_opening_statement_checked(staff_for, media_dir):
    staff = staff_for("dongxihu-culture")  # opening statement required with five items
    case = staff.open("inspection")
    rec = clip(staff, media_dir, "a.mp4", start=T0, seconds=2)
    with pytest.raises(AvTimesInverted) as exc:
        capture.capture_metadata_record(
            actor=staff.officer, record=rec, recorded_start=T0, recorded_end=T0 - dt.timedelta(minutes=1)
        )
    assert exc.value.code == "av_times_inverted" and "早于开始时间" in exc.value.message
    assert "2026-03-02 10:00:00" in exc.value.message  # shown in Beijing time
    with pytest.raises(AvOffsetBeyondDuration):
        capture.capture_metadata_record(actor=staff.officer, record=rec, opening_statement={"offset": 9})
    with pytest.raises(AvInvalid) as exc:
        capture.capture_metadata_record(
            actor=staff.officer, record=rec, opening_statement={"offset": 0, "items": ["时间", "地点"]}
        )
    assert exc.value.code == "av_opening_statement_incomplete" and "执法人员" in exc.value.message
    assert recording.attestations(rec)[0].given is False
    first = capture.capture_metadata_record(
        actor=staff.officer,
        record=rec,
        case=case,
        stage_id=case.stage,
        place_address="某区某路 1 号",
        place_landmark="某网吧招牌",
        officers=[{"name": "张三", "certificate_no": "A001"}],
        party="某网吧",
        subject="经营场所",
        camera_mount="chest",
        opening_statement={"offset": 0.5},
        camera_officer=staff.officer,
    )
    assert recording.effective_link(rec) == (case, case.stage)
    assert recording.attestations(rec)[0].given is True
    with pytest.raises(AvInvalid) as exc:
        capture.capture_metadata_record(actor=staff.officer, record=rec, party="某网吧（更正）")
    assert exc.value.code == "av_correction_reason_required"
    second = capture.capture_metadata_record(
        actor=staff.officer, record=rec, party="某网吧有限公司", reason="当事人名称有误", expected_current=first.pk
    )
    assert second.supersedes == first and recording.current_capture(rec) == second
    assert recording.effective_link(rec) == (case, case.stage)  # the link is kept when left out
    assert rec in recording.records_linked(case, case.stage)
    assert verify_records() == []


@pytest.mark.clause("av-notify-party")
def test_capture_metadata__party_told_with_the_profile_standard_wording(staff_for, media_dir):
    staff = staff_for("xigang-culture")  # gives the verbatim notice
    rec = clip(staff, media_dir, "a.mp4", start=T0, seconds=2)
    row = capture.capture_metadata_record(actor=staff.officer, record=rec, notice={"offset": 1})
    assert row.notice["text"].startswith("为保护您的合法权益") and row.notice["standard"] is True
    assert [a.label for a in recording.attestations(rec)] == ["告知当事人正在音像记录"]


def test_relink__new_row_and_both_timelines(staff_for, media_dir):
    staff = staff_for("national-baseline")
    one, two = staff.open("inspection"), staff.open("inspection", title="另一案")
    rec = clip(staff, media_dir, "a.mp4", start=T0, case=one, stage_id=one.stage)
    with pytest.raises(AvInvalid):
        capture.av_record_link(actor=staff.officer, record=rec, case=two, stage_id=two.stage)
    capture.av_record_link(actor=staff.officer, record=rec, case=two, stage_id=two.stage, reason="上传时选错案件")
    assert rec not in recording.records_linked(one) and rec in recording.records_linked(two, two.stage)
    assert rec.case == one  # the record itself never changes
    assert one.timeline.filter(action="av_record.unlinked").exists()
    assert two.timeline.filter(action="av_record.linked").exists()
    assert verify_records() == []


@pytest.mark.clause("time-av-upload-2wd")
def test_late_upload_sweep__flags_records_uploaded_with_their_case(staff_for, media_dir):
    from django.core.management import call_command

    staff = staff_for("national-baseline")
    case = staff.open("inspection")
    clip(staff, media_dir, "old.mp4", start=timezone.now() - dt.timedelta(days=15), case=case, stage_id=case.stage)
    call_command("av_late_uploads")
    call_command("av_late_uploads")
    assert case.timeline.filter(action="av_record.upload_late").count() == 1
    assert deadlines.late_upload_count(user=staff.agency_head) == 1
    assert deadlines.late_upload_count(user=staff.outsider) == 0  # not a handler of the case
    assert verify_records() == []
