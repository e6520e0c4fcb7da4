"""音像记录连续性接口, mounted at /api/av/ (INGEST's /api/media/ router keeps upload and records):
capture metadata and attestations, case links, recording sessions with gaps and interruption notes,
clock drift and upload deadline per record, declared remote work, late uploads for heads, each
stage's AV state and head-approved exemptions, fixed-camera coverage.

Everything calls the services of ``liuhen.media.capture``, ``sessions``, ``deadlines``, ``drift``,
``guards`` and ``coverage``; errors come back as ``{code, message, detail}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from liuhen.cases.selectors import case_get
from liuhen.cases.services import profile_of
from liuhen.core.api import ERRORS
from liuhen.core.inputs import Count, Id, Seconds
from liuhen.media import capture, coverage, deadlines, drift, findings, guards, sessions
from liuhen.media.av_errors import AvInvalid
from liuhen.media.models import InterruptionNote, MediaRecord
from liuhen.media.selectors import media_record_get, require_reader

router = Router(tags=["音像记录连续性"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _records(user: Any, ids: list[int]) -> list[MediaRecord]:
    return [media_record_get(user=user, record_id=i) for i in ids]


def _case(user: Any, case_id: int | None) -> Any:
    return case_get(user, case_id) if case_id else None


def _document(user: Any, document_id: int | None) -> Any:
    if not document_id:
        return None
    from liuhen.documents.selectors import document_get

    return document_get(user, document_id)


# --------------------------------------------------------------------------- schemas


class CameraOfficerIn(Schema):
    name: str
    certificate_no: str = ""


class OpeningIn(Schema):
    offset: Seconds = Field(description="在录像中的位置（秒）")
    items: list[str] | None = Field(None, description="说明了的事项；省略时为配置要求的全部事项")


class AvNoticeIn(Schema):
    offset: Seconds = Field(description="在录像中的位置（秒）")
    text: str = Field("", description="告知用语；省略时为配置的规范用语")


class BystanderIn(Schema):
    filming: bool = Field(False, description="当事人或现场人员对执法活动拍照、录音、录像")
    notice_offset: Seconds | None = Field(
        None, description="执法人员告知其应当符合规定、不得妨碍执法、不得随意编辑的位置（秒）"
    )


class CaptureIn(Schema):
    case_id: Id | None = Field(None, description="省略时保持当前关联")
    stage_id: str | None = None
    recorded_start: dt.datetime | None = None
    recorded_end: dt.datetime | None = None
    place_address: str = ""
    place_landmark: str = ""
    officers: list[CameraOfficerIn] = []
    camera_officer_id: Id | None = None
    party: str = ""
    subject: str = ""
    camera_mount: str = Field("", description="shoulder / chest / handheld / fixed / other")
    opening_statement: OpeningIn | None = None
    notice: AvNoticeIn | None = None
    content: dict[str, Seconds | None] = Field(
        {}, description="已摄录的重点内容（本环节 av_content 及清单事项 content 的原文）→ 在录像中的位置（秒）或 null"
    )
    bystander: BystanderIn | None = None
    reason: str = Field("", description="更正已填写的信息时必填")
    expected_current: Count | None = Field(None, description="页面显示的当前信息编号（无则为 0），防止覆盖他人的更正")


class CaptureOut(Schema):
    id: int
    record_id: int
    supersedes_id: int | None
    case_id: int | None
    stage_id: str
    recorded_start: dt.datetime | None
    recorded_end: dt.datetime | None
    place_address: str
    place_landmark: str
    officers: list[dict[str, str]]
    camera_officer_id: int | None
    party: str
    subject: str
    camera_mount: str
    opening_statement: dict[str, Any]
    notice: dict[str, Any]
    content: dict[str, Any]
    bystander: dict[str, Any]
    reason: str
    recorded_at: dt.datetime


class LinkIn(Schema):
    case_id: Id | None = None
    stage_id: str = ""
    reason: str = ""


class AttestationOut(Schema):
    label: str
    required: bool
    given: bool
    note: str


class DriftOut(Schema):
    seconds: float = Field(description="设备时间 − 采集站时间（秒），正数表示设备时钟快")
    tolerance: int
    exceeded: bool
    label: str
    docked_at: dt.datetime
    corrected_start: dt.datetime | None


class UploadDeadlineOut(Schema):
    basis: str = Field(description="recording / after_return / silent / unknown")
    recorded_on: dt.date | None
    due: dt.date | None
    uploaded_on: dt.date
    late: bool
    days_late: int
    provisional: bool
    label: str


class AvFindingOut(Schema):
    code: str = Field(
        description="possible_backfill / created_after_upload / edited / preuse_check_missing / untagged / "
        "content_missing / bystander_notice_missing"
    )
    label: str
    clauses: list[str]


class RecordAvOut(Schema):
    record_id: int
    case_id: int | None
    stage_id: str
    start: dt.datetime | None
    end: dt.datetime | None
    time_source: str = Field(description="probe（媒体自带） / capture（采集信息） / upload（上传时声明） / 空")
    device_serial: str
    problems: list[str]
    drift: DriftOut | None
    deadline: UploadDeadlineOut
    attestations: list[AttestationOut]
    findings: list[AvFindingOut] = Field(description="须核查的事项（不阻止环节推进）")
    capture: CaptureOut | None
    session_id: int | None


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
    """Everything continuity says about one record (also for pages)."""
    cap = capture.current_capture(rec)
    case, stage_id = capture.effective_link(rec, cap)
    profile = capture.profile_for_record(rec, case)
    timing = capture.record_timing(rec, cap)
    session = sessions.session_of(rec)
    return {
        "record_id": rec.pk,
        "case_id": case.pk if case else None,
        "stage_id": stage_id,
        "start": timing.start,
        "end": timing.end,
        "time_source": timing.source,
        "device_serial": capture.device_of(rec),
        "problems": capture.record_problems(rec),
        "drift": _drift(drift.record_drift(rec, profile), timing.start),
        "deadline": _deadline(deadlines.upload_deadline(rec, profile)),
        "attestations": [a.__dict__ for a in capture.attestations(rec, profile)],
        "findings": [f.__dict__ for f in findings.record_findings(rec, profile)],
        "capture": cap,
        "session_id": session.pk if session else None,
    }


# --------------------------------------------------------------------------- records


@router.get(
    "/records/{record_id}",
    response={200: RecordAvOut, **ERRORS},
    summary="音像记录的关联、时间、时钟偏差、上传期限和证明事项",
)
def record_get(request: HttpRequest, record_id: Id) -> Any:
    return record_av(media_record_get(user=_user(request), record_id=record_id))


@router.get(
    "/records/{record_id}/captures", response={200: list[CaptureOut], **ERRORS}, summary="采集信息（含被更正的历史）"
)
def captures_list(request: HttpRequest, record_id: Id) -> Any:
    return capture.capture_history(media_record_get(user=_user(request), record_id=record_id))


@router.post("/records/{record_id}/capture", response={201: CaptureOut, **ERRORS}, summary="填写或更正采集信息")
def capture_post(request: HttpRequest, record_id: Id, body: CaptureIn) -> Any:
    user = _user(request)
    rec = media_record_get(user=user, record_id=record_id)
    kw: dict[str, Any] = {}
    if "case_id" in body.model_fields_set:
        kw["case"] = _case(user, body.case_id)
    camera_officer = None
    if body.camera_officer_id:
        from django.contrib.auth import get_user_model

        camera_officer = get_user_model().objects.filter(pk=body.camera_officer_id, agency_id=user.agency_id).first()
        if camera_officer is None:
            raise AvInvalid("摄录人员不存在", code="av_camera_officer_unknown")
    row = capture.capture_metadata_record(
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
    return 201, row


@router.post("/records/{record_id}/link", response={201: CaptureOut, **ERRORS}, summary="关联（或改为关联）案件和环节")
def link_post(request: HttpRequest, record_id: Id, body: LinkIn) -> Any:
    user = _user(request)
    rec = media_record_get(user=user, record_id=record_id)
    row = capture.av_record_link(
        actor=user, record=rec, case=_case(user, body.case_id), stage_id=body.stage_id, reason=body.reason
    )
    return 201, row


# --------------------------------------------------------------------------- sessions


class SessionIn(Schema):
    title: str
    case_id: Id | None = None
    stage_id: str = ""
    place: str = ""
    follows_id: Id | None = Field(None, description="同一执法事项在其他地点或时间的前一场次")
    record_ids: list[Id] = []


class SegmentsIn(Schema):
    record_ids: list[Id]


class SegmentOut(Schema):
    record_id: int
    filename: str
    device: str
    start: dt.datetime
    end: dt.datetime
    time_source: str


class NoteOut(Schema):
    id: int
    before_id: int
    after_id: int | None
    cause: str
    cause_label: str
    detail: str
    resume_offset: float | None
    statement_id: int | None
    supersedes_id: int | None
    recorded_at: dt.datetime


class GapOut(Schema):
    device: str
    before_id: int
    after_id: int | None
    start: dt.datetime | None
    end: dt.datetime | None
    seconds: float | None
    explained: bool
    note_id: int | None
    label: str


class TrackOut(Schema):
    device: str
    segments: list[SegmentOut]
    gaps: list[GapOut]


class SessionOut(Schema):
    id: int
    title: str
    case_id: int | None
    stage_id: str
    place: str
    follows_id: int | None
    tolerance_seconds: int
    start: dt.datetime | None
    end: dt.datetime | None
    tracks: list[TrackOut]
    untimed_record_ids: list[int] = Field(description="时间不明、无法检查连续性的片段")
    unexplained: int
    notes: list[NoteOut]


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


@router.post("/sessions", response={201: SessionOut, **ERRORS}, summary="建立录制场次（可同时加入片段）")
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
    return 201, session_out(session)


@router.get(
    "/sessions/{session_id}", response={200: SessionOut, **ERRORS}, summary="录制场次：各设备片段、间隔和中断说明"
)
def session_get(request: HttpRequest, session_id: Id) -> Any:
    return session_out(sessions.session_get(user=_user(request), session_id=session_id))


@router.post("/sessions/{session_id}/segments", response={201: SessionOut, **ERRORS}, summary="把音像记录加入录制场次")
def segments_post(request: HttpRequest, session_id: Id, body: SegmentsIn) -> Any:
    user = _user(request)
    session = sessions.session_get(user=user, session_id=session_id)
    sessions.session_segments_add(actor=user, session=session, records=_records(user, body.record_ids))
    return 201, session_out(session)


class InterruptionIn(Schema):
    before_id: Id
    after_id: Id | None = Field(None, description="恢复录制后的片段；无法继续录制时省略")
    cause: str = Field(description="weather / device_fault / damage / obstruction / other")
    detail: str = ""
    resume_offset: Seconds | None = Field(None, description="恢复录制后语音说明中断原因的位置（秒）")
    statement_id: Id | None = Field(None, description="书面说明（本案已定稿的文书）")
    supersedes_id: Id | None = None


@router.post("/sessions/{session_id}/interruptions", response={201: NoteOut, **ERRORS}, summary="说明录像中断原因")
def interruption_post(request: HttpRequest, session_id: Id, body: InterruptionIn) -> Any:
    user = _user(request)
    session = sessions.session_get(user=user, session_id=session_id)
    supersedes = (
        InterruptionNote.objects.filter(pk=body.supersedes_id, session=session).first() if body.supersedes_id else None
    )
    note = sessions.interruption_note_record(
        actor=user,
        session=session,
        before=media_record_get(user=user, record_id=body.before_id),
        after=media_record_get(user=user, record_id=body.after_id) if body.after_id else None,
        cause=body.cause,
        detail=body.detail,
        resume_offset=body.resume_offset,
        statement=_document(user, body.statement_id),
        supersedes=supersedes,
    )
    return 201, _note(note)


# --------------------------------------------------------------------------- deadlines


class AwayIn(Schema):
    kind: str = Field(description="remote（异地执法办案） / continuous（连续工作） / remote_area（偏远地区执法）")
    started_on: dt.date
    returned_on: dt.date
    place: str = ""
    note: str = ""


class AwayOut(Schema):
    id: int
    officer_id: int
    kind: str
    started_on: dt.date
    returned_on: dt.date
    place: str
    note: str
    declared_at: dt.datetime


@router.post("/away", response={201: AwayOut, **ERRORS}, summary="申报本人异地或连续工作（返回后按期上传）")
def away_post(request: HttpRequest, body: AwayIn) -> Any:
    return 201, deadlines.away_period_declare(actor=_user(request), **body.model_dump())


@router.get(
    "/away", response={200: list[AwayOut], **ERRORS}, summary="异地或连续工作申报（本人；负责人可见本科室或本机关）"
)
def away_list(request: HttpRequest) -> Any:
    require_reader(_user(request))
    return list(deadlines.away_periods_visible(user=_user(request)).order_by("-started_on", "-id")[:200])


class LateOut(UploadDeadlineOut):
    record_id: int
    filename: str
    case_id: int | None
    uploaded_by_id: int


@router.get(
    "/late-uploads",
    response={200: list[LateOut], **ERRORS},
    summary="逾期上传的音像记录（本人；负责人可见本科室或本机关）",
)
def late_list(request: HttpRequest) -> Any:
    require_reader(_user(request))
    out = []
    for d in deadlines.late_uploads(user=_user(request)):
        case, _ = capture.effective_link(d.record)
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


class StageAvOut(Schema):
    stage_id: str
    stage_name: str
    level: str = Field(description="mandatory / recommended / optional")
    items: list[str] = Field(description="附加的必须音像记录事项")
    record_ids: list[int]
    usable_record_ids: list[int]
    exemption_id: int | None
    full_coverage_ids: list[int]
    covered: bool
    unexplained_gaps: int
    findings: dict[int, list[AvFindingOut]] = Field(description="音像记录编号 → 须核查的事项")


@router.get(
    "/cases/{case_id}/stages", response={200: list[StageAvOut], **ERRORS}, summary="案件各环节的音像记录要求和情况"
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


class UnrecordedActOut(Schema):
    label: str
    officer_name: str
    serial: str
    start: dt.datetime
    end: dt.datetime
    text: str


@router.get(
    "/cases/{case_id}/unrecorded-acts",
    response={200: list[UnrecordedActOut], **ERRORS},
    summary="领用执法记录仪的承办人在现场执法环节中没有该设备录像的时段（dev-mandatory-use）",
)
def case_unrecorded_acts(request: HttpRequest, case_id: Id) -> Any:
    case = case_get(_user(request), case_id)
    return [{**a.__dict__, "text": a.text} for a in findings.unrecorded_onsite_acts(case)]


class UntaggedOut(Schema):
    record_id: int
    filename: str
    uploaded_at: dt.datetime
    missing: list[str]


@router.get(
    "/untagged",
    response={200: list[UntaggedOut], **ERRORS},
    summary="未关联案件（或未标明当事人、承办人）的音像记录，待跟进",
)
def untagged_list(request: HttpRequest) -> Any:
    require_reader(_user(request))
    return [
        {"record_id": r.pk, "filename": r.filename, "uploaded_at": r.uploaded_at, "missing": capture.tagging_missing(r)}
        for r in capture.records_untagged(_user(request))
    ]


class ExemptionIn(Schema):
    stage_id: str
    reason: str = Field(description="未进行音像记录的书面说明")
    explained_by_id: Id | None = None
    opinion: str = ""


class ExemptionOut(Schema):
    id: int
    case_id: int
    stage_id: str
    reason: str
    explained_by_id: int
    approved_by_id: int
    approver_role: str
    opinion: str
    approved_at: dt.datetime


@router.post(
    "/cases/{case_id}/exemptions", response={201: ExemptionOut, **ERRORS}, summary="负责人批准未音像记录的书面说明"
)
def exemption_post(request: HttpRequest, case_id: Id, body: ExemptionIn) -> Any:
    from django.contrib.auth import get_user_model

    user = _user(request)
    case = case_get(user, case_id)
    explained_by = None
    if body.explained_by_id:
        explained_by = get_user_model().objects.filter(pk=body.explained_by_id, agency_id=user.agency_id).first()
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
    return 201, row


class CoverageIn(Schema):
    case_id: Id
    stage_id: str = ""
    document_id: Id | None = None
    act_start: dt.datetime
    act_end: dt.datetime
    record_ids: list[Id]
    external_source: str = Field("", description="service_center（政务服务中心）/ other；本机关自有监控为空")
    retrieval_request_id: str = Field("", description="向外部单位调取录像的申请编号（有外部来源时必填）")


class CoverageOut(Schema):
    id: int
    case_id: int
    stage_id: str
    document_id: int | None
    act_start: dt.datetime
    act_end: dt.datetime
    record_ids: list[int]
    external_source: str
    retrieval_request_id: str
    gaps: list[list[dt.datetime]] = Field(description="未被录像覆盖的时间段 [开始, 结束]")


@router.post(
    "/coverage", response={201: CoverageOut, **ERRORS}, summary="指明覆盖执法活动的视频监控录像，返回未覆盖的时间段"
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
    return 201, {
        **{
            f: getattr(claim, f)
            for f in (
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
        },
        "gaps": [[a, b] for a, b in gaps],
    }
