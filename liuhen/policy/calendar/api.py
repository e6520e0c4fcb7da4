"""工作日历接口 (working-day calendar API), mounted at /api/calendar/.

Any authenticated client may ask "date + N working days" and whether one day is a working day; an
answer that rests on a year nobody entered says ``provisional: true`` with ``unknown_years``. With
``strict=true`` such a query is refused with ``calendar_year_unknown`` (409). The system
administrator may enter days and confirm years through the same services as the calendar page.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from liuhen.core.api import ErrorOut
from liuhen.core.errors import ValidationFailed
from liuhen.core.inputs import Year
from liuhen.policy.calendar import services as calendar_services
from liuhen.policy.calendar import workdays as calendar

router = Router(tags=["工作日历"])


ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


class AddWorkingDaysQuery(Schema):
    start: date = Field(description="起算日（当天不计入），YYYY-MM-DD", examples=["2026-09-30"])
    n: int = Field(ge=0, le=calendar.MAX_SPAN_DAYS, description="工作日数", examples=[2])
    strict: bool = Field(False, description="为 true 时，涉及未录入年度即返回 409 calendar_year_unknown")


class DueDateOut(Schema):
    start: date = Field(description="起算日")
    n: int = Field(description="工作日数")
    due: date = Field(description="到期日：起算日之后第 n 个工作日")
    provisional: bool = Field(description="是否暂定：计算涉及节假日未录入的年度，仅按双休日计算")
    unknown_years: list[int] = Field(description="节假日未录入的年度")
    note: str = Field(description="显示用说明，如“暂定（2027年节假日未录入）”；确定时为空")


class DayOut(Schema):
    day: date
    is_working_day: bool = Field(description="是否工作日")
    kind: Literal["workday", "weekend", "holiday", "makeup_workday"] = Field(
        description="workday 工作日；weekend 周末；holiday 法定节假日；makeup_workday 调休上班"
    )
    name: str = Field(description="节日名称或说明")
    source: Literal["entered", "package", "weekend_rule"] = Field(
        description="entered 管理员录入；package 内置日历；weekend_rule 未录入年度按双休日推定"
    )
    provisional: bool = Field(description="是否暂定")


class YearOut(Schema):
    year: int
    source: Literal["package", "entered", "unknown"] = Field(
        description="package 内置；entered 已录入并确认；unknown 未录入"
    )
    label: str = Field(description="中文状态")
    holidays_entered: int
    makeup_days_entered: int
    confirmed_source: str = Field(description="确认依据（国务院办公厅通知）")
    confirmed_at: datetime | None


class DaySetIn(Schema):
    day: date
    is_working_day: bool = Field(description="false 放假；true 调休上班")
    name: str = Field(description="节日名称或说明", examples=["春节"])


class YearConfirmIn(Schema):
    source: str = Field(description="依据：国务院办公厅通知名称和文号")


@router.get("/add-working-days", response={200: DueDateOut, **ERRORS}, summary="起算日加 N 个工作日")
def add_working_days(request: HttpRequest, q: Query[AddWorkingDaysQuery]) -> Any:
    result = calendar.add_working_days(q.start, q.n, strict=q.strict)
    return {
        "start": result.start,
        "n": result.days,
        "due": result.due,
        "provisional": result.provisional,
        "unknown_years": list(result.unknown_years),
        "note": result.note,
    }


@router.get("/day/{day}", response={200: DayOut, **ERRORS}, summary="某日是否工作日")
def day_info(request: HttpRequest, day: date, strict: bool = False) -> Any:
    return calendar.day_info(day, strict=strict).as_dict()


@router.get("/years", response={200: list[YearOut], **ERRORS}, summary="各年度数据来源")
def years(request: HttpRequest, start: Year | None = None, end: Year | None = None) -> Any:
    today = timezone.localdate()
    first = start if start is not None else today.year - 1
    last = end if end is not None else today.year + 2
    if last < first or last - first > 100:
        raise ValidationFailed("年份范围无效（end 不早于 start，且最多 100 年）", code="calendar_years_range_invalid")
    rows = calendar.WorkingCalendar().year_statuses(range(first, last + 1))
    return [
        {
            "year": r.year,
            "source": str(r.source),
            "label": r.label,
            "holidays_entered": r.holidays_entered,
            "makeup_days_entered": r.makeup_days_entered,
            "confirmed_source": r.confirmed_source,
            "confirmed_at": r.confirmed_at,
        }
        for r in rows
    ]


@router.post("/days", response={200: DayOut, **ERRORS}, summary="录入一日（系统管理员）")
def day_set(request: HttpRequest, body: DaySetIn) -> Any:
    calendar_services.calendar_day_set(
        actor=request.auth, day=body.day, is_working_day=body.is_working_day, name=body.name
    )
    return calendar.day_info(body.day).as_dict()


@router.post("/years/{year}/confirm", response={200: YearOut, **ERRORS}, summary="确认年度（系统管理员）")
def year_confirm(request: HttpRequest, year: Year, body: YearConfirmIn) -> Any:
    calendar_services.calendar_year_confirm(actor=request.auth, year=year, source=body.source)
    return years(request, start=year, end=year)[0]
