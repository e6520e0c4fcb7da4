"""Upload deadlines of AV records and officers' declared remote or continuous work.

Clauses time-av-upload-2wd, time-av-upload-after-return, store-dedicated-storage. Each recording is
due ``deadlines.av_upload`` working days after it was made (the day its recording ended, the seeds'
"制作完成"; the start when the end is unknown); a recording made during an officer's declared remote
or continuous work (``AwayPeriod``) is due ``deadlines.av_upload_after_return`` working days after the
officer returned, if that is later. Days are counted on the one working-day calendar
(``liuhen.policy.calendar``). A late upload is written on the case's timeline (once per record) and
listed for the department head (:func:`late_uploads`). Where the profile gives no number (``value``
null) there is no deadline, and the record says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import task

from liuhen.cases.models import TimelineEntry
from liuhen.cases.selectors import cases_visible
from liuhen.devices.selectors import device_by_serial, holder_at
from liuhen.ledger.services import record as ledger_record
from liuhen.media.continuity.recording import current_capture, effective_link, profile_for_record, record_timing
from liuhen.media.errors import AvInvalid
from liuhen.media.models import AwayKind, AwayPeriod, MediaRecord
from liuhen.media.policies import agency_wide_head, av_record_policy, away_period_policy
from liuhen.org.rules import Role
from liuhen.policy.calendar import WorkingCalendar, as_local_date
from liuhen.policy.schema import Deadline, Profile

LATE_ACTION = "av_record.upload_late"


@dataclass(frozen=True)
class UploadDeadline:
    record: MediaRecord
    basis: str  # recording / after_return / silent (profile gives no number) / unknown (no recording time)
    recorded_on: dt.date | None
    due: dt.date | None
    uploaded_on: dt.date
    late: bool
    days_late: int  # working days after the due date
    provisional: bool  # a year of the calendar not yet entered
    away: AwayPeriod | None

    @property
    def label(self) -> str:
        if self.basis == "silent":
            return "本机关制度未规定上传期限"
        if self.basis == "unknown":
            return "录制时间不明，无法计算上传期限"
        how = "返回单位后" if self.basis == "after_return" else "录制后"
        text = f"应于 {self.due:%Y-%m-%d} 前上传（{how}计算）"
        if self.late:
            text += f"，逾期 {self.days_late} 个工作日"
        return text + ("（暂定）" if self.provisional else "")


def _due(cal: WorkingCalendar, deadline: Deadline, start: dt.date) -> tuple[dt.date, bool]:
    if deadline.unit == "working_days":
        d = cal.add_working_days(start, deadline.value)
    else:
        d = cal.add_calendar_days(start, deadline.value, roll_forward=True)
    return d.due, d.provisional


def recording_officer(record: MediaRecord) -> Any:
    """Who made the recording: the camera officer entered with the capture metadata, else the holder
    of the device at the time (devices registry), else the uploader."""
    cap = current_capture(record)
    if cap is not None and cap.camera_officer_id:
        return cap.camera_officer
    holder = _device_holder(record)
    return holder or record.uploaded_by


def _device_holder(record: MediaRecord) -> Any:
    """Who held the recording's device when it started (the devices registry), if it is known."""
    start = record_timing(record).start
    if not record.device_serial or start is None:
        return None
    device = device_by_serial(record.agency_id, record.device_serial)
    return holder_at(device, start) if device is not None else None


def upload_deadline(
    record: MediaRecord, profile: Profile | None = None, *, cal: WorkingCalendar | None = None
) -> UploadDeadline:
    profile = profile or profile_for_record(record)
    cal = cal or WorkingCalendar()
    uploaded_on = as_local_date(record.uploaded_at)
    deadline = profile.deadlines.av_upload
    if deadline.value is None:
        return UploadDeadline(record, "silent", None, None, uploaded_on, False, 0, False, None)
    timing = record_timing(record)
    made = timing.end or timing.start
    if made is None:
        return UploadDeadline(record, "unknown", None, None, uploaded_on, False, 0, False, None)
    recorded_on = as_local_date(made)
    due, provisional = _due(cal, deadline, recorded_on)
    basis, away = "recording", None
    after = profile.deadlines.av_upload_after_return
    officer = recording_officer(record)
    if after.value is not None and officer is not None:
        away = (
            AwayPeriod.objects.filter(officer=officer, started_on__lte=recorded_on, returned_on__gte=recorded_on)
            .order_by("-returned_on", "-id")
            .first()
        )
        if away is not None:
            due2, prov2 = _due(cal, after, away.returned_on)
            if due2 > due:
                due, provisional, basis = due2, prov2, "after_return"
    late = uploaded_on > due
    days_late = cal.working_days_between(due, uploaded_on).days if late else 0
    return UploadDeadline(record, basis, recorded_on, due, uploaded_on, late, days_late, provisional, away)


def av_upload_late_flag(*, record: MediaRecord) -> bool:
    """Write a late upload on its case's timeline (event ``av_record.upload_late``), once per record
    and case. Returns whether the record is late."""
    case, stage_id = effective_link(record)
    d = upload_deadline(record)
    if not d.late or case is None:
        return d.late
    with transaction.atomic():
        if TimelineEntry.objects.filter(case=case, action=LATE_ACTION, ref_id=str(record.pk)).exists():
            return True
        payload = {
            "case_id": case.pk,
            "case_number": case.number,
            "stage": stage_id,
            "record_id": record.pk,
            "recorded_on": d.recorded_on,
            "due": d.due,
            "uploaded_on": d.uploaded_on,
            "days_late": d.days_late,
            "basis": d.basis,
        }
        event = ledger_record(
            actor="系统",
            action=LATE_ACTION,
            obj_type="av_record",
            obj_id=record.pk,
            payload=payload,
            agency_id=record.agency_id,
        )
        TimelineEntry.objects.create(
            case=case,
            at=event.recorded_at,
            actor=None,
            actor_name="系统",
            action=LATE_ACTION,
            stage_id=stage_id,
            summary=f"音像记录 {record.filename} 逾期上传：{d.label}，实际 {d.uploaded_on:%Y-%m-%d} 上传",
            ref_type="av_record",
            ref_id=str(record.pk),
            event_seq=event.seq,
        )
    return True


def late_uploads_flag(*, since: dt.datetime | None = None) -> int:
    """The scheduled sweep: flag every late upload linked to a case (records uploaded since ``since``,
    default 30 days); returns how many are late."""
    since = since or timezone.now() - dt.timedelta(days=30)
    return sum(
        1
        for rec in MediaRecord.objects.filter(uploaded_at__gte=since).order_by("id")
        if av_upload_late_flag(record=rec)
    )


# --------------------------------------------------------------------------- declared remote work


def away_period_declare(
    *,
    actor: Any,
    kind: str,
    started_on: dt.date,
    returned_on: dt.date,
    place: str = "",
    note: str = "",
) -> AwayPeriod:
    """An officer declares their own remote or continuous work (event ``av_away.declared``)."""
    away_period_policy.require(actor, "declare")
    if kind not in AwayKind.values:
        raise AvInvalid(f"未知的情形 {kind}，应为：{'、'.join(AwayKind.labels)}", code="av_away_kind_unknown")
    if returned_on < started_on:
        raise AvInvalid(
            f"返回单位日期（{returned_on:%Y-%m-%d}）早于开始日期（{started_on:%Y-%m-%d}）",
            code="av_away_dates_inverted",
        )
    if returned_on > timezone.localdate() + dt.timedelta(days=366):
        raise AvInvalid("返回单位日期过远", code="av_away_too_long")
    with transaction.atomic():
        row = AwayPeriod(
            agency_id=actor.agency_id,
            officer=actor,
            kind=kind,
            started_on=started_on,
            returned_on=returned_on,
            place=(place or "").strip()[:200],
            note=(note or "").strip(),
            declared_by=actor,
            declared_at=timezone.now(),
        )
        row.save()
        ledger_record(
            actor=actor,
            action="av_away.declared",
            obj_type="av_away",
            obj_id=row.pk,
            payload={
                "agency_id": row.agency_id,
                "officer_id": row.officer_id,
                "kind": row.kind,
                "started_on": row.started_on,
                "returned_on": row.returned_on,
                "place": row.place,
                "note": row.note,
            },
        )
    return row


# --------------------------------------------------------------------------- for heads


def _records_followed(user: Any) -> QuerySet[MediaRecord]:
    """Of the records the user sees, those whose late upload is theirs to follow up: their own uploads;
    a department head's department's (uploaded by it or for its cases); an agency head's, all."""
    qs = av_record_policy.visible(user)
    if agency_wide_head(user):
        return qs
    if Role.DEPARTMENT_HEAD in getattr(user, "role_codes", frozenset()):
        return qs.filter(Q(uploaded_by__department_id=user.department_id) | Q(case__department_id=user.department_id))
    return qs.filter(uploaded_by=user)


def late_uploads(*, user: Any, since: dt.datetime | None = None, limit: int = 200) -> list[UploadDeadline]:
    """Late uploads the user should see (own; a department head's department; an agency head's
    agency), uploaded since ``since`` (default 90 days), latest first."""
    since = since or timezone.now() - dt.timedelta(days=90)
    cal = WorkingCalendar()
    out = []
    rows = _records_followed(user).filter(uploaded_at__gte=since).order_by("-uploaded_at")
    for rec in rows[: limit * 5]:
        d = upload_deadline(rec, cal=cal)
        if d.late:
            out.append(d)
            if len(out) >= limit:
                break
    return out


def late_upload_count(*, user: Any, since: dt.datetime | None = None) -> int:
    """Cheap count for the home page: late uploads already flagged on the cases the user sees (the
    timeline entries written by :func:`av_upload_late_flag`), default the last 90 days."""
    since = since or timezone.now() - dt.timedelta(days=90)
    return TimelineEntry.objects.filter(action=LATE_ACTION, at__gte=since, case__in=cases_visible(user)).count()


@task()
def av_upload_late_flag_task(*, record_id: int) -> bool:
    rec = MediaRecord.objects.filter(pk=record_id).first()
    return av_upload_late_flag(record=rec) if rec is not None else False
