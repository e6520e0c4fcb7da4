"""What is known about one recording now: its capture metadata, its case link, its times, whether it can
count as a recording, what it is not yet labelled with, and the attestations its stage asks for; and
the checks of what officers enter about recordings (cases, stages, times, offsets).

Clauses av-basic-metadata, av-opening-statement, av-notify-party, store-av-tagging.

The case link: ``MediaRecord.case``/``stage_id`` is what the uploader declared at ingest and never
changes. Once a capture row exists (``liuhen.media.continuity.capture``), the current row's
``case``/``stage_id`` is the link (:func:`effective_link`), so relinking is a new capture row.

Times: a recording's start is the media's own creation time (probe), else the start the officer
entered, else the one declared at upload; its end is start + probed duration where known, else the
entered or declared end (:func:`record_timing`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from liuhen.cases.models import Case
from liuhen.cases.selectors import cases_visible
from liuhen.cases.services import profile_of
from liuhen.core.time import beijing_text
from liuhen.media.errors import AvForbidden, AvInvalid, AvOffsetBeyondDuration, AvTimesInverted
from liuhen.media.models import CaptureMetadata, Flag, MediaProbe, MediaRecord
from liuhen.media.policies import av_record_policy
from liuhen.org.rules import Role
from liuhen.policy.loader import get_profile
from liuhen.policy.schema import Profile

UNUSABLE_FLAGS = frozenset({Flag.EMPTY.value, Flag.UNREADABLE.value})
FOLLOW_UP_ALL = frozenset({Role.DEPARTMENT_HEAD, Role.AGENCY_HEAD, Role.RECORDS_KEEPER})
KEEP: Any = object()  # "leave as it is" for an optional argument that may also be None
# Where :func:`records_linked` leaves each record's current capture row (None: none yet), read in place of
# a query by the functions below that take ``capture=KEEP``. A write (``capture._write``) always asks the
# database (``current_capture``).
_PRELOADED = "_liuhen_current_capture"


def _capture_of(record: MediaRecord, capture: Any) -> CaptureMetadata | None:
    if capture is not KEEP:
        return capture
    preloaded = getattr(record, _PRELOADED, KEEP)
    return current_capture(record) if preloaded is KEEP else preloaded


def shown(value: dt.datetime | None) -> str:
    """A time as people read it (Beijing time, to the second)."""
    return beijing_text(value, seconds=True)


def probe_of(record: MediaRecord) -> MediaProbe | None:
    try:
        return record.probe
    except MediaProbe.DoesNotExist:
        return None


def current_capture(record: MediaRecord) -> CaptureMetadata | None:
    """The capture row not superseded by a later one (None before any was entered)."""
    return CaptureMetadata.objects.filter(record=record, superseded_by__isnull=True).order_by("-id").first()


def capture_history(record: MediaRecord) -> list[CaptureMetadata]:
    return list(CaptureMetadata.objects.filter(record=record).order_by("id"))


def effective_link(record: MediaRecord, capture: CaptureMetadata | Any | None = KEEP) -> tuple[Case | None, str]:
    """The case and stage the record is tied to now (see the module docstring)."""
    capture = _capture_of(record, capture)
    if capture is not None:
        return capture.case, capture.stage_id
    return record.case, record.stage_id


def device_of(record: MediaRecord) -> str:
    """The device serial: as the uploader or station said, else as the media itself says."""
    if record.device_serial:
        return record.device_serial
    probe = probe_of(record)
    return probe.media_device_serial if probe else ""


@dataclass(frozen=True)
class Timing:
    start: dt.datetime | None
    end: dt.datetime | None
    source: str  # probe / capture / upload / "" (unknown)
    duration: float | None  # seconds, as probed (None: not probed or unreadable)

    @property
    def known(self) -> bool:
        return self.start is not None and self.end is not None


def record_timing(record: MediaRecord, capture: CaptureMetadata | Any | None = KEEP) -> Timing:
    capture = _capture_of(record, capture)
    probe = probe_of(record)
    duration = probe.duration if probe is not None and probe.readable and probe.duration is not None else None
    if probe is not None and probe.media_created_at is not None:
        start, source = probe.media_created_at, "probe"
        end = start + dt.timedelta(seconds=duration) if duration is not None else None
    elif capture is not None and capture.recorded_start is not None:
        start, source = capture.recorded_start, "capture"
        end = capture.recorded_end
    elif record.recorded_start is not None:
        start, source = record.recorded_start, "upload"
        end = record.recorded_end
    else:
        return Timing(None, None, "", duration)
    if end is None and duration is not None:
        end = start + dt.timedelta(seconds=duration)
    if end is None:
        end = (capture.recorded_end if capture else None) or record.recorded_end
    if end is not None and end < start:
        end = None  # inverted times (flagged at ingest) say nothing about the end
    return Timing(start, end, source, duration)


def record_duration(record: MediaRecord, capture: CaptureMetadata | None = None) -> float | None:
    """The length offsets are checked against: probed, else end − start as entered or declared."""
    timing = record_timing(record, capture if capture is not None else KEEP)
    if timing.duration is not None:
        return timing.duration
    if timing.known:
        return (timing.end - timing.start).total_seconds()
    return None


def record_flags(record: MediaRecord) -> list[str]:
    """The record's ingest flags and the prober's, once it has run."""
    probe = probe_of(record)
    return sorted(set(record.flags) | set(probe.flags if probe else []))


def record_problems(record: MediaRecord) -> list[str]:
    """Why the record cannot count as a recording (empty, unreadable); [] when it can."""
    out = [Flag(f).label for f in sorted(set(record_flags(record)) & UNUSABLE_FLAGS)]
    probe = probe_of(record)
    if probe is not None and not probe.readable and not out:
        out.append(Flag.UNREADABLE.label)
    return out


def tagging_missing(
    record: MediaRecord, capture: CaptureMetadata | Any | None = KEEP, *, case_has_handlers: bool | None = None
) -> list[str]:
    """What a stored recording is not yet labelled with (store-av-tagging): 案号 (a case link), 当事人
    (entered, else the case's party) and 承办人 (the camera officer or officers entered, else the
    case's handlers). Nothing is rejected for it: the original is kept and listed for follow-up.
    ``case_has_handlers``: whether the linked case has handlers, when the caller already knows."""
    capture = _capture_of(record, capture)
    case, _ = effective_link(record, capture)
    if case is None:
        return ["案号", "当事人", "承办人"]
    missing = []
    if not ((capture.party if capture else "") or case.party_name):
        missing.append("当事人")
    has_officer = capture is not None and (capture.camera_officer_id or capture.officers)
    if not has_officer and not (case.handlers.exists() if case_has_handlers is None else case_has_handlers):
        missing.append("承办人")
    return missing


def records_untagged(user: Any) -> list[MediaRecord]:
    """未关联案件的音像记录 (or missing party or handler) a user follows up, of those they see: an
    officer their own uploads and recordings; a head or records keeper every record of the agency."""
    qs = av_record_policy.visible(user)
    if not user.role_codes & FOLLOW_UP_ALL:
        captured = CaptureMetadata.objects.filter(camera_officer=user).values_list("record_id", flat=True)
        qs = qs.filter(Q(uploaded_by=user) | Q(pk__in=captured))
    return [r for r in qs.order_by("-uploaded_at", "-id")[:500] if tagging_missing(r)]


def records_linked(case: Case, stage_id: str | None = None) -> list[MediaRecord]:
    """The case's records (effective link), optionally of one stage, in recording order. Each comes with
    its current capture row (and ``case`` where linked to this case) already loaded: three queries in all."""
    ids = set(CaptureMetadata.objects.filter(case=case, superseded_by__isnull=True).values_list("record_id", flat=True))
    candidates = list(MediaRecord.objects.filter(Q(case=case) | Q(pk__in=ids)).select_related("probe").order_by("id"))
    current: dict[int, CaptureMetadata] = {}
    rows = CaptureMetadata.objects.filter(record__in=[rec.pk for rec in candidates], superseded_by__isnull=True)
    for row in rows.order_by("-id"):
        current.setdefault(row.record_id, row)  # as current_capture: the newest row not superseded
    out = []
    for rec in candidates:
        capture = current.get(rec.pk)
        linked_case_id, linked_stage = (capture.case_id, capture.stage_id) if capture else (rec.case_id, rec.stage_id)
        if linked_case_id == case.pk and (stage_id is None or linked_stage == stage_id):
            if capture is not None:
                capture.case = case
            if rec.case_id == case.pk:
                rec.case = case
            setattr(rec, _PRELOADED, capture)
            out.append(rec)
    return out


def profile_for_record(record: MediaRecord, case: Case | None = None) -> Profile:
    """The case's pinned profile when the record is linked to one, else the agency's current profile."""
    if case is None:
        case, _ = effective_link(record)
    if case is not None:
        return profile_of(case)
    return get_profile(record.agency.profile_id)


@dataclass(frozen=True)
class Attestation:
    required: bool
    given: bool
    label: str
    note: str = ""


def attestations(record: MediaRecord, profile: Profile | None = None) -> list[Attestation]:
    """开始语音说明 and 告知当事人 as the profile requires them, with what the current row says."""
    profile = profile or profile_for_record(record)
    cap = current_capture(record)
    opening = (cap.opening_statement if cap else {}) or {}
    notice = (cap.notice if cap else {}) or {}
    out = []
    if profile.av_rules.opening_statement.required or opening:
        note = f"第 {opening['offset']:g} 秒：{'、'.join(opening.get('items', []))}" if opening else ""
        out.append(Attestation(profile.av_rules.opening_statement.required, bool(opening), "开始语音说明", note))
    if profile.recording_notice.required or notice:
        note = f"第 {notice['offset']:g} 秒：{notice.get('text', '')}" if notice else ""
        out.append(Attestation(profile.recording_notice.required, bool(notice), "告知当事人正在音像记录", note))
    case, stage_id = effective_link(record, cap)
    content = (cap.content if cap else {}) or {}
    for item in content_items(profile, case, stage_id):
        offset = content.get(item)
        note = f"第 {offset:g} 秒" if offset is not None else ""
        out.append(Attestation(True, item in content, f"重点摄录：{item}", note))
    bystander = (cap.bystander if cap else {}) or {}
    if bystander.get("filming"):
        offset = bystander.get("notice_offset")
        out.append(
            Attestation(
                profile.av_rules.bystander_notice,
                offset is not None,
                "当事人或现场人员拍摄时告知其应当符合规定、不得妨碍执法、不得随意编辑",
                f"第 {offset:g} 秒" if offset is not None else "",
            )
        )
    return out


def content_items(profile: Profile, case: Case | None, stage_id: str) -> list[str]:
    """重点摄录内容 a recording of the stage must show: the stage's ``av_content`` and the ``content``
    of checklist items naming the stage (not ways of delivery), in the profile's words, once each."""
    if case is None or not stage_id:
        return []
    stage = profile.stage(case.enforcement_type, stage_id)
    if stage is None:
        return []
    key = f"{case.enforcement_type}.{stage_id}"
    out = list(stage.av_content)
    for item in profile.av_checklist:
        if key in item.stages and not item.delivery_method:
            out += item.content
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------------- checks of what is entered


def case_and_stage(actor: Any, case: Case | None, stage_id: str) -> tuple[Case | None, str]:
    """The case (one the actor sees) and a stage of its profile an entry names; precise refusals."""
    stage_id = (stage_id or "").strip()
    if case is None:
        if stage_id:
            raise AvInvalid("指定了环节但没有指定案件", code="av_stage_without_case")
        return None, ""
    if not cases_visible(actor).filter(pk=case.pk).exists():
        raise AvForbidden("案件不存在或无权办理", code="case_not_found")
    if stage_id and profile_of(case).stage(case.enforcement_type, stage_id) is None:
        raise AvInvalid(f"案件的执法规则中没有环节 {stage_id}", code="av_stage_unknown", stage_id=stage_id)
    return case, stage_id


def utc(value: dt.datetime | None, label: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise AvInvalid(f"{label}必须带时区", code="time_zone_required", field=label)
    return value.astimezone(dt.UTC)


def check_times(start: dt.datetime | None, end: dt.datetime | None) -> None:
    """Refuse an end before the start, naming both (bad input, clause av-basic-metadata)."""
    if start is not None and end is not None and end < start:
        raise AvTimesInverted(
            f"录制结束时间（{shown(end)}）早于开始时间（{shown(start)}），请核对后重新填写",
            start=start.isoformat(),
            end=end.isoformat(),
        )


def check_offset(offset: Any, duration: float | None, label: str) -> float:
    """An offset in seconds into the recording: a number, not negative, not past its end."""
    try:
        value = float(offset)
    except (TypeError, ValueError):
        raise AvInvalid(f"{label}的位置须为秒数", code="av_offset_invalid", field=label) from None
    if value != value or value < 0:  # NaN or negative
        raise AvInvalid(f"{label}的位置不能为负数", code="av_offset_invalid", field=label)
    if duration is not None and value > duration + 0.001:
        raise AvOffsetBeyondDuration(
            f"{label}的位置（第 {value:g} 秒）超出录像时长（{duration:g} 秒）",
            field=label,
            offset=value,
            duration=duration,
        )
    return round(value, 3)
