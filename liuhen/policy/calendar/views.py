"""Working-day calendar pages at /calendar/.

Anyone logged in sees which years the calendar knows and can compute "date + N working days" with
the answer marked provisional where a year is unknown. The system administrator (org.settings.manage)
enters holidays and make-up working days, imports a whole year from YAML and confirms years. Views
translate forms and delegate to ``calendar.services``; the rules live there and in ``calendar.workdays``;
who may maintain the calendar is the calendar policy's (``liuhen.policy.policies``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from liuhen.core.errors import DomainError
from liuhen.core.errors import PermissionDenied as DomainPermissionDenied
from liuhen.policy.calendar import services as calendar_services
from liuhen.policy.calendar import workdays as calendar
from liuhen.policy.models import CalendarDay
from liuhen.policy.policies import calendar_policy

# The computation page lists each day it counted, up to this many (beyond, it only gives the answer).
STEPS_SHOWN_MAX = 62
IMPORT_MAX_BYTES = 64 * 1024


class _Bootstrap:
    """Bootstrap classes on every widget (no inline style; CSP forbids it)."""

    def _style(self: Any) -> None:
        for f in self.fields.values():
            widget = f.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class CalcForm(_Bootstrap, forms.Form):
    start = forms.DateField(label="起算日", widget=DateInput(), help_text="起算日当天不计入")
    n = forms.IntegerField(label="工作日数", min_value=0, max_value=calendar.MAX_SPAN_DAYS, initial=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class DaySetForm(_Bootstrap, forms.Form):
    KINDS = [("holiday", "放假（法定节假日）"), ("makeup", "调休上班")]
    day = forms.DateField(label="日期", widget=DateInput())
    kind = forms.ChoiceField(label="类型", choices=KINDS)
    name = forms.CharField(
        label="节日名称或说明", max_length=calendar_services.NAME_MAX, help_text="例如：春节、国庆节调休上班"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class DayClearForm(forms.Form):
    day = forms.DateField(widget=forms.HiddenInput())


class YearConfirmForm(_Bootstrap, forms.Form):
    year = forms.IntegerField(label="年份", min_value=calendar_services.YEAR_MIN, max_value=calendar_services.YEAR_MAX)
    source = forms.CharField(
        label="依据",
        max_length=calendar_services.SOURCE_MAX,
        help_text="国务院办公厅通知的名称和文号",
        widget=forms.TextInput(
            attrs={"placeholder": "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕×号）"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class YearImportForm(_Bootstrap, forms.Form):
    file = forms.FileField(label="年度安排文件（YAML）", help_text="格式见下方示例；文件中的 source 为确认依据")
    confirm = forms.BooleanField(label="导入后确认该年度", required=False, initial=True)
    replace = forms.BooleanField(label="替换该年已录入的日期", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
        self.fields["file"].widget.attrs["accept"] = ".yaml,.yml,text/yaml"

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(f"文件过大（最多 {IMPORT_MAX_BYTES // 1024} KB）")
        return upload


def _manager_only(request: HttpRequest) -> None:
    refused = calendar_policy.refusal(request.user, "manage")
    if refused is not None:
        raise PermissionDenied(refused.message)


def _run(request: HttpRequest, action: Callable[[], Any], success: Callable[[Any], str]) -> bool:
    """Run a service call; its Chinese refusal becomes an error message on the page."""
    try:
        result = action()
    except DomainPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success(result))
    return True


def _page(request: HttpRequest, *, status: int = 200, **forms_: Any) -> HttpResponse:
    today = timezone.localdate()
    cal = calendar.WorkingCalendar()
    context: dict[str, Any] = {
        "today": today,
        "years": cal.year_statuses(range(today.year - 1, today.year + 3)),
        "package_span": calendar.package_years(),
        "can_manage": calendar_policy.user_can(request.user, "manage"),
    }
    calc = CalcForm(request.GET) if "n" in request.GET else CalcForm(initial={"start": today, "n": 2})
    context["calc_form"] = calc
    if calc.is_bound and calc.is_valid():
        start, n = calc.cleaned_data["start"], calc.cleaned_data["n"]
        try:
            result = cal.add_working_days(start, n)
        except DomainError as exc:
            calc.add_error(None, exc.message)
        else:
            context["result"] = result
            if (result.due - start).days <= STEPS_SHOWN_MAX:
                context["steps"] = [
                    cal.day_info(start + dt.timedelta(days=i)) for i in range(1, (result.due - start).days + 1)
                ]
    if context["can_manage"]:
        context["day_form"] = forms_.get("day_form") or DaySetForm()
        context["confirm_form"] = forms_.get("confirm_form") or YearConfirmForm(initial={"year": today.year + 1})
        context["import_form"] = forms_.get("import_form") or YearImportForm()
        entered: dict[int, list[CalendarDay]] = {}
        for entry in CalendarDay.objects.select_related("set_by"):
            entered.setdefault(entry.day.year, []).append(entry)
        context["entered"] = sorted(entered.items())
        context["weekday_labels"] = calendar.WEEKDAY_LABELS
    return render(request, "calendar/overview.html", context, status=status)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def day_set(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    form = DaySetForm(request.POST)
    if not form.is_valid():
        return _page(request, status=400, day_form=form)
    data = form.cleaned_data
    working = data["kind"] == "makeup"
    done = _run(
        request,
        lambda: calendar_services.calendar_day_set(
            actor=request.user, day=data["day"], is_working_day=working, name=data["name"]
        ),
        lambda entry: f"已录入 {entry.day.isoformat()}：{'调休上班' if working else '放假'}（{entry.name}）",
    )
    if not done:
        return _page(request, status=400, day_form=form)
    return redirect("calendar:overview")


@login_required
@require_POST
def day_clear(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    form = DayClearForm(request.POST)
    if form.is_valid():
        day = form.cleaned_data["day"]
        _run(
            request,
            lambda: calendar_services.calendar_day_clear(actor=request.user, day=day),
            lambda _: f"已删除 {day.isoformat()} 的录入",
        )
    else:
        messages.error(request, "日期无效")
    return redirect("calendar:overview")


@login_required
@require_POST
def year_confirm(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    form = YearConfirmForm(request.POST)
    if not form.is_valid():
        return _page(request, status=400, confirm_form=form)
    data = form.cleaned_data
    done = _run(
        request,
        lambda: calendar_services.calendar_year_confirm(actor=request.user, year=data["year"], source=data["source"]),
        lambda entry: f"已确认{entry.year}年的工作日历；该年的期限不再是暂定",
    )
    if not done:
        return _page(request, status=400, confirm_form=form)
    return redirect("calendar:overview")


@login_required
@require_POST
def year_import(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    form = YearImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, status=400, import_form=form)
    upload = form.cleaned_data["file"]

    def run() -> calendar_services.ImportResult:
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise calendar_services.CalendarInputInvalid(
                "文件不是 UTF-8 编码的文本", code="calendar_file_invalid"
            ) from exc
        table = calendar_services.parse_year_table(text, filename=upload.name)
        return calendar_services.calendar_year_import(
            actor=request.user, table=table, confirm=form.cleaned_data["confirm"], replace=form.cleaned_data["replace"]
        )

    done = _run(
        request,
        run,
        lambda r: (
            f"已导入{r.year}年：放假 {r.holidays} 天，调休上班 {r.makeup_days} 天"
            + ("，并已确认该年度" if r.confirmed else "；该年度尚未确认，期限仍为暂定")
        ),
    )
    if not done:
        return _page(request, status=400, import_form=form)
    return redirect("calendar:overview")
