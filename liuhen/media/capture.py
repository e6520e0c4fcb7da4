"""Capture metadata (采集信息) of a recording and its attestations; the record's effective case link
and times.

Clauses av-basic-metadata, av-opening-statement, av-notify-party, av-location-landmark,
dev-wearing-position, store-av-tagging. Officers say when and where a recording was made, who was
there, the party and the enforcement subject, how the camera was worn, and attest that the opening
statement was spoken (with its offset in the recording) and that the party was told of the
recording in the profile's standard words. A row is never changed: a correction (or a new case
link) is a new row that supersedes the current one.

The case link: ``MediaRecord.case``/``stage_id`` is what the uploader declared at ingest and never
changes. Once a capture row exists, the current row's ``case``/``stage_id`` is the link
(:func:`effective_link`), so relinking is a new capture row (event ``av_record.linked``).

Times: a recording's start is the media's own creation time (probe), else the start the officer
entered, else the one declared at upload; its end is start + probed duration where known, else the
entered or declared end (:func:`record_timing`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from liuhen.cases.models import Case
from liuhen.core.time import BEIJING
from liuhen.ledger.services import record as ledger_record
from liuhen.media.av_errors import AvConflict, AvForbidden, AvInvalid, AvOffsetBeyondDuration, AvTimesInverted
from liuhen.media.models import CameraMount, CaptureMetadata, Flag, MediaProbe, MediaRecord
from liuhen.org import rules as org_rules
from liuhen.policy.schema import Profile

UNUSABLE_FLAGS = frozenset({Flag.EMPTY.value, Flag.UNREADABLE.value})
_KEEP: Any = object()


# --------------------------------------------------------------------------- reads


def shown(value: dt.datetime | None) -> str:
    """A time as people read it (Beijing time, to the second)."""
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") if value else "未知"


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


def effective_link(record: MediaRecord, capture: CaptureMetadata | Any | None = _KEEP) -> tuple[Case | None, str]:
    """The case and stage the record is tied to now (see the module docstring)."""
    capture = current_capture(record) if capture is _KEEP else capture
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


def record_timing(record: MediaRecord, capture: CaptureMetadata | Any | None = _KEEP) -> Timing:
    capture = current_capture(record) if capture is _KEEP else capture
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
    timing = record_timing(record, capture if capture is not None else _KEEP)
    if timing.duration is not None:
        return timing.duration
    if timing.known:
        return (timing.end - timing.start).total_seconds()
    return None


def record_problems(record: MediaRecord) -> list[str]:
    """Why the record cannot count as a recording (empty, unreadable); [] when it can."""
    probe = probe_of(record)
    flags = set(record.flags) | set(probe.flags if probe else [])
    out = [Flag(f).label for f in sorted(flags & UNUSABLE_FLAGS)]
    if probe is not None and not probe.readable and not out:
        out.append(Flag.UNREADABLE.label)
    return out


def tagging_missing(record: MediaRecord, capture: CaptureMetadata | Any | None = _KEEP) -> list[str]:
    """What a stored recording is not yet labelled with (store-av-tagging): 案号 (a case link), 当事人
    (entered, else the case's party) and 承办人 (the camera officer or officers entered, else the
    case's handlers). Nothing is rejected for it: the original is kept and listed for follow-up."""
    capture = current_capture(record) if capture is _KEEP else capture
    case, _ = effective_link(record, capture)
    if case is None:
        return ["案号", "当事人", "承办人"]
    missing = []
    if not ((capture.party if capture else "") or case.party_name):
        missing.append("当事人")
    has_officer = capture is not None and (capture.camera_officer_id or capture.officers)
    if not has_officer and not case.handlers.exists():
        missing.append("承办人")
    return missing


def records_untagged(user: Any) -> list[MediaRecord]:
    """未关联案件的音像记录 (or missing party or handler) a user follows up: an officer their own
    uploads and recordings; a head or records keeper every record of the agency."""
    qs = MediaRecord.objects.filter(agency_id=getattr(user, "agency_id", None)).select_related("probe")
    roles = getattr(user, "role_codes", set())
    if not roles & {org_rules.Role.DEPARTMENT_HEAD, org_rules.Role.AGENCY_HEAD, org_rules.Role.RECORDS_KEEPER}:
        captured = CaptureMetadata.objects.filter(camera_officer=user).values_list("record_id", flat=True)
        qs = qs.filter(Q(uploaded_by=user) | Q(pk__in=captured))
    return [r for r in qs.order_by("-uploaded_at", "-id")[:500] if tagging_missing(r)]


def records_linked(case: Case, stage_id: str | None = None) -> list[MediaRecord]:
    """The case's records (effective link), optionally of one stage, in recording order."""
    ids = set(CaptureMetadata.objects.filter(case=case, superseded_by__isnull=True).values_list("record_id", flat=True))
    candidates = MediaRecord.objects.filter(Q(case=case) | Q(pk__in=ids)).select_related("probe").order_by("id")
    out = []
    for rec in candidates:
        linked_case, linked_stage = effective_link(rec)
        if linked_case is not None and linked_case.pk == case.pk and (stage_id is None or linked_stage == stage_id):
            out.append(rec)
    return out


def profile_for_record(record: MediaRecord, case: Case | None = None) -> Profile:
    """The case's pinned profile when the record is linked to one, else the agency's current profile."""
    from liuhen.cases.services import profile_of
    from liuhen.policy.loader import get_profile

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


# --------------------------------------------------------------------------- writes


def _require_writer(actor: Any, record: MediaRecord) -> None:
    if getattr(actor, "agency_id", None) != record.agency_id:
        raise AvForbidden("不能处理其他机关的音像记录", code="av_other_agency")
    if not org_rules.has_permission(actor, org_rules.P_CASES_WORK):
        raise AvForbidden("只有执法人员可以填写音像记录信息")


def _case_for(actor: Any, case: Case | None, stage_id: str) -> tuple[Case | None, str]:
    from liuhen.cases.selectors import cases_visible
    from liuhen.cases.services import profile_of

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


def _utc(value: dt.datetime | None, label: str) -> dt.datetime | None:
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


def _opening(profile: Profile, value: Mapping[str, Any] | None, duration: float | None) -> dict[str, Any]:
    if not value:
        return {}
    offset = check_offset(value.get("offset"), duration, "开始语音说明")
    items = [str(i).strip() for i in value.get("items", profile.av_rules.opening_statement.items) if str(i).strip()]
    missing = [i for i in profile.av_rules.opening_statement.items if i not in items]
    if missing:
        raise AvInvalid(
            f"开始语音说明还须说明：{'、'.join(missing)}",
            code="av_opening_statement_incomplete",
            missing=missing,
        )
    return {"offset": offset, "items": items}


def _notice(profile: Profile, value: Mapping[str, Any] | None, duration: float | None) -> dict[str, Any]:
    if not value:
        return {}
    offset = check_offset(value.get("offset"), duration, "告知当事人")
    standard = profile.recording_notice.text
    text = str(value.get("text") or standard or "").strip()
    if not text:
        raise AvInvalid("请填写告知当事人时所说的话", code="av_notice_text_required")
    return {"offset": offset, "text": text, "standard": bool(standard) and text == standard}


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


def _content(
    profile: Profile,
    case: Case | None,
    stage_id: str,
    value: Mapping[str, Any] | Iterable[str] | None,
    duration: float | None,
) -> dict[str, float | None]:
    """What the officers attest the recording shows: items of :func:`content_items`, each with the
    offset where it is seen (or null)."""
    if not value:
        return {}
    pairs = value.items() if isinstance(value, Mapping) else ((v, None) for v in value)
    allowed = content_items(profile, case, stage_id)
    out: dict[str, float | None] = {}
    for item, offset in pairs:
        item = str(item).strip()
        if item not in allowed:
            raise AvInvalid(
                f"“{item}”不是本环节须重点摄录的内容（{'、'.join(allowed) or '本环节未规定'}）",
                code="av_content_item_unknown",
                item=item,
            )
        out[item] = None if offset in (None, "") else check_offset(offset, duration, item)
    return out


def _bystander(value: Mapping[str, Any] | None, duration: float | None) -> dict[str, Any]:
    if not value or not value.get("filming"):
        return {}
    offset = value.get("notice_offset")
    return {
        "filming": True,
        "notice_offset": None if offset in (None, "") else check_offset(offset, duration, "告知拍摄人员"),
    }


def _officers(value: Iterable[Any]) -> list[dict[str, str]]:
    out = []
    for item in value or ():
        if isinstance(item, Mapping):
            name, cert = str(item.get("name", "")).strip(), str(item.get("certificate_no", "")).strip()
        else:
            name, cert = str(item).strip(), ""
        if name:
            out.append({"name": name[:60], "certificate_no": cert[:60]})
    return out


def _payload(row: CaptureMetadata) -> dict[str, Any]:
    return {
        "record_id": row.record_id,
        "supersedes_id": row.supersedes_id,
        "case_id": row.case_id,
        "stage_id": row.stage_id,
        "recorded_start": row.recorded_start,
        "recorded_end": row.recorded_end,
        "place_address": row.place_address,
        "place_landmark": row.place_landmark,
        "officers": row.officers,
        "camera_officer_id": row.camera_officer_id,
        "party": row.party,
        "subject": row.subject,
        "camera_mount": row.camera_mount,
        "opening_statement": row.opening_statement,
        "notice": row.notice,
        "content": row.content,
        "bystander": row.bystander,
        "reason": row.reason,
    }


# The columns ``verify`` compares with the creating event (liuhen.media.av_registry).
CAPTURE_FIELDS = ("record_id", "supersedes_id", "case_id", "stage_id", "recorded_start", "recorded_end")


def _write(
    *, actor: Any, record: MediaRecord, values: dict[str, Any], action: str, summary: str, expected: int | None
) -> CaptureMetadata:
    with transaction.atomic():
        MediaRecord.objects.select_for_update().filter(pk=record.pk).first()  # one writer per record
        current = current_capture(record)
        if expected is not None and (current.pk if current else 0) != expected:
            raise AvConflict(current=current.pk if current else None)
        row = CaptureMetadata(
            record=record, supersedes=current, recorded_by=actor, recorded_at=timezone.now(), **values
        )
        row.save()
        payload = _payload(row)
        old_case = current.case if current else record.case
        if row.case is not None:
            from liuhen.cases.services import timeline_record

            timeline_record(
                row.case,
                actor=actor,
                action=action,
                summary=summary,
                stage_id=row.stage_id,
                obj=("av_capture", row.pk),
                payload=payload,
            )
        else:
            ledger_record(
                actor=actor,
                action=action,
                obj_type="av_capture",
                obj_id=row.pk,
                payload=payload,
                agency_id=record.agency_id,
            )
        if old_case is not None and (row.case is None or old_case.pk != row.case.pk):
            from liuhen.cases.services import timeline_record

            timeline_record(  # the old case's timeline says where the record went
                old_case,
                actor=actor,
                action="av_record.unlinked",
                summary=f"音像记录 {record.filename} 不再关联本案"
                + (f"（改为关联案件 {row.case.number}）" if row.case else ""),
                obj=("av_capture", row.pk),
                payload={"record_id": record.pk, "new_case_id": row.case_id, "reason": row.reason},
            )
    if row.case is not None:
        from liuhen.media.deadlines import av_upload_late_flag

        transaction.on_commit(lambda: av_upload_late_flag(record=record), robust=True)
    return row


def capture_metadata_record(
    *,
    actor: Any,
    record: MediaRecord,
    case: Case | Any | None = _KEEP,
    stage_id: str | None = None,
    recorded_start: dt.datetime | None = None,
    recorded_end: dt.datetime | None = None,
    place_address: str = "",
    place_landmark: str = "",
    officers: Sequence[Any] = (),
    camera_officer: Any = None,
    party: str = "",
    subject: str = "",
    camera_mount: str = "",
    opening_statement: Mapping[str, Any] | None = None,
    notice: Mapping[str, Any] | None = None,
    content: Mapping[str, Any] | Iterable[str] | None = None,
    bystander: Mapping[str, Any] | None = None,
    reason: str = "",
    expected_current: int | None = None,
) -> CaptureMetadata:
    """Enter (or correct, as a new row) what is known about a recording (event ``av_record.captured``).

    ``case``/``stage_id`` left out keep the current link. A correction needs a ``reason``; pass
    ``expected_current`` (the id of the row the form showed, 0 for none) to refuse a lost update."""
    _require_writer(actor, record)
    current = current_capture(record)
    if current is not None and not (reason or "").strip():
        raise AvInvalid("更正已填写的采集信息须说明理由", code="av_correction_reason_required")
    keep_case, keep_stage = effective_link(record, current)
    case, stage_id = _case_for(
        actor, keep_case if case is _KEEP else case, keep_stage if stage_id is None else stage_id
    )
    start, end = _utc(recorded_start, "录制开始时间"), _utc(recorded_end, "录制结束时间")
    check_times(start, end)
    if camera_mount and camera_mount not in CameraMount.values:
        raise AvInvalid(f"未知的佩戴方式 {camera_mount}", code="av_camera_mount_unknown")
    if camera_officer is not None and camera_officer.agency_id != record.agency_id:
        raise AvInvalid("摄录人员须为本机关人员", code="av_camera_officer_other_agency")
    profile = profile_for_record(record, case)
    probe_duration = record_timing(record, None).duration
    duration = (
        probe_duration
        if probe_duration is not None
        else ((end - start).total_seconds() if start and end else record_duration(record, None))
    )
    values = {
        "case": case,
        "stage_id": stage_id,
        "recorded_start": start,
        "recorded_end": end,
        "place_address": (place_address or "").strip()[:300],
        "place_landmark": (place_landmark or "").strip()[:300],
        "officers": _officers(officers),
        "camera_officer": camera_officer,
        "party": (party or "").strip()[:200],
        "subject": (subject or "").strip()[:300],
        "camera_mount": camera_mount,
        "opening_statement": _opening(profile, opening_statement, duration),
        "notice": _notice(profile, notice, duration),
        "content": _content(profile, case, stage_id, content, duration),
        "bystander": _bystander(bystander, duration),
        "reason": (reason or "").strip(),
    }
    verb = "更正" if current else "填写"
    return _write(
        actor=actor,
        record=record,
        values=values,
        action="av_record.captured",
        summary=f"{verb}音像记录 {record.filename} 的采集信息",
        expected=expected_current,
    )


def av_record_link(
    *, actor: Any, record: MediaRecord, case: Case | None, stage_id: str = "", reason: str = ""
) -> CaptureMetadata:
    """Tie a recording to a case and stage (or untie it): a new capture row with the other facts kept
    (event ``av_record.linked``, on the new case's timeline and a note on the old one's)."""
    _require_writer(actor, record)
    current = current_capture(record)
    old_case, _ = effective_link(record, current)
    if old_case is not None and not (reason or "").strip():
        raise AvInvalid("改变已关联的案件或环节须说明理由", code="av_correction_reason_required")
    case, stage_id = _case_for(actor, case, stage_id)
    values: dict[str, Any] = {
        "case": case,
        "stage_id": stage_id,
        "reason": (reason or "").strip(),
    }
    if current is not None:
        for name in (
            "recorded_start",
            "recorded_end",
            "place_address",
            "place_landmark",
            "officers",
            "camera_officer",
            "party",
            "subject",
            "camera_mount",
            "opening_statement",
            "notice",
            "content",
            "bystander",
        ):
            values[name] = getattr(current, name)
    else:
        values["recorded_start"], values["recorded_end"] = record.recorded_start, record.recorded_end
        if values["recorded_start"] and values["recorded_end"] and values["recorded_end"] < values["recorded_start"]:
            values["recorded_end"] = None  # an inverted declared end stays flagged on the record, not copied
    if case is not None:
        from liuhen.cases.services import profile_of

        stage = profile_of(case).stage(case.enforcement_type, stage_id) if stage_id else None
        where = f"案件 {case.number}" + (f"“{stage.name}”环节" if stage else "")
    else:
        where = "不关联案件"
    return _write(
        actor=actor,
        record=record,
        values=values,
        action="av_record.linked",
        summary=f"音像记录 {record.filename} 关联到{where}",
        expected=None,
    )
