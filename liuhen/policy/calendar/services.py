"""Writes to the working-day calendar table (system administrator, permission ``org.settings.manage``).

For years the ``chinese-calendar`` package does not know, the system administrator enters the State
Council's holidays and make-up working days — one day at a time, or a whole year from a small YAML
file — and then confirms the year, after which deadlines in it are no longer provisional. Each service
checks the whole input first (nothing is stored when any of it is wrong), writes in one transaction
with its ledger event, and announces the changed years on commit (``workdays.calendar_changed``) so
deadline services can recompute provisional due dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml
from django.db import transaction

from liuhen.core.errors import Conflict, NotFound, ValidationFailed
from liuhen.ledger.services import record
from liuhen.policy.calendar import workdays as calendar
from liuhen.policy.models import CalendarDay, CalendarYear
from liuhen.policy.policies import calendar_policy

NAME_MAX = CalendarDay._meta.get_field("name").max_length or 60
SOURCE_MAX = CalendarYear._meta.get_field("source").max_length or 200
# A State Council holiday never runs longer than nine days; a longer range is a typo.
HOLIDAY_RANGE_MAX_DAYS = 15
YEAR_MIN, YEAR_MAX = 2000, 2100


class CalendarInputInvalid(ValidationFailed):
    code = "calendar_input_invalid"
    message = "工作日历数据有误"


def _check_actor(actor: Any) -> None:
    """The calendar policy's ``manage``; ``actor=None`` is the operator at the command line."""
    if actor is not None:
        calendar_policy.require(actor, "manage")


def _announce(years: Iterable[int]) -> None:
    changed = sorted(set(years))
    transaction.on_commit(lambda: calendar.calendar_changed(years=changed))


def _check_year(year: int) -> None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise CalendarInputInvalid(f"年份 {year} 超出范围（{YEAR_MIN}–{YEAR_MAX}）", code="calendar_year_out_of_range")


def _check_not_package_year(year: int) -> None:
    if year in calendar.package_years():
        span = calendar.package_years()
        raise CalendarInputInvalid(
            f"{year}年的节假日安排已由内置日历（{span.start}–{span.stop - 1}年）提供，无需整年录入或确认；"
            "如需更正个别日期，请单独录入该日。",
            code="calendar_year_known_by_package",
            year=year,
        )


def _clean_name(name: str, what: str) -> str:
    name = (name or "").strip()
    if not name:
        raise CalendarInputInvalid(
            f"{what}：请填写节日名称或说明（例如“春节”“春节调休上班”）", code="calendar_name_required"
        )
    if len(name) > NAME_MAX:
        raise CalendarInputInvalid(f"{what}：名称过长（最多 {NAME_MAX} 字）", code="calendar_name_too_long")
    return name


def _label(day: dt.date) -> str:
    return f"{day.isoformat()}（{calendar.WEEKDAY_LABELS[day.weekday()]}）"


# --- one day ----------------------------------------------------------------------------------


def calendar_day_set(*, actor: Any, day: dt.date, is_working_day: bool, name: str) -> CalendarDay:
    """Enter (or change) one day: a holiday (``is_working_day=False``) or a make-up working day (True).

    A make-up working day must be a Saturday or Sunday, unless it corrects a day the package lists
    as a holiday; marking an ordinary weekday as working again is done by clearing its entry.
    """
    _check_actor(actor)
    day = calendar.as_local_date(day)
    _check_year(day.year)
    name = _clean_name(name, _label(day))
    if is_working_day and day.weekday() < 5:
        package_says_rest = (
            day.year in calendar.package_years()
            and not calendar.WorkingCalendar().day_info(day, use_entered=False).is_working_day
        )
        existing = CalendarDay.objects.filter(day=day).first()
        if not package_says_rest:
            hint = "；如要撤销已录入的放假日，请删除该条目" if existing and not existing.is_working_day else ""
            raise CalendarInputInvalid(
                f"{_label(day)}本来就是工作日，调休上班日应是周六或周日{hint}",
                code="calendar_makeup_not_weekend",
                day=day.isoformat(),
            )
    with transaction.atomic():
        previous = CalendarDay.objects.select_for_update().filter(day=day).first()
        entry, _ = CalendarDay.objects.update_or_create(
            day=day, defaults={"is_working_day": bool(is_working_day), "name": name, "set_by": actor}
        )
        record(
            actor=actor,
            action="calendar_day.set",
            obj_type="calendar_day",
            obj_id=day.isoformat(),
            payload={
                "day": day.isoformat(),
                "is_working_day": bool(is_working_day),
                "name": name,
                "previous": ({"is_working_day": previous.is_working_day, "name": previous.name} if previous else None),
                "year_confirmed": CalendarYear.objects.filter(year=day.year).exists(),
            },
        )
        _announce([day.year])
    return entry


def calendar_day_clear(*, actor: Any, day: dt.date) -> None:
    """Remove one entered day, so the package or the weekend rule answers for it again."""
    _check_actor(actor)
    day = calendar.as_local_date(day)
    with transaction.atomic():
        entry = CalendarDay.objects.select_for_update().filter(day=day).first()
        if entry is None:
            raise NotFound(f"{_label(day)}没有录入的工作日历条目", code="calendar_day_not_entered")
        record(
            actor=actor,
            action="calendar_day.cleared",
            obj_type="calendar_day",
            obj_id=day.isoformat(),
            payload={"day": day.isoformat(), "was": {"is_working_day": entry.is_working_day, "name": entry.name}},
        )
        entry.delete()
        _announce([day.year])


# --- a whole year -----------------------------------------------------------------------------


def calendar_year_confirm(*, actor: Any, year: int, source: str) -> CalendarYear:
    """Declare ``year``'s table complete (per the State Council notice named in ``source``).

    From then on deadlines in ``year`` are no longer provisional and strict queries answer.
    """
    _check_actor(actor)
    _check_year(year)
    _check_not_package_year(year)
    source = (source or "").strip()
    if not source:
        raise CalendarInputInvalid(
            "请填写依据，例如“国务院办公厅关于2027年部分节假日安排的通知”及其文号", code="calendar_source_required"
        )
    if len(source) > SOURCE_MAX:
        raise CalendarInputInvalid(f"依据过长（最多 {SOURCE_MAX} 字）", code="calendar_source_too_long")
    with transaction.atomic():
        days = CalendarDay.objects.filter(day__gte=dt.date(year, 1, 1), day__lte=dt.date(year, 12, 31))
        holidays = days.filter(is_working_day=False).count()
        makeups = days.filter(is_working_day=True).count()
        if holidays == 0:
            raise CalendarInputInvalid(
                f"{year}年尚未录入任何法定节假日，不能确认该年度。请先按国务院办公厅通知录入放假日期和调休上班日期。",
                code="calendar_year_empty",
                year=year,
            )
        previous = CalendarYear.objects.select_for_update().filter(year=year).first()
        entry, _ = CalendarYear.objects.update_or_create(year=year, defaults={"source": source, "confirmed_by": actor})
        record(
            actor=actor,
            action="calendar_year.confirmed",
            obj_type="calendar_year",
            obj_id=year,
            payload={
                "year": year,
                "source": source,
                "holidays": holidays,
                "makeup_working_days": makeups,
                "previous_source": previous.source if previous else None,
            },
        )
        _announce([year])
    return entry


@dataclass(frozen=True)
class HolidayRange:
    name: str
    first: dt.date
    last: dt.date

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class YearTable:
    """One year of the State Council notice: holiday ranges and make-up working days."""

    year: int
    source: str
    holidays: tuple[HolidayRange, ...]
    makeup_days: tuple[tuple[dt.date, str], ...]


@dataclass(frozen=True)
class ImportResult:
    year: int
    holidays: int  # days off entered
    makeup_days: int
    replaced: int  # entries of that year removed first
    confirmed: bool


def _as_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise CalendarInputInvalid(f"{where}：应为日期（YYYY-MM-DD），不要带时间", code="calendar_file_invalid")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CalendarInputInvalid(f"{where}：“{value}”不是日期（应为 YYYY-MM-DD）", code="calendar_file_invalid")


def parse_year_table(text: str, *, filename: str = "") -> YearTable:
    """Read a year's table from YAML::

        year: 2027
        source: 国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕×号）
        holidays:
          - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
          - {name: 春节, from: 2027-02-06, to: 2027-02-13}
        makeup_working_days:
          - {date: 2027-02-14, name: 春节调休上班}

    Only the shape is checked here; :func:`calendar_year_import` checks the dates against each other.
    """
    prefix = f"{filename}: " if filename else ""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark else ""
        raise CalendarInputInvalid(f"{prefix}不是有效的 YAML {where}", code="calendar_file_invalid") from exc
    if not isinstance(data, dict):
        raise CalendarInputInvalid(
            f"{prefix}文件应包含 year、source、holidays、makeup_working_days", code="calendar_file_invalid"
        )
    unknown = set(data) - {"year", "source", "holidays", "makeup_working_days"}
    if unknown:
        raise CalendarInputInvalid(
            f"{prefix}未知字段：{'、'.join(sorted(map(str, unknown)))}", code="calendar_file_invalid"
        )
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int):
        raise CalendarInputInvalid(f"{prefix}year：应为四位年份", code="calendar_file_invalid")
    source = data.get("source") or ""
    if not isinstance(source, str):
        raise CalendarInputInvalid(f"{prefix}source：应为文字", code="calendar_file_invalid")
    raw_holidays = data.get("holidays") or []
    raw_makeups = data.get("makeup_working_days") or []
    if not isinstance(raw_holidays, list) or not isinstance(raw_makeups, list):
        raise CalendarInputInvalid(f"{prefix}holidays 和 makeup_working_days 应为列表", code="calendar_file_invalid")
    holidays = []
    for i, item in enumerate(raw_holidays, 1):
        where = f"{prefix}holidays 第{i}条"
        if not isinstance(item, dict):
            raise CalendarInputInvalid(f"{where}：应包含 name、from、to（或 date）", code="calendar_file_invalid")
        if "date" in item:
            first = last = _as_date(item["date"], where)
        elif "from" in item and "to" in item:
            first, last = _as_date(item["from"], where + " from"), _as_date(item["to"], where + " to")
        else:
            raise CalendarInputInvalid(f"{where}：缺少 from 和 to（单日可写 date）", code="calendar_file_invalid")
        holidays.append(HolidayRange(name=str(item.get("name") or ""), first=first, last=last))
    makeups = []
    for i, item in enumerate(raw_makeups, 1):
        where = f"{prefix}makeup_working_days 第{i}条"
        if not isinstance(item, dict) or "date" not in item:
            raise CalendarInputInvalid(f"{where}：应包含 date 和 name", code="calendar_file_invalid")
        makeups.append((_as_date(item["date"], where), str(item.get("name") or "")))
    return YearTable(year=year, source=source, holidays=tuple(holidays), makeup_days=tuple(makeups))


def _validate_table(table: YearTable) -> tuple[dict[dt.date, str], dict[dt.date, str]]:
    """The days off and the make-up working days of ``table``, or a precise refusal."""
    year = table.year
    _check_year(year)
    _check_not_package_year(year)
    if not table.holidays:
        raise CalendarInputInvalid(
            f"{year}年的导入数据没有任何放假安排；请按国务院办公厅通知填写 holidays",
            code="calendar_year_empty",
            year=year,
        )
    off: dict[dt.date, str] = {}
    for i, rng in enumerate(table.holidays, 1):
        where = f"第{i}条放假安排"
        name = _clean_name(rng.name, where)
        if rng.last < rng.first:
            raise CalendarInputInvalid(
                f"{where}“{name}”：结束日期 {rng.last.isoformat()} 早于开始日期 {rng.first.isoformat()}",
                code="calendar_range_reversed",
            )
        for day in (rng.first, rng.last):
            if day.year != year:
                raise CalendarInputInvalid(
                    f"{where}“{name}”：日期 {day.isoformat()} 不在{year}年内（跨年的假期请分别录入各年）",
                    code="calendar_date_outside_year",
                    day=day.isoformat(),
                )
        if (rng.last - rng.first).days + 1 > HOLIDAY_RANGE_MAX_DAYS:
            raise CalendarInputInvalid(
                f"{where}“{name}”：连续 {(rng.last - rng.first).days + 1} 天，超过 {HOLIDAY_RANGE_MAX_DAYS} 天，请核对日期",
                code="calendar_range_too_long",
            )
        for day in rng.days():
            if day in off and off[day] != name:
                raise CalendarInputInvalid(
                    f"{_label(day)}同时出现在“{off[day]}”和“{name}”两段放假安排中", code="calendar_holidays_overlap"
                )
            off[day] = name
    work: dict[dt.date, str] = {}
    for i, (day, raw_name) in enumerate(table.makeup_days, 1):
        where = f"第{i}个调休上班日"
        name = _clean_name(raw_name, where)
        if day.year != year:
            raise CalendarInputInvalid(
                f"{where}：日期 {day.isoformat()} 不在{year}年内",
                code="calendar_date_outside_year",
                day=day.isoformat(),
            )
        if day in off:
            raise CalendarInputInvalid(
                f"{_label(day)}既被列为放假（“{off[day]}”）又被列为调休上班（“{name}”），请核对",
                code="calendar_day_both_ways",
                day=day.isoformat(),
            )
        if day.weekday() < 5:
            raise CalendarInputInvalid(
                f"{where}：{_label(day)}本来就是工作日，调休上班日应是周六或周日",
                code="calendar_makeup_not_weekend",
                day=day.isoformat(),
            )
        if day in work:
            raise CalendarInputInvalid(f"{_label(day)}重复列为调休上班日", code="calendar_day_duplicate")
        work[day] = name
    return off, work


def calendar_year_import(*, actor: Any, table: YearTable, confirm: bool = True, replace: bool = False) -> ImportResult:
    """Enter a whole year at once (and, with ``confirm``, confirm it with ``table.source``).

    A year that already has entered days is only overwritten with ``replace``. Everything is checked
    before anything is written; the ledger keeps the whole table.
    """
    _check_actor(actor)
    off, work = _validate_table(table)
    source = table.source.strip()
    if confirm and not source:
        raise CalendarInputInvalid(
            "请填写依据（source），例如“国务院办公厅关于2027年部分节假日安排的通知”及其文号",
            code="calendar_source_required",
        )
    if len(source) > SOURCE_MAX:
        raise CalendarInputInvalid(f"依据过长（最多 {SOURCE_MAX} 字）", code="calendar_source_too_long")
    year = table.year
    if not confirm and CalendarYear.objects.filter(year=year).exists():
        # Otherwise a confirmation would stand over a table it never saw.
        raise CalendarInputInvalid(
            f"{year}年已确认；整年替换时须同时确认，并填写新的依据", code="calendar_year_reconfirm_required", year=year
        )
    with transaction.atomic():
        existing = CalendarDay.objects.select_for_update().filter(
            day__gte=dt.date(year, 1, 1), day__lte=dt.date(year, 12, 31)
        )
        replaced = len(list(existing))
        if replaced and not replace:
            raise Conflict(
                f"{year}年已录入 {replaced} 个日期；如要用本文件整年替换，请选择“替换已录入的日期”（命令行加 --replace）",
                code="calendar_year_has_entries",
                year=year,
            )
        existing.delete()
        CalendarDay.objects.bulk_create(
            [CalendarDay(day=d, is_working_day=False, name=n, set_by=actor) for d, n in sorted(off.items())]
            + [CalendarDay(day=d, is_working_day=True, name=n, set_by=actor) for d, n in sorted(work.items())]
        )
        record(
            actor=actor,
            action="calendar_year.imported",
            obj_type="calendar_year",
            obj_id=year,
            payload={
                "year": year,
                "source": source,
                "holidays": [
                    {"name": r.name.strip(), "from": r.first.isoformat(), "to": r.last.isoformat()}
                    for r in table.holidays
                ],
                "makeup_working_days": [{"date": d.isoformat(), "name": n} for d, n in sorted(work.items())],
                "replaced_entries": replaced,
            },
        )
        if confirm:
            calendar_year_confirm(actor=actor, year=year, source=source)
        else:
            _announce([year])
    return ImportResult(year=year, holidays=len(off), makeup_days=len(work), replaced=replaced, confirmed=confirm)


__all__ = [
    "CalendarInputInvalid",
    "HolidayRange",
    "ImportResult",
    "YearTable",
    "calendar_day_clear",
    "calendar_day_set",
    "calendar_year_confirm",
    "calendar_year_import",
    "parse_year_table",
]
