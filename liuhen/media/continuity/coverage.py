"""Fixed surveillance cameras (视频监控) covering an act: which clips cover it, and what they miss.

Clauses src-application-window-recording, av-hearing, av-continuous-monitoring-high-stakes,
dev-service-center-cctv. Cameras in service windows,
hearing rooms and case-handling rooms are recorders too: each clip is an AV record of a fixed camera
(a device of kind ``fixed_camera`` in the devices registry, or a record imported as surveillance)
with a time range. A licensing acceptance, a hearing or an interview names the clips that cover it
(``CoverageClaim``, from ``act_start`` to ``act_end``, optionally for a document); the parts of that
time no clip covers are its coverage gaps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases.models import Case
from liuhen.cases.services import timeline_record
from liuhen.devices.models import DeviceKind
from liuhen.devices.selectors import device_by_serial
from liuhen.media.continuity.recording import (
    case_and_stage,
    check_times,
    device_of,
    record_problems,
    record_timing,
    shown,
    utc,
)
from liuhen.media.errors import AvInvalid
from liuhen.media.models import CoverageClaim, ExternalSource, MediaRecord, Source
from liuhen.media.policies import av_record_policy

Interval = tuple[dt.datetime, dt.datetime]


def is_fixed_camera(record: MediaRecord) -> bool:
    if record.source == Source.SURVEILLANCE:
        return True
    serial = device_of(record)
    if not serial:
        return False
    device = device_by_serial(record.agency_id, serial)
    return device is not None and device.kind == DeviceKind.FIXED_CAMERA


def uncovered(span: Interval, clips: Sequence[Interval]) -> list[Interval]:
    """The parts of ``span`` no clip covers (pure)."""
    start, end = span
    gaps: list[Interval] = []
    cursor = start
    for c_start, c_end in sorted(clips):
        if c_end <= cursor:
            continue
        if c_start > cursor:
            gaps.append((cursor, min(c_start, end)))
        cursor = max(cursor, c_end)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return [(a, b) for a, b in gaps if b > a]


def claim_records(claim: CoverageClaim) -> list[MediaRecord]:
    rows = {r.pk: r for r in MediaRecord.objects.filter(pk__in=claim.record_ids).select_related("probe")}
    return [rows[i] for i in claim.record_ids if i in rows]


def coverage_gaps(claim: CoverageClaim, *, tolerance_seconds: float = 0) -> list[Interval]:
    """Where the named clips leave the act uncovered (gaps no longer than the tolerance are ignored);
    unreadable clips cover nothing."""
    clips = []
    for rec in claim_records(claim):
        timing = record_timing(rec)
        if timing.known and not record_problems(rec):
            clips.append((timing.start, timing.end))
    return [
        (a, b)
        for a, b in uncovered((claim.act_start, claim.act_end), clips)
        if (b - a).total_seconds() > tolerance_seconds
    ]


def gap_labels(gaps: Sequence[Interval]) -> list[str]:
    return [f"{shown(a)} 至 {shown(b)}（{(b - a).total_seconds():g} 秒）" for a, b in gaps]


def claims_of(case: Case, stage_id: str | None = None) -> list[CoverageClaim]:
    qs = CoverageClaim.objects.filter(case=case)
    if stage_id is not None:
        qs = qs.filter(stage_id=stage_id)
    return list(qs.order_by("id"))


def coverage_claim_record(
    *,
    actor: Any,
    case: Case,
    act_start: dt.datetime,
    act_end: dt.datetime,
    records: Sequence[MediaRecord],
    stage_id: str = "",
    document: Any = None,
    external_source: str = "",
    retrieval_request_id: str = "",
) -> CoverageClaim:
    """Name the fixed-camera clips that cover an act of the case (event ``av_coverage.named``); the
    timeline entry says whether they cover it fully.

    Clips of cameras another body runs (the 政务服务中心's window cameras, dev-service-center-cctv) are
    imported as surveillance records and named with ``external_source`` and the number of the
    retrieval request under which that body handed them over (required then)."""
    case, stage_id = case_and_stage(actor, case, stage_id)
    start, end = utc(act_start, "活动开始时间"), utc(act_end, "活动结束时间")
    check_times(start, end)
    if start == end:
        raise AvInvalid("活动开始和结束时间相同", code="av_act_empty")
    if not records:
        raise AvInvalid("请选择覆盖该活动的监控录像片段", code="av_coverage_no_clips")
    for rec in records:
        av_record_policy.require(actor, "capture", rec)
        if not is_fixed_camera(rec):
            raise AvInvalid(
                f"{rec.filename} 不是固定视频监控设备的录像", code="av_coverage_not_fixed_camera", record_id=rec.pk
            )
    if document is not None and document.case_id != case.pk:
        raise AvInvalid("文书不属于本案", code="av_document_other_case")
    external_source = (external_source or "").strip()
    retrieval_request_id = (retrieval_request_id or "").strip()[:120]
    if external_source and external_source not in ExternalSource.values:
        raise AvInvalid(f"未知的外部来源 {external_source}", code="av_external_source_unknown")
    if external_source and not retrieval_request_id:
        raise AvInvalid(
            f"由{ExternalSource(external_source).label}保管的监控录像须填写调取申请编号",
            code="av_retrieval_request_required",
        )
    if retrieval_request_id and not external_source:
        raise AvInvalid("填写了调取申请编号，请选择录像的外部来源", code="av_external_source_required")
    if external_source:
        for rec in records:
            if rec.source != Source.SURVEILLANCE:
                raise AvInvalid(
                    f"{rec.filename} 不是以视频监控导入的录像", code="av_coverage_not_surveillance", record_id=rec.pk
                )
    with transaction.atomic():
        claim = CoverageClaim(
            case=case,
            stage_id=stage_id,
            document=document,
            act_start=start,
            act_end=end,
            record_ids=[r.pk for r in records],
            external_source=external_source,
            retrieval_request_id=retrieval_request_id,
            named_by=actor,
            named_at=timezone.now(),
        )
        claim.save()
        gaps = coverage_gaps(claim)
        summary = f"视频监控覆盖 {shown(start)} 至 {shown(end)}：{len(records)} 段录像"
        summary += f"，未覆盖 {'；'.join(gap_labels(gaps))}" if gaps else "，全程覆盖"
        if external_source:
            summary += f"（{ExternalSource(external_source).label}提供，调取申请编号 {retrieval_request_id}）"
        timeline_record(
            case,
            actor=actor,
            action="av_coverage.named",
            summary=summary,
            stage_id=stage_id,
            obj=("av_coverage", claim.pk),
            payload={
                "case_id": case.pk,
                "stage_id": stage_id,
                "document_id": claim.document_id,
                "act_start": start,
                "act_end": end,
                "record_ids": claim.record_ids,
                "external_source": external_source,
                "retrieval_request_id": retrieval_request_id,
                "gaps": [[a.isoformat(), b.isoformat()] for a, b in gaps],
            },
        )
    return claim
