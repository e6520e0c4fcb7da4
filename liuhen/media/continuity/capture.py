"""Capture metadata (采集信息) of a recording: entering it, correcting it, linking the recording to a case.

Clauses av-basic-metadata, av-opening-statement, av-notify-party, av-location-landmark,
dev-wearing-position, store-av-tagging. Officers say when and where a recording was made, who was
there, the party and the enforcement subject, how the camera was worn, and attest that the opening
statement was spoken (with its offset in the recording) and that the party was told of the
recording in the profile's standard words. A row is never changed: a correction (or a new case
link) is a new row that supersedes the current one; what the current row means for the recording is
``liuhen.media.continuity.recording``. Who may write it is the AV record policy's ``capture``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases.models import Case
from liuhen.cases.services import profile_of, timeline_record
from liuhen.ledger.services import record as ledger_record
from liuhen.media.continuity.deadlines import av_upload_late_flag
from liuhen.media.continuity.recording import (
    KEEP,
    case_and_stage,
    check_offset,
    check_times,
    content_items,
    current_capture,
    effective_link,
    profile_for_record,
    record_duration,
    record_timing,
    utc,
)
from liuhen.media.errors import AvConflict, AvInvalid
from liuhen.media.models import CameraMount, CaptureMetadata, MediaRecord
from liuhen.media.policies import av_record_policy
from liuhen.policy.schema import Profile


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
            timeline_record(  # the old case's timeline says where the record went
                old_case,
                actor=actor,
                action="av_record.unlinked",
                summary=f"音像记录 {record.filename} 不再关联本案"
                + (f"（改为关联案件 {row.case.number}）" if row.case else ""),
                obj=("av_capture", row.pk),
                payload={"record_id": record.pk, "new_case_id": row.case_id, "reason": row.reason},
            )
    if row.case is not None:  # linked to a case: a late upload goes on its timeline
        transaction.on_commit(lambda: av_upload_late_flag(record=record), robust=True)
    return row


def capture_metadata_record(
    *,
    actor: Any,
    record: MediaRecord,
    case: Case | Any | None = KEEP,
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
    av_record_policy.require(actor, "capture", record)
    current = current_capture(record)
    if current is not None and not (reason or "").strip():
        raise AvInvalid("更正已填写的采集信息须说明理由", code="av_correction_reason_required")
    keep_case, keep_stage = effective_link(record, current)
    case, stage_id = case_and_stage(
        actor, keep_case if case is KEEP else case, keep_stage if stage_id is None else stage_id
    )
    start, end = utc(recorded_start, "录制开始时间"), utc(recorded_end, "录制结束时间")
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
    av_record_policy.require(actor, "capture", record)
    current = current_capture(record)
    old_case, _ = effective_link(record, current)
    if old_case is not None and not (reason or "").strip():
        raise AvInvalid("改变已关联的案件或环节须说明理由", code="av_correction_reason_required")
    case, stage_id = case_and_stage(actor, case, stage_id)
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
