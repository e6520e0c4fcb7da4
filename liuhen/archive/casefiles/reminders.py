"""Overdue archiving flagged before and after the due date (clause time-archive-30d).

Each case file not yet archived gets at most one notification per stage of lateness — ``before``
(within the profile's ``case_file.remind_before_working_days`` working days of its due date) and
``overdue`` (after it) — to the case's handlers, the department head and the agency's records
keepers. What was sent is kept on ``CaseFile.reminders`` and in the ledger (``case_file.reminded``),
so a second run sends nothing new.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from pydantic import ValidationError

from liuhen.archive.models import CaseFile, CaseFileStatus
from liuhen.archive.policies import case_file_policy
from liuhen.cases.profiles import profile_of
from liuhen.core.errors import DomainError
from liuhen.core.notifications import notify
from liuhen.ledger.services import record
from liuhen.org.models import User
from liuhen.org.rules import Role
from liuhen.policy.calendar import WorkingCalendar
from liuhen.policy.loader import get_profile
from liuhen.policy.schema import Profile

NATIONAL_BASELINE = "national-baseline"  # the profile every agency's inherits from (policies/)
STAGE_LABELS = {"before": "即将到期", "overdue": "已逾期"}


def reminder_profile(case_file: CaseFile) -> Profile:
    """The profile whose ``case_file.remind_before_working_days`` applies: the case's pinned version; if
    that no longer loads, the agency's current profile; if neither does, the national baseline."""
    case = case_file.case
    try:
        return profile_of(case)
    except (DomainError, ValidationError):
        try:
            return get_profile(case.agency.profile_id)
        except (DomainError, ValidationError):
            return get_profile(NATIONAL_BASELINE)


def _remind_days(case_file: CaseFile) -> int:
    return reminder_profile(case_file).case_file.remind_before_working_days


def stage_of(case_file: CaseFile, today: dt.date, cal: WorkingCalendar | None = None) -> str | None:
    """``overdue``, ``before`` or None for a case file not archived with a due date."""
    if case_file.status == CaseFileStatus.ARCHIVED or case_file.due_on is None:
        return None
    if today > case_file.due_on:
        return "overdue"
    left = (cal or WorkingCalendar()).working_days_between(today, case_file.due_on).days
    return "before" if left <= _remind_days(case_file) else None


def recipients(case_file: CaseFile) -> list[Any]:
    case = case_file.case
    people = list(case.handlers.filter(is_active=True))
    heads = User.objects.filter(agency_id=case.agency_id, is_active=True, role_grants__role=Role.DEPARTMENT_HEAD)
    if case.department_id is not None:
        heads = heads.filter(Q(department_id=case.department_id) | Q(department__isnull=True))
    keepers = User.objects.filter(agency_id=case.agency_id, is_active=True, role_grants__role=Role.RECORDS_KEEPER)
    return people + list(heads.distinct()) + list(keepers.distinct())


def _link(case_file: CaseFile) -> str:
    return reverse("archive:case_file", args=[case_file.pk])


def archive_reminders_send(*, today: dt.date | None = None) -> int:
    """Send what is due now; returns the number of case files reminded."""
    today = today or timezone.localdate()
    cal = WorkingCalendar()
    sent = 0
    pending = CaseFile.objects.exclude(status=CaseFileStatus.ARCHIVED).filter(due_on__isnull=False)
    for cf in pending.select_related("case").order_by("due_on", "id"):
        stage = stage_of(cf, today, cal)
        if stage is None or stage in (cf.reminders or {}):
            continue
        with transaction.atomic():
            cf = CaseFile.objects.select_for_update().select_related("case").get(pk=cf.pk)
            if stage in (cf.reminders or {}):
                continue
            case = cf.case
            title = f"立卷归档{STAGE_LABELS[stage]}：{case.number}（期限 {cf.due_on:%Y-%m-%d}）"
            body = (
                f"案件“{case.title}”已于结案后开始立卷归档期限，应在 {cf.due_on:%Y年%m月%d日} 前组卷并由档案管理员归档。"
                if stage == "before"
                else f"案件“{case.title}”的立卷归档期限 {cf.due_on:%Y年%m月%d日} 已过，尚未归档。"
            )
            people = recipients(cf)
            notify(
                recipients=people, kind="archive_due", title=title, body=body, link=_link(cf), obj=("case_file", cf.pk)
            )
            cf.reminders = {**(cf.reminders or {}), stage: today.isoformat()}
            cf.save(update_fields=["reminders"])
            record(
                actor=None,
                action="case_file.reminded",
                obj_type="case_file",
                obj_id=cf.pk,
                payload={"stage": stage, "due_on": cf.due_on.isoformat(), "recipients": [p.pk for p in people]},
                agency_id=cf.agency_id,
            )
        sent += 1
    return sent


def archive_due_for(user: Any, *, today: dt.date | None = None) -> list[CaseFile]:
    """Case files the user should act on (home page): not archived, within the reminder window or late."""
    today = today or timezone.localdate()
    cal = WorkingCalendar()
    qs = case_file_policy.visible(user).exclude(status=CaseFileStatus.ARCHIVED).filter(due_on__isnull=False)
    return [cf for cf in qs.order_by("due_on")[:50] if stage_of(cf, today, cal)]
