"""音像记录接口 (the media API): ``router`` at /api/media/ (ingest) and ``av_router`` at /api/av/
(continuity). Pages and API call the same services and ask the same policies
(``liuhen.media.policies``); errors come back as ``{code, message, detail}``.

/api/media/: multipart upload of small files, records, the record an upload became (for the collection
station's digest check), and docking reports. Large files go through tus at ``/api/uploads/``
(``liuhen.media.ingest.tus``); both end in ``av_record_ingest``. Damaged files are accepted and
flagged, never refused: ``flags`` lists what is wrong.

/api/av/: capture metadata and attestations, case links, recording sessions with gaps and interruption
notes, clock drift and upload deadline per record, declared remote work, late uploads for heads, each
stage's AV state and head-approved exemptions, fixed-camera coverage.

A record, session or upload of another agency (or one the user may not see) is ``404``; a role that
never sees AV records (the three administrators) gets ``403 admin_business_forbidden``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from liuhen.cases.selectors import case_get
from liuhen.cases.services import profile_of
from liuhen.core.api import ERRORS, ErrorOut
from liuhen.core.inputs import Id
from liuhen.documents.selectors import document_get
from liuhen.media.continuity import capture as capture_metadata
from liuhen.media.continuity import coverage, deadlines, drift, findings, guards, recording, sessions
from liuhen.media.errors import AvInvalid, UploadInvalid, UploadTooLarge
from liuhen.media.ingest import originals, rules
from liuhen.media.ingest.storage import multipart_max_bytes
from liuhen.media.models import InterruptionNote, MediaRecord, Source
from liuhen.media.policies import av_record_policy, away_period_policy, upload_policy
from liuhen.media.schemas import (
    AwayIn,
    AwayOut,
    CaptureIn,
    CaptureOut,
    CoverageIn,
    CoverageOut,
    DockingIn,
    DockingOut,
    ExemptionIn,
    ExemptionOut,
    InterruptionIn,
    LateOut,
    LinkIn,
    MediaRecordOut,
    NoteOut,
    RecordAvOut,
    SegmentsIn,
    SessionIn,
    SessionOut,
    StageAvOut,
    UnrecordedActOut,
    UntaggedOut,
    UploadStatusOut,
)
from liuhen.org.models import User

router = Router(tags=["音像记录"])  # /api/media/
av_router = Router(tags=["音像记录连续性"])  # /api/av/
ERRORS_UPLOAD: dict[int, Any] = {**ERRORS, 413: ErrorOut}


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _published(name: str) -> str:
    """The operation id a continuity endpoint was published under (before its router joined this
    module), kept so that clients generated from the OpenAPI keep working."""
    return f"liuhen_media_api_capture_{name}"


# =========================================================================== /api/media/


def _out(rec: MediaRecord) -> dict[str, Any]:
    return {
        **{f: getattr(rec, f) for f in MediaRecordOut.model_fields if f not in ("sha256", "flags", "probe")},
        "sha256": rec.blob_id,
        "flags": recording.record_flags(rec),
        "probe": recording.probe_of(rec),
    }


@router.post(
    "/",
    response={201: MediaRecordOut, **ERRORS_UPLOAD},
    summary="上传小文件（照片、录音等，multipart：file，可选 case、stage、device_serial、recorded_start、recorded_end）",
)
def media_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    case: Form[str] = "",
    stage: Form[str] = "",
    device_serial: Form[str] = "",
    recorded_start: Form[str] = "",
    recorded_end: Form[str] = "",
) -> Any:
    actor = _user(request)
    if file.size is not None and file.size > multipart_max_bytes():
        raise UploadTooLarge(
            f"表单上传限 {multipart_max_bytes()} 字节，大文件请用断点续传（/api/uploads/）",
            max=multipart_max_bytes(),
        )
    try:
        start, end = rules.datetime_parse(recorded_start), rules.datetime_parse(recorded_end)
    except ValueError as exc:
        raise UploadInvalid(f"录制时间格式错误：{exc}", code="av_time_invalid") from exc
    target = originals.target_resolve(actor=actor, case_ref=case, stage_id=stage)
    rec = originals.av_record_ingest(
        actor=actor,
        stream=file.file,
        filename=file.name or "",
        content_type=file.content_type or "",
        source=Source.MULTIPART.value,
        target=target,
        device_serial=device_serial,
        recorded_start=start,
        recorded_end=end,
    )
    return Status(201, _out(rec))


@router.get("/", response={200: list[MediaRecordOut], **ERRORS}, summary="本机关的音像记录（最新在前，最多 200 条）")
def media_list(request: HttpRequest, sha256: str = "", device_serial: str = "") -> Any:
    user = _user(request)
    av_record_policy.require(user, "view")
    qs = av_record_policy.visible(user).order_by("-uploaded_at", "-id")
    if sha256:
        qs = qs.filter(blob_id=sha256.lower())
    if device_serial:
        qs = qs.filter(device_serial=device_serial)
    return [_out(r) for r in qs[:200]]


@router.get(
    "/by-upload/{upload_id}", response={200: UploadStatusOut, **ERRORS}, summary="断点续传任务及其生成的音像记录"
)
def media_by_upload(request: HttpRequest, upload_id: str) -> Any:
    upload = upload_policy.get(_user(request), upload_id)
    rec = upload.record if upload.record_id else None
    return {
        "upload_id": upload.pk,
        "status": upload.status,
        "offset": upload.offset,
        "length": upload.length,
        "record": _out(rec) if rec else None,
    }


@router.post("/docking-reports", response={201: DockingOut, **ERRORS}, summary="记录设备对时（采集站接入时）")
def docking_report(request: HttpRequest, body: DockingIn) -> Any:
    report = drift.docking_report_create(actor=_user(request), **body.dict())
    return Status(201, report)


@router.get("/{record_id}", response={200: MediaRecordOut, **ERRORS}, summary="一条音像记录（含检测结果）")
def media_get(request: HttpRequest, record_id: Id) -> Any:
    return _out(av_record_policy.get(_user(request), record_id))


# =========================================================================== /api/av/


def _records(user: Any, ids: list[int]) -> list[MediaRecord]:
    return [av_record_policy.get(user, i) for i in ids]


def _case(user: Any, case_id: int | None) -> Any:
    return case_get(user, case_id) if case_id else None


def _document(user: Any, document_id: int | None) -> Any:
    return document_get(user, document_id) if document_id else None


# --------------------------------------------------------------------------- schemas


def _drift(d: drift.Drift | None, start: dt.datetime | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {
        "seconds": d.seconds,
        "tolerance": d.tolerance,
        "exceeded": d.exceeded,
        "label": d.label,
        "docked_at": d.report.station_time,
        "corrected_start": d.corrected(start),
    }


def _deadline(d: deadlines.UploadDeadline) -> dict[str, Any]:
    return {
        "basis": d.basis,
        "recorded_on": d.recorded_on,
        "due": d.due,
        "uploaded_on": d.uploaded_on,
        "late": d.late,
        "days_late": d.days_late,
        "provisional": d.provisional,
        "label": d.label,
    }


def record_av(rec: MediaRecord) -> dict[str, Any]:
    """Everything continuity says about one record."""
    cap = recording.current_capture(rec)
    case, stage_id = recording.effective_link(rec, cap)
    profile = recording.profile_for_record(rec, case)
    timing = recording.record_timing(rec, cap)
    session = sessions.session_of(rec)
    return {
        "record_id": rec.pk,
        "case_id": case.pk if case else None,
        "stage_id": stage_id,
        "start": timing.start,
        "end": timing.end,
        "time_source": timing.source,
        "device_serial": recording.device_of(rec),
        "problems": recording.record_problems(rec),
        "drift": _drift(drift.record_drift(rec, profile), timing.start),
        "deadline": _deadline(deadlines.upload_deadline(rec, profile)),
        "attestations": [a.__dict__ for a in recording.attestations(rec, profile)],
        "findings": [f.__dict__ for f in findings.record_findings(rec, profile)],
        "capture": cap,
        "session_id": session.pk if session else None,
    }


# --------------------------------------------------------------------------- records


@av_router.get(
    "/records/{record_id}",
    response={200: RecordAvOut, **ERRORS},
    summary="音像记录的关联、时间、时钟偏差、上传期限和证明事项",
    operation_id=_published("record_get"),
)
def record_get(request: HttpRequest, record_id: Id) -> Any:
    return record_av(av_record_policy.get(_user(request), record_id))


@av_router.get(
    "/records/{record_id}/captures",
    response={200: list[CaptureOut], **ERRORS},
    summary="采集信息（含被更正的历史）",
    operation_id=_published("captures_list"),
)
def captures_list(request: HttpRequest, record_id: Id) -> Any:
    return recording.capture_history(av_record_policy.get(_user(request), record_id))


@av_router.post(
    "/records/{record_id}/capture",
    response={201: CaptureOut, **ERRORS},
    summary="填写或更正采集信息",
    operation_id=_published("capture_post"),
)
def capture_post(request: HttpRequest, record_id: Id, body: CaptureIn) -> Any:
    user = _user(request)
    rec = av_record_policy.get(user, record_id)
    kw: dict[str, Any] = {}
    if "case_id" in body.model_fields_set:
        kw["case"] = _case(user, body.case_id)
    camera_officer = None
    if body.camera_officer_id:
        camera_officer = User.objects.filter(pk=body.camera_officer_id, agency_id=user.agency_id).first()
        if camera_officer is None:
            raise AvInvalid("摄录人员不存在", code="av_camera_officer_unknown")
    row = capture_metadata.capture_metadata_record(
        actor=user,
        record=rec,
        stage_id=body.stage_id,
        recorded_start=body.recorded_start,
        recorded_end=body.recorded_end,
        place_address=body.place_address,
        place_landmark=body.place_landmark,
        officers=[o.model_dump() for o in body.officers],
        camera_officer=camera_officer,
        party=body.party,
        subject=body.subject,
        camera_mount=body.camera_mount,
        opening_statement=body.opening_statement.model_dump(exclude_none=True) if body.opening_statement else None,
        notice=body.notice.model_dump() if body.notice else None,
        content=body.content,
        bystander=body.bystander.model_dump() if body.bystander else None,
        reason=body.reason,
        expected_current=body.expected_current,
        **kw,
    )
    return Status(201, row)


@av_router.post(
    "/records/{record_id}/link",
    response={201: CaptureOut, **ERRORS},
    summary="关联（或改为关联）案件和环节",
    operation_id=_published("link_post"),
)
def link_post(request: HttpRequest, record_id: Id, body: LinkIn) -> Any:
    user = _user(request)
    rec = av_record_policy.get(user, record_id)
    row = capture_metadata.av_record_link(
        actor=user, record=rec, case=_case(user, body.case_id), stage_id=body.stage_id, reason=body.reason
    )
    return Status(201, row)


# --------------------------------------------------------------------------- sessions


def _note(n: InterruptionNote) -> dict[str, Any]:
    return {
        "id": n.pk,
        "before_id": n.before_id,
        "after_id": n.after_id,
        "cause": n.cause,
        "cause_label": n.get_cause_display(),
        "detail": n.detail,
        "resume_offset": n.resume_offset,
        "statement_id": n.statement_id,
        "supersedes_id": n.supersedes_id,
        "recorded_at": n.recorded_at,
    }


def session_out(session: Any) -> dict[str, Any]:
    t = sessions.session_timeline(session)
    return {
        "id": session.pk,
        "title": session.title,
        "case_id": session.case_id,
        "stage_id": session.stage_id,
        "place": session.place,
        "follows_id": session.follows_id,
        "tolerance_seconds": t.tolerance,
        "start": t.start,
        "end": t.end,
        "tracks": [
            {
                "device": tr.device,
                "segments": [
                    {
                        "record_id": s.record.pk,
                        "filename": s.record.filename,
                        "device": s.device,
                        "start": s.timing.start,
                        "end": s.timing.end,
                        "time_source": s.timing.source,
                    }
                    for s in tr.segments
                ],
                "gaps": [
                    {
                        "device": g.device,
                        "before_id": g.before.pk,
                        "after_id": g.after.pk if g.after else None,
                        "start": g.start,
                        "end": g.end,
                        "seconds": g.seconds,
                        "explained": g.explained,
                        "note_id": g.note.pk if g.note else None,
                        "label": g.label,
                    }
                    for g in tr.gaps
                ],
            }
            for tr in t.tracks
        ],
        "untimed_record_ids": [r.pk for r in t.untimed],
        "unexplained": len(t.unexplained),
        "notes": [_note(n) for n in t.notes],
    }


@av_router.post(
    "/sessions",
    response={201: SessionOut, **ERRORS},
    summary="建立录制场次（可同时加入片段）",
    operation_id=_published("session_post"),
)
def session_post(request: HttpRequest, body: SessionIn) -> Any:
    user = _user(request)
    follows = sessions.session_get(user=user, session_id=body.follows_id) if body.follows_id else None
    session = sessions.session_create(
        actor=user,
        title=body.title,
        case=_case(user, body.case_id),
        stage_id=body.stage_id,
        place=body.place,
        follows=follows,
        records=_records(user, body.record_ids),
    )
    return Status(201, session_out(session))


@av_router.get(
    "/sessions/{session_id}",
    response={200: SessionOut, **ERRORS},
    summary="录制场次：各设备片段、间隔和中断说明",
    operation_id=_published("session_get"),
)
def session_get(request: HttpRequest, session_id: Id) -> Any:
    return session_out(sessions.session_get(user=_user(request), session_id=session_id))


@av_router.post(
    "/sessions/{session_id}/segments",
    response={201: SessionOut, **ERRORS},
    summary="把音像记录加入录制场次",
    operation_id=_published("segments_post"),
)
def segments_post(request: HttpRequest, session_id: Id, body: SegmentsIn) -> Any:
    user = _user(request)
    session = sessions.session_get(user=user, session_id=session_id)
    sessions.session_segments_add(actor=user, session=session, records=_records(user, body.record_ids))
    return Status(201, session_out(session))


@av_router.post(
    "/sessions/{session_id}/interruptions",
    response={201: NoteOut, **ERRORS},
    summary="说明录像中断原因",
    operation_id=_published("interruption_post"),
)
def interruption_post(request: HttpRequest, session_id: Id, body: InterruptionIn) -> Any:
    user = _user(request)
    session = sessions.session_get(user=user, session_id=session_id)
    supersedes = (
        InterruptionNote.objects.filter(pk=body.supersedes_id, session=session).first() if body.supersedes_id else None
    )
    note = sessions.interruption_note_record(
        actor=user,
        session=session,
        before=av_record_policy.get(user, body.before_id),
        after=av_record_policy.get(user, body.after_id) if body.after_id else None,
        cause=body.cause,
        detail=body.detail,
        resume_offset=body.resume_offset,
        statement=_document(user, body.statement_id),
        supersedes=supersedes,
    )
    return Status(201, _note(note))


# --------------------------------------------------------------------------- deadlines


@av_router.post(
    "/away",
    response={201: AwayOut, **ERRORS},
    summary="申报本人异地或连续工作（返回后按期上传）",
    operation_id=_published("away_post"),
)
def away_post(request: HttpRequest, body: AwayIn) -> Any:
    return Status(201, deadlines.away_period_declare(actor=_user(request), **body.model_dump()))


@av_router.get(
    "/away",
    response={200: list[AwayOut], **ERRORS},
    summary="异地或连续工作申报（本人；负责人可见本科室或本机关）",
    operation_id=_published("away_list"),
)
def away_list(request: HttpRequest) -> Any:
    user = _user(request)
    away_period_policy.require(user, "view")
    return list(away_period_policy.visible(user).order_by("-started_on", "-id")[:200])


@av_router.get(
    "/late-uploads",
    response={200: list[LateOut], **ERRORS},
    summary="逾期上传的音像记录（本人；负责人可见本科室或本机关）",
    operation_id=_published("late_list"),
)
def late_list(request: HttpRequest) -> Any:
    user = _user(request)
    av_record_policy.require(user, "view")
    out = []
    for d in deadlines.late_uploads(user=user):
        case, _ = recording.effective_link(d.record)
        out.append(
            {
                **_deadline(d),
                "record_id": d.record.pk,
                "filename": d.record.filename,
                "case_id": case.pk if case else None,
                "uploaded_by_id": d.record.uploaded_by_id,
            }
        )
    return out


# --------------------------------------------------------------------------- the guard


@av_router.get(
    "/cases/{case_id}/stages",
    response={200: list[StageAvOut], **ERRORS},
    summary="案件各环节的音像记录要求和情况",
    operation_id=_published("case_stages"),
)
def case_stages(request: HttpRequest, case_id: Id) -> Any:
    case = case_get(_user(request), case_id)
    return [
        {
            "stage_id": s.stage.id,
            "stage_name": s.stage.name,
            "level": s.level,
            "items": [i.name for i in s.items],
            "record_ids": [r.pk for r in s.records],
            "usable_record_ids": [r.pk for r in s.usable],
            "exemption_id": s.exemption.pk if s.exemption else None,
            "full_coverage_ids": [c.pk for c in s.full_claims],
            "covered": s.covered,
            "unexplained_gaps": len(s.gaps),
            "findings": {k: [f.__dict__ for f in v] for k, v in s.findings.items()},
        }
        for s in guards.case_av_overview(case)
    ]


@av_router.get(
    "/cases/{case_id}/unrecorded-acts",
    response={200: list[UnrecordedActOut], **ERRORS},
    summary="领用执法记录仪的承办人在现场执法环节中没有该设备录像的时段（dev-mandatory-use）",
    operation_id=_published("case_unrecorded_acts"),
)
def case_unrecorded_acts(request: HttpRequest, case_id: Id) -> Any:
    case = case_get(_user(request), case_id)
    return [{**a.__dict__, "text": a.text} for a in findings.unrecorded_onsite_acts(case)]


@av_router.get(
    "/untagged",
    response={200: list[UntaggedOut], **ERRORS},
    summary="未关联案件（或未标明当事人、承办人）的音像记录，待跟进",
    operation_id=_published("untagged_list"),
)
def untagged_list(request: HttpRequest) -> Any:
    user = _user(request)
    av_record_policy.require(user, "view")
    return [
        {
            "record_id": r.pk,
            "filename": r.filename,
            "uploaded_at": r.uploaded_at,
            "missing": recording.tagging_missing(r),
        }
        for r in recording.records_untagged(user)
    ]


@av_router.post(
    "/cases/{case_id}/exemptions",
    response={201: ExemptionOut, **ERRORS},
    summary="负责人批准未音像记录的书面说明",
    operation_id=_published("exemption_post"),
)
def exemption_post(request: HttpRequest, case_id: Id, body: ExemptionIn) -> Any:
    user = _user(request)
    case = case_get(user, case_id)
    explained_by = None
    if body.explained_by_id:
        explained_by = User.objects.filter(pk=body.explained_by_id, agency_id=user.agency_id).first()
        if explained_by is None:
            raise AvInvalid("说明人不存在", code="av_exemption_other_agency")
    row = guards.av_exemption_approve(
        actor=user,
        case=case,
        stage_id=body.stage_id,
        reason=body.reason,
        explained_by=explained_by,
        opinion=body.opinion,
    )
    return Status(201, row)


@av_router.post(
    "/coverage",
    response={201: CoverageOut, **ERRORS},
    summary="指明覆盖执法活动的视频监控录像，返回未覆盖的时间段",
    operation_id=_published("coverage_post"),
)
def coverage_post(request: HttpRequest, body: CoverageIn) -> Any:
    user = _user(request)
    case = case_get(user, body.case_id)
    claim = coverage.coverage_claim_record(
        actor=user,
        case=case,
        act_start=body.act_start,
        act_end=body.act_end,
        records=_records(user, body.record_ids),
        stage_id=body.stage_id,
        document=_document(user, body.document_id),
        external_source=body.external_source,
        retrieval_request_id=body.retrieval_request_id,
    )
    tolerance = profile_of(case).av_rules.gap_tolerance_seconds
    gaps = coverage.coverage_gaps(claim, tolerance_seconds=tolerance)
    fields = (
        "id",
        "case_id",
        "stage_id",
        "document_id",
        "act_start",
        "act_end",
        "record_ids",
        "external_source",
        "retrieval_request_id",
    )
    return Status(201, {**{f: getattr(claim, f) for f in fields}, "gaps": [[a, b] for a, b in gaps]})
