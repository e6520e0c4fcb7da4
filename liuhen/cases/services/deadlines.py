"""The deadline service: every due date of a case, from its pinned profile and the working-day calendar.

Clauses time-filing-makeup-2wd, time-archive-30d, flow-penalty-stages (suspension and extension).
A deadline is a clock: it starts at one case event and stops at another (``CaseClock`` in the
profile; the named deadlines ``filing_makeup`` and ``archiving`` have fixed clocks below). While a
pausing special stage (中止) is open, pausable clocks stand still and their due date moves by the
days they stood; an approved extension (延期) moves them by the days approved. A due date that falls
in a year whose holidays are not yet known is computed on weekends alone and marked provisional.

The case services invoke these inside their transaction; nothing here writes the ledger itself, the
calling step's event records what the clocks did.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from liuhen.cases.models import Case, CaseDeadline, CaseStatus, DeadlineStatus
from liuhen.policy.calendar import DueDate, WorkingCalendar, as_local_date
from liuhen.policy.schema import CaseClock, Deadline, Profile

# The named deadlines of every profile and the case events that bound them.
NAMED_CLOCKS: dict[str, CaseClock] = {
    "filing_makeup": CaseClock(start="case_opened_urgent", stop="case_filed", pausable=False),
    "archiving": CaseClock(start="case_closed", stop="case_archived", pausable=False),
}
DUE_SOON_DAYS = 3


@dataclass(frozen=True)
class ClockRule:
    code: str
    deadline: Deadline
    clock: CaseClock


def rules_for(profile: Profile, enforcement_type: str) -> list[ClockRule]:
    """The deadlines that apply to a case of this type under this profile (those with a number)."""
    rules: list[ClockRule] = []
    for code, clock in NAMED_CLOCKS.items():
        deadline = getattr(profile.deadlines, code)
        if deadline.value is not None:
            rules.append(ClockRule(code, deadline, clock))
    for code, deadline in profile.deadlines.others.items():
        clock = deadline.clock
        if clock is None or deadline.value is None:
            continue
        if clock.types and enforcement_type not in clock.types:
            continue
        rules.append(ClockRule(code, deadline, clock))
    return rules


def _due(cal: WorkingCalendar, start: dt.date, unit: str, days: int) -> DueDate:
    if unit == "working_days":
        return cal.add_working_days(start, days)
    # 期间届满的最后一日是法定节假日的，以节假日后的第一日为期间届满的日期
    return cal.add_calendar_days(start, days, roll_forward=True)


def _days_stood(cal: WorkingCalendar, unit: str, since: dt.date, until: dt.date) -> int:
    if until <= since:
        return 0
    if unit == "working_days":
        return max(cal.working_days_between(since, until).days, 0)
    return (until - since).days


def _recompute(cal: WorkingCalendar, d: CaseDeadline) -> None:
    due = _due(cal, d.started_on, d.unit, d.value + d.paused_days + d.extended_days)
    d.due_on, d.provisional = due.due, due.provisional


def on_event(
    case: Case, profile: Profile, event: str, *, at: dt.datetime, cal: WorkingCalendar | None = None
) -> list[dict[str, Any]]:
    """Stop the clocks ``event`` stops and start those it starts; returns what changed (for the ledger)."""
    cal = cal or WorkingCalendar()
    day = as_local_date(at)
    changes: list[dict[str, Any]] = []
    running = case.deadlines.filter(status__in=[DeadlineStatus.RUNNING, DeadlineStatus.PAUSED], stop_event=event)
    for d in running:
        if d.status == DeadlineStatus.PAUSED and d.paused_since is not None:
            d.paused_days += _days_stood(cal, d.unit, d.paused_since, day)
            d.paused_since = None
            _recompute(cal, d)
        d.status = DeadlineStatus.MET if day <= d.due_on else DeadlineStatus.LATE
        d.stopped_at = at
        d.save()
        changes.append({"deadline": d.code, "stopped": d.status, "due_on": d.due_on.isoformat()})
    existing = set(case.deadlines.values_list("code", flat=True))
    for rule in rules_for(profile, case.enforcement_type):
        if rule.clock.start != event or rule.code in existing:
            continue
        assert rule.deadline.value is not None
        due = _due(cal, day, rule.deadline.unit, rule.deadline.value)
        paused = case.status == CaseStatus.SUSPENDED and rule.clock.pausable
        d = CaseDeadline.objects.create(
            case=case,
            code=rule.code,
            label=rule.deadline.label,
            value=rule.deadline.value,
            unit=rule.deadline.unit,
            stop_event=rule.clock.stop,
            pausable=rule.clock.pausable,
            started_on=day,
            due_on=due.due,
            provisional=due.provisional,
            status=DeadlineStatus.PAUSED if paused else DeadlineStatus.RUNNING,
            paused_since=day if paused else None,
        )
        changes.append({"deadline": d.code, "started": day.isoformat(), "due_on": d.due_on.isoformat()})
    return changes


def pause(case: Case, *, at: dt.datetime) -> list[dict[str, Any]]:
    """A suspension began: pausable running clocks stand still from today."""
    day = as_local_date(at)
    changes = []
    for d in case.deadlines.filter(status=DeadlineStatus.RUNNING, pausable=True):
        d.status, d.paused_since = DeadlineStatus.PAUSED, day
        d.save(update_fields=["status", "paused_since"])
        changes.append({"deadline": d.code, "paused": day.isoformat()})
    return changes


def resume(case: Case, *, at: dt.datetime, cal: WorkingCalendar | None = None) -> list[dict[str, Any]]:
    """The suspension ended: each paused clock runs again, its due date moved by the days it stood."""
    cal = cal or WorkingCalendar()
    day = as_local_date(at)
    changes = []
    for d in case.deadlines.filter(status=DeadlineStatus.PAUSED):
        stood = _days_stood(cal, d.unit, d.paused_since or day, day)
        d.paused_days += stood
        d.paused_since = None
        d.status = DeadlineStatus.RUNNING
        _recompute(cal, d)
        d.save()
        changes.append({"deadline": d.code, "resumed": day.isoformat(), "stood": stood, "due_on": d.due_on.isoformat()})
    return changes


def extend(case: Case, *, days: int, cal: WorkingCalendar | None = None) -> list[dict[str, Any]]:
    """An approved extension: pausable clocks still running move by ``days`` of their own unit."""
    cal = cal or WorkingCalendar()
    changes = []
    for d in case.deadlines.filter(status__in=[DeadlineStatus.RUNNING, DeadlineStatus.PAUSED], pausable=True):
        d.extended_days += days
        _recompute(cal, d)
        d.save()
        changes.append({"deadline": d.code, "extended": days, "due_on": d.due_on.isoformat()})
    return changes


# ---------------------------------------------------------------- reading


def state(d: CaseDeadline, today: dt.date | None = None) -> str:
    """running / due_soon / overdue / paused / met / late, as of ``today``."""
    today = today or timezone.localdate()
    if d.status in (DeadlineStatus.MET, DeadlineStatus.LATE, DeadlineStatus.PAUSED):
        return str(d.status)
    if today > d.due_on:
        return "overdue"
    if (d.due_on - today).days <= DUE_SOON_DAYS:
        return "due_soon"
    return "running"


STATE_LABELS: dict[str, str] = {
    "running": "计时中",
    "due_soon": "即将到期",
    "overdue": "已逾期",
    "paused": "中止计时",
    "met": "按期完成",
    "late": "逾期完成",
}


def open_deadlines(cases: QuerySet[Case], *, today: dt.date | None = None, within_days: int | None = None):
    """Running deadlines of ``cases`` (overdue first), optionally only those due within ``within_days``."""
    today = today or timezone.localdate()
    qs = CaseDeadline.objects.filter(case__in=cases, status=DeadlineStatus.RUNNING).select_related("case")
    if within_days is not None:
        qs = qs.filter(Q(due_on__lte=today + dt.timedelta(days=within_days)))
    return qs.order_by("due_on", "id")
