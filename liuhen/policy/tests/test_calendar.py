"""The working-day calendar: the State Council schedule from the package, entered years, provisional answers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from liuhen.core.errors import ValidationFailed
from liuhen.org import rules
from liuhen.policy import calendar
from liuhen.policy.calendar import CalendarYearUnknown, DayKind, DaySource, YearSource
from liuhen.policy.calendar import services as calendar_services

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Test data shaped like a State Council notice for 2027. NOT the real 2027 schedule (unpublished when
# written); the real one is entered by the system administrator from the notice.
TABLE_2027 = calendar_services.YearTable(
    year=2027,
    source="测试用：2027年部分节假日安排（非真实通知）",
    holidays=(
        calendar_services.HolidayRange("元旦", D(2027, 1, 1), D(2027, 1, 3)),
        calendar_services.HolidayRange("春节", D(2027, 2, 6), D(2027, 2, 14)),
        calendar_services.HolidayRange("国庆节", D(2027, 10, 1), D(2027, 10, 7)),
    ),
    makeup_days=((D(2027, 2, 20), "春节调休上班"), (D(2027, 10, 9), "国庆节调休上班")),
)


@pytest.fixture
def sysadmin(make_agency, make_user):
    return make_user(make_agency(), rules.Role.SYSTEM_ADMIN)


def test_package_years__cover_2004_to_2026_and_not_2027():
    years = calendar.package_years()
    assert years.start == 2004 and 2026 in years and 2027 not in years


# --- National Day 2026 ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_add_working_days__across_national_day_2026():
    result = calendar.add_working_days(D(2026, 9, 30), 2)
    assert result.due == D(2026, 10, 9)
    assert result.provisional is False and result.unknown_years == ()
    assert result.note == ""


@pytest.mark.django_db
def test_add_working_days__makeup_saturday_after_national_day_2026_counts():
    # 2026-10-10 is a Saturday worked in lieu (调休上班) per the State Council schedule.
    info = calendar.day_info(D(2026, 10, 10))
    assert info.is_working_day and info.kind is DayKind.MAKEUP_WORKDAY and info.source is DaySource.PACKAGE
    assert calendar.add_working_days(D(2026, 9, 30), 3).due == D(2026, 10, 10)
    # and the Sunday 2026-09-20 before it: Friday 18th + 1 working day is that Sunday.
    assert calendar.add_working_days(D(2026, 9, 18), 1).due == D(2026, 9, 20)


@pytest.mark.django_db
def test_day_info__national_day_is_a_named_holiday():
    info = calendar.day_info(D(2026, 10, 5))  # a Monday
    assert not info.is_working_day and info.kind is DayKind.HOLIDAY and info.name == "国庆节"
    assert not info.provisional
    assert calendar.day_info(D(2026, 9, 25)).name == "中秋节"  # Friday, Mid-Autumn 2026


@pytest.mark.django_db
def test_add_working_days__mid_autumn_friday_is_skipped():
    assert calendar.add_working_days(D(2026, 9, 24), 1).due == D(2026, 9, 28)


@pytest.mark.django_db
def test_add_working_days__zero_days_is_the_start_itself():
    assert calendar.add_working_days(D(2026, 10, 3), 0).due == D(2026, 10, 3)


# --- Spring Festival 2026 -------------------------------------------------------------------------


@pytest.mark.django_db
def test_add_working_days__across_spring_festival_2026():
    # 2026-02-14 (Sat) is worked; 15–23 Feb is the holiday; 24 Feb the first day back.
    assert calendar.add_working_days(D(2026, 2, 13), 1).due == D(2026, 2, 14)
    assert calendar.add_working_days(D(2026, 2, 13), 2).due == D(2026, 2, 24)
    assert calendar.add_working_days(D(2026, 2, 14), 1).due == D(2026, 2, 24)
    assert calendar.add_working_days(D(2026, 2, 27), 1).due == D(2026, 2, 28)  # Saturday worked
    assert calendar.day_info(D(2026, 2, 17)).name == "春节"


@pytest.mark.django_db
def test_working_days_between__inverts_add_working_days_through_2026():
    cal = calendar.WorkingCalendar()
    for offset in range(0, 365, 3):
        start = D(2026, 1, 1) + dt.timedelta(days=offset)
        for n in (0, 1, 2, 5):
            due = cal.add_working_days(start, n).due
            if due.year > 2026:
                continue
            assert cal.working_days_between(start, due).days == n, (start, n, due)
            assert cal.working_days_between(due, start).days == -n


@pytest.mark.django_db
def test_working_days_between__national_day_week_has_no_working_days():
    assert calendar.working_days_between(D(2026, 9, 30), D(2026, 10, 7)).days == 0
    assert calendar.working_days_between(D(2026, 9, 30), D(2026, 10, 10)).days == 3


# --- deadlines of the clauses ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.clause("time-av-upload-2wd")
def test_av_upload_deadline__friday_recording_due_tuesday_and_wednesday_upload_late():
    recording_end = dt.datetime(2026, 6, 5, 17, 0, tzinfo=SHANGHAI)  # a Friday
    deadline = calendar.add_working_days(recording_end, 2)
    assert deadline.due == D(2026, 6, 9)  # Tuesday
    uploaded_wed = dt.datetime(2026, 6, 10, 9, 0, tzinfo=SHANGHAI)
    assert calendar.as_local_date(uploaded_wed) > deadline.due  # late
    assert calendar.working_days_between(recording_end, uploaded_wed).days == 3


@pytest.mark.django_db
@pytest.mark.clause("time-av-upload-2wd")
def test_av_upload_deadline__across_national_day_and_counted_in_shanghai_time():
    # 17:30 UTC on 29 Sep is 01:30 on 30 Sep in Shanghai: the recording day is the 30th.
    recording_end = dt.datetime(2026, 9, 29, 17, 30, tzinfo=dt.UTC)
    assert calendar.add_working_days(recording_end, 2).due == D(2026, 10, 9)


@pytest.mark.django_db
@pytest.mark.clause("time-filing-makeup-2wd")
def test_filing_makeup_deadline__thursday_start_due_monday_and_across_labour_day():
    assert calendar.add_working_days(D(2026, 6, 4), 2).due == D(2026, 6, 8)  # Thursday → Monday
    # Started Thursday 30 April: 1–5 May is Labour Day; due Thursday 7 May.
    assert calendar.add_working_days(D(2026, 4, 30), 2).due == D(2026, 5, 7)


def test_naive_datetime__refused():
    with pytest.raises(ValidationFailed) as err:
        calendar.as_local_date(dt.datetime(2026, 9, 30, 12, 0))
    assert err.value.code == "calendar_naive_datetime"


@pytest.mark.parametrize(("n", "code"), [(-1, "calendar_days_negative"), (10**6, "calendar_days_too_large")])
def test_add_working_days__bad_count_refused(n, code):
    with pytest.raises(ValidationFailed) as err:
        calendar.add_working_days(D(2026, 9, 30), n)
    assert err.value.code == code


# --- a year nobody entered ------------------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_year__weekends_only_and_provisional():
    result = calendar.add_working_days(D(2027, 9, 30), 2)  # Thursday
    assert result.due == D(2027, 10, 4)  # Fri 1st, Mon 4th: National Day ignored
    assert result.provisional is True and result.unknown_years == (2027,)
    assert result.note == "暂定（2027年节假日未录入）"
    info = calendar.day_info(D(2027, 10, 1))
    assert info.is_working_day and info.provisional and info.source is DaySource.WEEKEND_RULE
    assert calendar.year_source(2027) is YearSource.UNKNOWN


@pytest.mark.django_db
def test_deadline_crossing_into_unknown_year__is_provisional_for_that_year_only():
    result = calendar.add_working_days(D(2026, 12, 30), 3)
    assert result.due == D(2027, 1, 4)
    assert result.unknown_years == (2027,)
    assert calendar.add_working_days(D(2026, 12, 29), 2).provisional is False  # stays in 2026


@pytest.mark.django_db
def test_strict_query__unknown_year_raises_with_code_and_chinese_message():
    with pytest.raises(CalendarYearUnknown) as err:
        calendar.is_working_day(D(2027, 3, 3), strict=True)
    assert err.value.code == "calendar_year_unknown"
    assert err.value.status == 409
    assert "2027年" in err.value.message and "系统管理员" in err.value.message and "录入" in err.value.message
    assert err.value.detail["year"] == 2027
    with pytest.raises(CalendarYearUnknown):
        calendar.add_working_days(D(2026, 12, 30), 3, strict=True)
    assert calendar.is_working_day(D(2026, 10, 9), strict=True) is True


@pytest.mark.django_db
def test_unknown_year__after_admin_enters_and_confirms_2027_it_is_no_longer_provisional(sysadmin):
    before = calendar.add_working_days(D(2027, 9, 30), 2)
    assert before.provisional and before.due == D(2027, 10, 4)

    calendar_services.calendar_year_import(actor=sysadmin, table=TABLE_2027)

    after = before.recompute()
    assert after.provisional is False and after.unknown_years == ()
    assert after.due == D(2027, 10, 9)  # Fri 8th, then Saturday 9th worked in lieu
    assert calendar.day_info(D(2027, 10, 1)).kind is DayKind.HOLIDAY
    assert calendar.day_info(D(2027, 10, 1)).source is DaySource.ENTERED
    assert calendar.add_working_days(D(2026, 12, 30), 3).due == D(2027, 1, 5)
    assert calendar.is_working_day(D(2027, 3, 3), strict=True) is True
    assert calendar.year_source(2027) is YearSource.ENTERED


@pytest.mark.django_db
def test_entered_days_of_an_unconfirmed_year__are_honoured_but_still_provisional(sysadmin):
    calendar_services.calendar_day_set(actor=sysadmin, day=D(2027, 10, 1), is_working_day=False, name="国庆节")
    result = calendar.add_working_days(D(2027, 9, 30), 1)
    assert result.due == D(2027, 10, 4)
    assert result.provisional and result.unknown_years == (2027,)
    info = calendar.day_info(D(2027, 10, 1))
    assert info.source is DaySource.ENTERED and info.provisional and not info.is_working_day


@pytest.mark.django_db
def test_add_calendar_days__roll_forward_off_a_holiday():
    assert calendar.add_calendar_days(D(2026, 9, 1), 30).due == D(2026, 10, 1)
    rolled = calendar.add_calendar_days(D(2026, 9, 1), 30, roll_forward=True)
    assert rolled.due == D(2026, 10, 8) and not rolled.provisional
    provisional = calendar.add_calendar_days(D(2026, 12, 31), 2, roll_forward=True)  # Sat 2 Jan 2027
    assert provisional.due == D(2027, 1, 4) and provisional.unknown_years == (2027,)


@pytest.mark.django_db
def test_due_date_as_dict__carries_what_a_caller_stores():
    stored = calendar.add_working_days(D(2027, 9, 30), 2).as_dict()
    assert stored == {
        "start": "2027-09-30",
        "days": 2,
        "unit": "working",
        "due": "2027-10-04",
        "provisional": True,
        "unknown_years": [2027],
    }


@pytest.mark.django_db
def test_next_working_day__and_its_recompute(sysadmin):
    result = calendar.next_working_day(D(2027, 10, 1))
    assert result.due == D(2027, 10, 1) and result.provisional
    calendar_services.calendar_year_import(actor=sysadmin, table=TABLE_2027)
    assert result.recompute().due == D(2027, 10, 8) and not result.recompute().provisional
    assert calendar.next_working_day(D(2026, 10, 9), include_self=False).due == D(2026, 10, 10)
