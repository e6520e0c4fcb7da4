"""The working-day calendar (工作日): every deadline counted in working days is counted here.

- ``workdays``: the calendar itself — the State Council holidays and make-up working days, from the
  ``chinese-calendar`` package and the years the system administrator entered (``WorkingCalendar``);
- ``services``: entering days and whole years, confirming a year; ``api``, ``views``, ``urls``: the
  ``/api/calendar/`` endpoints and the 工作日历 page.

Other apps import what is named here: ``from liuhen.policy.calendar import WorkingCalendar``.
"""

from __future__ import annotations

from liuhen.policy.calendar.workdays import (
    DAY_KIND_LABELS,
    MAX_SPAN_DAYS,
    WEEKDAY_LABELS,
    YEAR_SOURCE_LABELS,
    CalendarYearUnknown,
    DayInfo,
    DayKind,
    DaySource,
    DueDate,
    WorkingCalendar,
    WorkingDayCount,
    YearSource,
    YearStatus,
    add_calendar_days,
    add_working_days,
    as_local_date,
    calendar_changed,
    day_info,
    is_working_day,
    next_working_day,
    package_years,
    provisional_note,
    working_days_between,
    year_source,
)

__all__ = [
    "DAY_KIND_LABELS",
    "MAX_SPAN_DAYS",
    "WEEKDAY_LABELS",
    "YEAR_SOURCE_LABELS",
    "CalendarYearUnknown",
    "DayInfo",
    "DayKind",
    "DaySource",
    "DueDate",
    "WorkingCalendar",
    "WorkingDayCount",
    "YearSource",
    "YearStatus",
    "add_calendar_days",
    "add_working_days",
    "as_local_date",
    "calendar_changed",
    "day_info",
    "is_working_day",
    "next_working_day",
    "package_years",
    "provisional_note",
    "working_days_between",
    "year_source",
]
