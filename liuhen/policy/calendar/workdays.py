"""Working days (工作日) on the State Council holiday calendar: holidays and make-up working days (调休上班).

Every deadline counted in working days goes through this module: the AV upload deadline
(time-av-upload-2wd), upload after returning from remote work (time-av-upload-after-return) and the
supplementary filing approval (time-filing-makeup-2wd). Callers compute with it; they never count
weekdays themselves.

Where the answer for one day comes from, strongest first:

1. a :class:`~liuhen.policy.models.CalendarDay` row entered by the system administrator (it overrides
   the package: used for years the package does not know, and to correct a single day);
2. the ``chinese-calendar`` package for the years it knows (2004–2026 in 1.11);
3. otherwise the weekend rule (Monday to Friday work) — **provisional**.

A year is *known* when the package covers it or a :class:`~liuhen.policy.models.CalendarYear` row
confirms that its whole table was entered. Any answer that had to look at a day of an unknown year
carries ``provisional=True`` and the unknown years, so every page and API that shows it can say
"暂定（2027年节假日未录入）". Strict queries raise :class:`CalendarYearUnknown` instead.

Counting convention: the day counted from is not itself counted. ``add_working_days(d, n)`` is the
n-th working day after ``d``; 2026-09-30 plus 2 working days is 2026-10-09 (1–7 October are the
National Day holiday, 8 and 9 October are working days).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import chinese_calendar
from django.utils import timezone

from liuhen.core.errors import DomainError, ValidationFailed
from liuhen.core.hooks import Hook
from liuhen.policy.models import CalendarDay, CalendarYear

# Called (after commit) when entered calendar data changes, with ``years=[...]``: a deadline service
# may register to recompute the due dates it stored as provisional for those years.
calendar_changed = Hook("calendar_changed", "Entered calendar data changed, after commit: years.")

# Longest span one query may count. Legal deadlines are days or weeks; this only stops a typo
# (n = 100000) from walking the calendar for minutes.
MAX_SPAN_DAYS = 3660

WEEKDAY_LABELS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")

# Names the package uses, in the words of the State Council notices.
_PACKAGE_HOLIDAY_NAMES: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


class CalendarYearUnknown(DomainError):
    """A strict query touched a year whose holidays neither the package nor the administrator supplied."""

    code = "calendar_year_unknown"
    status = 409
    message = "该年度的法定节假日安排尚未录入"

    def __init__(self, year: int, day: dt.date | None = None) -> None:
        what = f"无法确定 {day.isoformat()} 是否为工作日" if day else "无法按工作日计算期限"
        super().__init__(
            f"{year}年的法定节假日和调休安排尚未录入，{what}。"
            f"请系统管理员在“工作日历”页面按国务院办公厅通知录入{year}年的放假和调休上班日期，并确认该年度。",
            year=year,
            day=day.isoformat() if day else None,
        )
        self.year = year


class YearSource(StrEnum):
    """Where a year's holiday table comes from."""

    PACKAGE = "package"  # the chinese-calendar package knows it
    ENTERED = "entered"  # an administrator entered and confirmed it
    UNKNOWN = "unknown"  # nobody: weekends only, provisional


YEAR_SOURCE_LABELS: dict[YearSource, str] = {
    YearSource.PACKAGE: "内置日历",
    YearSource.ENTERED: "已录入并确认",
    YearSource.UNKNOWN: "未录入（按双休日暂算）",
}


class DaySource(StrEnum):
    """Where the answer for one day comes from."""

    ENTERED = "entered"
    PACKAGE = "package"
    WEEKEND_RULE = "weekend_rule"


class DayKind(StrEnum):
    WORKDAY = "workday"  # an ordinary Monday–Friday
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # statutory holiday or a day off in its bridge
    MAKEUP_WORKDAY = "makeup_workday"  # 调休上班: a Saturday or Sunday worked


DAY_KIND_LABELS: dict[DayKind, str] = {
    DayKind.WORKDAY: "工作日",
    DayKind.WEEKEND: "休息日（周末）",
    DayKind.HOLIDAY: "法定节假日",
    DayKind.MAKEUP_WORKDAY: "调休上班",
}


def provisional_note(unknown_years: tuple[int, ...] | list[int]) -> str:
    """The words shown beside a provisional date: ``暂定（2027年节假日未录入）``; empty when not provisional."""
    if not unknown_years:
        return ""
    return "暂定（" + "、".join(str(y) for y in sorted(set(unknown_years))) + "年节假日未录入）"


@dataclass(frozen=True)
class DayInfo:
    """The calendar's answer for one day."""

    day: dt.date
    is_working_day: bool
    kind: DayKind
    source: DaySource
    name: str = ""  # holiday or make-up day name, in Chinese
    # True when the day's year is unknown (not in the package, not confirmed): the answer may change.
    provisional: bool = False

    @property
    def kind_label(self) -> str:
        return DAY_KIND_LABELS[self.kind]

    @property
    def weekday_label(self) -> str:
        return WEEKDAY_LABELS[self.day.weekday()]

    @property
    def note(self) -> str:
        return provisional_note([self.day.year]) if self.provisional else ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "is_working_day": self.is_working_day,
            "kind": str(self.kind),
            "name": self.name,
            "source": str(self.source),
            "provisional": self.provisional,
        }


@dataclass(frozen=True)
class DueDate:
    """A date computed from ``start`` by counting ``days`` working (or calendar) days.

    Store ``due`` and ``provisional`` (and ``unknown_years`` if you can); keep ``start`` and ``days``
    to recompute with :meth:`recompute` once the unknown years are entered.
    """

    start: dt.date
    days: int
    due: dt.date
    # "working"; "calendar" / "calendar_rolled" (add_calendar_days); "next_working[_after]" (next_working_day)
    unit: str = "working"
    unknown_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.unknown_years)

    @property
    def note(self) -> str:
        """``暂定（2027年节假日未录入）`` when provisional, else empty."""
        return provisional_note(self.unknown_years)

    def recompute(self) -> DueDate:
        """The same count again on today's calendar data (after an administrator entered a year)."""
        if self.unit == "working":
            return add_working_days(self.start, self.days)
        if self.unit in ("next_working", "next_working_after"):
            return next_working_day(self.start, include_self=self.unit == "next_working")
        return add_calendar_days(self.start, self.days, roll_forward=self.unit == "calendar_rolled")

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "days": self.days,
            "unit": self.unit,
            "due": self.due.isoformat(),
            "provisional": self.provisional,
            "unknown_years": list(self.unknown_years),
        }


@dataclass(frozen=True)
class WorkingDayCount:
    """How many working days lie after ``start`` up to and including ``end`` (negative when end < start)."""

    start: dt.date
    end: dt.date
    days: int
    unknown_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.unknown_years)

    @property
    def note(self) -> str:
        return provisional_note(self.unknown_years)


@dataclass(frozen=True)
class YearStatus:
    """What the calendar knows about one year (for the calendar page and the API)."""

    year: int
    source: YearSource
    holidays_entered: int = 0
    makeup_days_entered: int = 0
    confirmed_source: str = ""
    confirmed_by: str = ""
    confirmed_at: dt.datetime | None = None

    @property
    def label(self) -> str:
        if self.source is YearSource.UNKNOWN and (self.holidays_entered or self.makeup_days_entered):
            return "已录入部分日期，未确认（按暂定计算）"
        return YEAR_SOURCE_LABELS[self.source]

    @property
    def provisional(self) -> bool:
        return self.source is YearSource.UNKNOWN


@functools.cache
def package_years() -> range:
    """The years the installed ``chinese-calendar`` package knows (2004–2026 for 1.11)."""
    keys = chinese_calendar.constants.holidays.keys()
    return range(min(keys).year, max(keys).year + 1)


def as_local_date(value: dt.date | dt.datetime) -> dt.date:
    """A calendar date in Asia/Shanghai. Aware datetimes are converted; naive datetimes are refused."""
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            raise ValidationFailed("时间缺少时区信息，无法确定是哪一天", code="calendar_naive_datetime")
        return timezone.localtime(value).date()
    if isinstance(value, dt.date):
        return value
    raise ValidationFailed(f"不是日期：{value!r}", code="calendar_not_a_date")


def _check_span(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValidationFailed("天数须为整数", code="calendar_days_invalid")
    if n < 0:
        raise ValidationFailed(f"天数不能为负数（收到 {n}）", code="calendar_days_negative")
    if n > MAX_SPAN_DAYS:
        raise ValidationFailed(f"天数过大（收到 {n}，最多 {MAX_SPAN_DAYS}）", code="calendar_days_too_large")


@dataclass
class WorkingCalendar:
    """One consistent read of the calendar tables; reuse it to compute many deadlines with few queries.

    ``WorkingCalendar()`` reads lazily: the confirmed years once, the entered days of a year the first
    time a day of that year is asked for. Make a new one after the tables change.
    """

    _confirmed: set[int] | None = None
    _entered: dict[int, dict[dt.date, tuple[bool, str]]] = field(default_factory=dict)

    # --- reading the tables ---
    def _confirmed_years(self) -> set[int]:
        if self._confirmed is None:
            self._confirmed = set(CalendarYear.objects.values_list("year", flat=True))
        return self._confirmed

    def _entered_days(self, year: int) -> dict[dt.date, tuple[bool, str]]:
        if year not in self._entered:
            rows = CalendarDay.objects.filter(day__gte=dt.date(year, 1, 1), day__lte=dt.date(year, 12, 31))
            self._entered[year] = {r.day: (r.is_working_day, r.name) for r in rows}
        return self._entered[year]

    # --- years ---
    def year_source(self, year: int) -> YearSource:
        if year in package_years():
            return YearSource.PACKAGE
        if year in self._confirmed_years():
            return YearSource.ENTERED
        return YearSource.UNKNOWN

    def is_year_known(self, year: int) -> bool:
        return self.year_source(year) is not YearSource.UNKNOWN

    # --- days ---
    def day_info(self, day: dt.date | dt.datetime, *, strict: bool = False, use_entered: bool = True) -> DayInfo:
        """The answer for one day; ``strict`` raises :class:`CalendarYearUnknown` for an unknown year.

        ``use_entered=False`` ignores the administrator's rows (what the package or weekend rule alone says).
        """
        day = as_local_date(day)
        source = self.year_source(day.year)
        if strict and source is YearSource.UNKNOWN:
            raise CalendarYearUnknown(day.year, day)
        weekend = day.weekday() >= 5
        entered = self._entered_days(day.year).get(day) if use_entered else None
        if entered is not None:
            working, name = entered
            # An entered day of an unconfirmed year stays provisional: its year's table may be incomplete.
            return DayInfo(day, working, _kind(working, weekend), DaySource.ENTERED, name, source is YearSource.UNKNOWN)
        if source is YearSource.PACKAGE:
            try:
                working = chinese_calendar.is_workday(day)
                _, holiday = chinese_calendar.get_holiday_detail(day)
            except NotImplementedError:  # a package without this year after all: fall through to the weekend rule
                pass
            else:
                name = _PACKAGE_HOLIDAY_NAMES.get(holiday, holiday or "") if holiday else ""
                kind = _kind(working, weekend)
                if kind is DayKind.WEEKEND:
                    name = ""
                return DayInfo(day, working, kind, DaySource.PACKAGE, name)
        kind = DayKind.WEEKEND if weekend else DayKind.WORKDAY
        if source is YearSource.ENTERED:
            return DayInfo(day, not weekend, kind, DaySource.ENTERED)
        return DayInfo(day, not weekend, kind, DaySource.WEEKEND_RULE, provisional=True)

    def is_working_day(self, day: dt.date | dt.datetime, *, strict: bool = False) -> bool:
        return self.day_info(day, strict=strict).is_working_day

    def add_working_days(self, start: dt.date | dt.datetime, n: int, *, strict: bool = False) -> DueDate:
        """The n-th working day after ``start`` (``start`` itself is not counted; n = 0 gives ``start``)."""
        start = as_local_date(start)
        _check_span(n)
        unknown: set[int] = set()
        day, counted = start, 0
        while counted < n:
            day = _next(day)
            info = self.day_info(day, strict=strict)
            if info.provisional:
                unknown.add(day.year)
            if info.is_working_day:
                counted += 1
        return DueDate(start=start, days=n, due=day, unit="working", unknown_years=tuple(sorted(unknown)))

    def working_days_between(
        self, start: dt.date | dt.datetime, end: dt.date | dt.datetime, *, strict: bool = False
    ) -> WorkingDayCount:
        """Working days after ``start`` up to and including ``end``; negative when ``end`` is before ``start``.

        ``working_days_between(d, add_working_days(d, n).due).days == n``.
        """
        start, end = as_local_date(start), as_local_date(end)
        sign, lo, hi = (1, start, end) if end >= start else (-1, end, start)
        _check_span((hi - lo).days)
        unknown: set[int] = set()
        count, day = 0, lo
        while day < hi:
            day = _next(day)
            info = self.day_info(day, strict=strict)
            if info.provisional:
                unknown.add(day.year)
            count += info.is_working_day
        return WorkingDayCount(start=start, end=end, days=sign * count, unknown_years=tuple(sorted(unknown)))

    def next_working_day(
        self, day: dt.date | dt.datetime, *, include_self: bool = True, strict: bool = False
    ) -> DueDate:
        """``day`` itself when it is a working day (with ``include_self``), else the first working day after it."""
        start = as_local_date(day)
        unknown: set[int] = set()
        current = start if include_self else _next(start)
        for _ in range(MAX_SPAN_DAYS):
            info = self.day_info(current, strict=strict)
            if info.provisional:
                unknown.add(current.year)
            if info.is_working_day:
                break
            current = _next(current)
        unit = "next_working" if include_self else "next_working_after"
        return DueDate(start=start, days=0, due=current, unit=unit, unknown_years=tuple(sorted(unknown)))

    def add_calendar_days(self, start: dt.date | dt.datetime, n: int, *, roll_forward: bool = False) -> DueDate:
        """``start`` plus ``n`` calendar days (日). With ``roll_forward`` a due date on a rest day moves to the
        next working day (期间届满的最后一日是法定节假日的，以节假日后的第一日为期间届满的日期)."""
        start = as_local_date(start)
        _check_span(n)
        due = start + dt.timedelta(days=n)
        if not roll_forward:
            return DueDate(start=start, days=n, due=due, unit="calendar")
        rolled = self.next_working_day(due)
        return DueDate(start=start, days=n, due=rolled.due, unit="calendar_rolled", unknown_years=rolled.unknown_years)

    # --- overview ---
    def year_statuses(self, years: list[int] | range) -> list[YearStatus]:
        """Status of each year in ``years`` plus every year with entered data (for the calendar page)."""
        wanted = set(years)
        counts: dict[int, list[int]] = {}
        for day, working in CalendarDay.objects.values_list("day", "is_working_day"):
            counts.setdefault(day.year, [0, 0])[1 if working else 0] += 1
        confirmed = {y.year: y for y in CalendarYear.objects.select_related("confirmed_by")}
        wanted |= set(counts) | set(confirmed)
        out = []
        for year in sorted(wanted):
            holidays, makeups = counts.get(year, [0, 0])
            row = confirmed.get(year)
            out.append(
                YearStatus(
                    year=year,
                    source=self.year_source(year),
                    holidays_entered=holidays,
                    makeup_days_entered=makeups,
                    confirmed_source=row.source if row else "",
                    confirmed_by=(str(row.confirmed_by) if row and row.confirmed_by else ("系统" if row else "")),
                    confirmed_at=row.confirmed_at if row else None,
                )
            )
        return out


def _next(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1)


def _kind(working: bool, weekend: bool) -> DayKind:
    if working:
        return DayKind.MAKEUP_WORKDAY if weekend else DayKind.WORKDAY
    return DayKind.WEEKEND if weekend else DayKind.HOLIDAY


# --- module-level conveniences: each reads the tables afresh -------------------------------------


def day_info(day: dt.date | dt.datetime, *, strict: bool = False) -> DayInfo:
    """The calendar's answer for one day, with where it came from and whether it is provisional."""
    return WorkingCalendar().day_info(day, strict=strict)


def is_working_day(day: dt.date | dt.datetime, *, strict: bool = False) -> bool:
    """Whether ``day`` is a working day. For an unknown year the weekend rule answers, unless ``strict``
    (then :class:`CalendarYearUnknown`). Use :func:`day_info` when the answer is shown to anyone: it says
    whether it is provisional."""
    return WorkingCalendar().is_working_day(day, strict=strict)


def add_working_days(start: dt.date | dt.datetime, n: int, *, strict: bool = False) -> DueDate:
    """The n-th working day after ``start`` (``start`` is not counted), e.g. 2026-09-30 + 2 → 2026-10-09."""
    return WorkingCalendar().add_working_days(start, n, strict=strict)


def working_days_between(
    start: dt.date | dt.datetime, end: dt.date | dt.datetime, *, strict: bool = False
) -> WorkingDayCount:
    """Working days after ``start`` up to and including ``end`` (negative when ``end`` < ``start``)."""
    return WorkingCalendar().working_days_between(start, end, strict=strict)


def add_calendar_days(start: dt.date | dt.datetime, n: int, *, roll_forward: bool = False) -> DueDate:
    """``start`` + ``n`` calendar days; ``roll_forward`` moves a due date on a rest day to the next working day."""
    return WorkingCalendar().add_calendar_days(start, n, roll_forward=roll_forward)


def next_working_day(day: dt.date | dt.datetime, *, include_self: bool = True, strict: bool = False) -> DueDate:
    return WorkingCalendar().next_working_day(day, include_self=include_self, strict=strict)


def year_source(year: int) -> YearSource:
    return WorkingCalendar().year_source(year)


__all__ = [
    "DAY_KIND_LABELS",
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
