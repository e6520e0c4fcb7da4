"""Case deadlines on the working-day calendar: across the 2026 National Day holiday, paused by a
suspension, moved by an approved extension, provisional in a year whose holidays are unknown."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from liuhen.cases import services
from liuhen.cases.models import CaseDeadline, DeadlineStatus
from liuhen.cases.selectors import case_list, due_for_user, late_count
from liuhen.testing.cases import approve_stage, file_case

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def clock(monkeypatch):
    """Set "now" for the services (and the ledger) to a chosen moment in Asia/Shanghai."""

    def _set(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
        moment = dt.datetime(y, m, d, h, tzinfo=SHANGHAI)
        monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(dt.UTC))
        return moment

    return _set


@pytest.mark.clause("time-filing-makeup-2wd")
def test_urgent_start_must_be_filed_within_two_working_days_across_national_day(staff_for, clock):
    staff = staff_for("dongxihu-culture")
    clock(2026, 9, 30, 16)
    # A penalty procedure starts when the lead is obtained: the clock runs from 2026-09-30.
    lead = staff.lead("report", received_at=dt.datetime(2026, 9, 30, 14, tzinfo=SHANGHAI))
    case = staff.open("penalty", source=lead, urgent=True, urgent_reason="当事人正在转移证据")
    makeup = CaseDeadline.objects.get(case=case, code="filing_makeup")
    assert makeup.value == 2 and makeup.unit == "working_days"
    assert makeup.due_on == dt.date(2026, 10, 9) and not makeup.provisional  # 10-01..10-08 holiday

    clock(2026, 10, 9, 9)
    assert [v.state for v in due_for_user(staff.officer)] == ["due_soon"]
    clock(2026, 10, 10, 9)  # a make-up working Saturday, past the due date
    assert late_count(staff.officer) == 1 and late_count(staff.department_head) == 1
    assert case in case_list(staff.officer, due="late")
    assert late_count(staff.outsider) == 0
    file_case(staff, case)
    makeup.refresh_from_db()
    assert makeup.status == DeadlineStatus.LATE and makeup.stopped_at is not None


@pytest.mark.clause("time-filing-makeup-2wd")
def test_urgent_start_entered_after_the_fact__make_up_filing_counts_from_the_start_entered(staff_for, clock):
    """东西湖 第十二条: 执法程序启动后 2 个工作日内补办. A case started on 2026-09-30 (the lead's
    获取时间) but entered on 2026-12-02 was due on 2026-10-09, not two working days after entry."""
    staff = staff_for("dongxihu-culture")
    clock(2026, 12, 2, 9)
    lead = staff.lead("report", received_at=dt.datetime(2026, 9, 30, 16, tzinfo=SHANGHAI))
    case = staff.open("penalty", source=lead, urgent=True, urgent_reason="当事人正在转移证据，先行登记保存")
    assert timezone.localtime(case.started_at).date() == dt.date(2026, 9, 30)
    makeup = CaseDeadline.objects.get(case=case, code="filing_makeup")
    assert makeup.started_on == dt.date(2026, 9, 30)
    assert makeup.due_on == dt.date(2026, 10, 9)  # 10-01..10-07 National Day holiday
    assert [v.state for v in due_for_user(staff.officer)] == ["overdue"]
    assert late_count(staff.officer) == 1
    file_case(staff, case)
    makeup.refresh_from_db()
    assert makeup.status == DeadlineStatus.LATE


def test_urgent_start_refused_where_the_profile_does_not_allow_it(staff_for):
    staff = staff_for("changzhi-ethnic-religious")
    with pytest.raises(Exception) as exc:
        staff.open("penalty", urgent=True, urgent_reason="紧急")
    assert exc.value.code == "urgent_start_not_allowed"


@pytest.mark.clause("flow-penalty-stages")
def test_suspension_pauses_and_extension_moves_the_decision_limit(staff_for, clock):
    staff = staff_for("dongxihu-culture")
    clock(2026, 9, 1, 9)
    case = staff.open("penalty")
    file_case(staff, case)
    limit = CaseDeadline.objects.get(case=case, code="penalty_decision")
    assert (limit.value, limit.unit, limit.started_on) == (90, "calendar_days", dt.date(2026, 9, 1))
    assert limit.due_on == dt.date(2026, 11, 30)
    for stage in ("intake", "filing"):
        approve_stage(staff, case, stage)
        services.case_advance(actor=staff.officer, case=case, expected_stage=stage)
    case.refresh_from_db()
    assert case.stage == "investigation"

    clock(2026, 9, 10)
    services.special_stage_enter(actor=staff.officer, case=case, stage_id="suspension", reason="等待鉴定结论")
    limit.refresh_from_db()
    assert limit.status == DeadlineStatus.PAUSED and limit.paused_since == dt.date(2026, 9, 10)
    clock(2026, 9, 20)
    services.special_stage_leave(actor=staff.officer, case=case, stage_id="suspension", outcome="鉴定结论已出")
    limit.refresh_from_db()
    assert limit.status == DeadlineStatus.RUNNING and limit.paused_days == 10
    assert limit.due_on == dt.date(2026, 12, 10)

    services.special_stage_enter(
        actor=staff.officer, case=case, stage_id="extension", reason="案情复杂", requested_days=30
    )
    limit.refresh_from_db()
    assert limit.due_on == dt.date(2026, 12, 10)  # not moved before the approval
    services.approval_record(
        actor=staff.agency_head, case=case, kind="agency_head", decision="approved", opinion="同意延期30日"
    )
    limit.refresh_from_db()
    # 2026-09-01 + 130 days = 2027-01-09, a Saturday in a year whose holidays are not yet known
    assert limit.extended_days == 30 and limit.due_on == dt.date(2027, 1, 11) and limit.provisional
    services.special_stage_leave(actor=staff.officer, case=case, stage_id="extension", outcome="已批准")


def test_deadline_stops_met_when_its_stage_is_left_in_time(staff_for, clock):
    staff = staff_for("dongxihu-culture")
    clock(2026, 3, 2)
    case = staff.open("penalty")
    file_case(staff, case)
    profile = services.profile_of(case)
    for stage in profile.enforcement_types["penalty"].stages:
        case.refresh_from_db()
        if case.stage == "delivery":
            break
        if stage.id != "filing":
            approve_stage(staff, case, stage.id)
        services.case_advance(actor=staff.officer, case=case)
    limit = CaseDeadline.objects.get(case=case, code="penalty_decision")
    assert limit.status == DeadlineStatus.MET
