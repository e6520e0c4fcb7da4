"""Storing one original as received: ``av_record_ingest``, the one way in for tus, form and station uploads.

Clauses integ-no-tamper-original, integ-audit-trail-traceability. Every original is stored as
received — empty, truncated, unreadable or a second copy of something already stored — and flagged,
never refused for what it contains nor repaired. The bytes go to the blob store first, then the record
and its ledger event commit together (a crash in between leaves a stored blob the next ingest of the
same content adopts, never a record without its bytes); the probe is queued once it commits.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases.selectors import cases_visible
from liuhen.cases.services import profile_of, timeline_record
from liuhen.core.errors import NotFound, ValidationFailed
from liuhen.core.hooks import record_stored
from liuhen.core.inputs import parse_id
from liuhen.devices.selectors import device_by_serial
from liuhen.ledger.blobstore.backends import Stream
from liuhen.ledger.blobstore.services import blob_put
from liuhen.ledger.services import record
from liuhen.media.ingest import rules
from liuhen.media.ingest.processing import av_record_probe_task
from liuhen.media.models import Flag, MediaRecord, Source, Upload, UploadStatus
from liuhen.media.policies import upload_policy


@dataclass(frozen=True)
class Target:
    """The case and stage an upload is for (both optional)."""

    case: Any = None
    stage_id: str = ""


def target_resolve(*, actor: Any, case_ref: str = "", stage_id: str = "") -> Target:
    """The actor's agency's case named by id or number, and a stage of its profile; precise errors."""
    case_ref, stage_id = (case_ref or "").strip(), (stage_id or "").strip()
    if not case_ref:
        if stage_id:
            raise ValidationFailed("指定了环节但没有指定案件", code="av_stage_without_case")
        return Target()
    cases = cases_visible(actor)
    pk = parse_id(case_ref)
    case = cases.filter(pk=pk).first() if pk is not None else None
    case = case or cases.filter(number=case_ref).first()
    if case is None:
        raise NotFound("案件不存在或无权查看", code="case_not_found")
    if stage_id and profile_of(case).stage(case.enforcement_type, stage_id) is None:
        raise ValidationFailed(f"案件的执法规则中没有环节 {stage_id}", code="av_stage_unknown")
    return Target(case=case, stage_id=stage_id)


def av_record_ingest(
    *,
    actor: Any,
    stream: Stream,
    filename: bytes | str,
    content_type: str = "",
    source: str = Source.MULTIPART.value,
    target: Target | None = None,
    station: str = "",
    device_serial: str = "",
    recorded_start: dt.datetime | None = None,
    recorded_end: dt.datetime | None = None,
    upload: Upload | None = None,
) -> MediaRecord:
    """Store one original and record it (event ``av_record.ingested``); flags what is wrong with it."""
    upload_policy.require(actor, "create")
    target = target or Target()
    if target.case is not None and target.case.agency_id != actor.agency_id:
        raise NotFound("案件不存在或无权查看", code="case_not_found")
    if source not in Source.values:
        raise ValidationFailed(f"未知的来源 {source}", code="av_source_unknown")
    raw_name = filename if isinstance(filename, bytes) else filename.encode("utf-8", errors="surrogateescape")
    display, flags = rules.filename_clean(raw_name)
    content_type = rules.text_of(content_type.encode() if isinstance(content_type, str) else content_type)[:120]
    device_serial = rules.text_of(device_serial.encode())[:120]
    station = rules.text_of(station.encode())[:120]

    blob = blob_put(actor=actor, stream=stream, agency_id=actor.agency_id)

    with transaction.atomic():
        if upload is not None:
            upload = Upload.objects.select_for_update().get(pk=upload.pk)
            if upload.record_id is not None:  # finished by an earlier attempt
                return upload.record
        if blob.size == 0:
            flags.append(Flag.EMPTY.value)
        if recorded_start and recorded_end and recorded_end < recorded_start:
            flags.append(Flag.TIMES_INVERTED.value)
        if device_serial and device_by_serial(actor.agency_id, device_serial) is None:
            flags.append(Flag.UNREGISTERED_DEVICE.value)
        first = MediaRecord.objects.filter(agency_id=actor.agency_id, blob=blob).order_by("id").first()
        if first is not None:
            flags.append(Flag.DUPLICATE.value)
        now = timezone.now()
        rec = MediaRecord(
            agency_id=actor.agency_id,
            blob=blob,
            sm3=blob.sm3,
            size=blob.size,
            content_type=content_type,
            kind=rules.kind_guess(content_type, display),
            filename=display,
            filename_raw_b64=base64.b64encode(raw_name).decode(),
            uploaded_by=actor,
            uploaded_at=now,
            source=source,
            station=station,
            device_serial=device_serial,
            case=target.case,
            stage_id=target.stage_id,
            recorded_start=recorded_start,
            recorded_end=recorded_end,
            flags=sorted(set(flags)),
            duplicate_of=first,
            upload_id=upload.pk if upload else "",
        )
        rec.save()
        record_stored(obj=rec, actor=actor)  # retention class, same transaction
        payload = {
            "agency_id": rec.agency_id,
            "blob_id": rec.blob_id,
            "sm3": rec.sm3,
            "size": rec.size,
            "uploaded_by_id": rec.uploaded_by_id,
            "uploaded_at": rec.uploaded_at,
            "source": rec.source,
            "duplicate_of_id": rec.duplicate_of_id,
            "filename": rec.filename,
            "content_type": rec.content_type,
            "flags": rec.flags,
            "station": rec.station,
            "device_serial": rec.device_serial,
            "recorded_start": rec.recorded_start,
            "recorded_end": rec.recorded_end,
            "upload_id": rec.upload_id,
        }
        if target.case is not None:
            timeline_record(
                target.case,
                actor=actor,
                action="av_record.ingested",
                summary=f"上传音像记录 {rec.filename}",
                stage_id=target.stage_id,
                obj=("av_record", rec.pk),
                payload=payload,
            )
        else:
            record(
                actor=actor,
                action="av_record.ingested",
                obj_type="av_record",
                obj_id=rec.pk,
                payload=payload,
                agency_id=rec.agency_id,
            )
        if upload is not None:
            Upload.objects.filter(pk=upload.pk).update(
                status=UploadStatus.FINISHED, finished_at=now, record=rec, offset=upload.length, updated_at=now
            )
        # Probing always runs in the background, whatever the file's size: the upload never waits for it.
        transaction.on_commit(lambda: av_record_probe_task.enqueue(record_id=rec.pk), robust=True)
    return rec
