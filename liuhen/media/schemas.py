"""The request and response bodies of the media API (``liuhen.media.api``): the schemas of ``/api/media/``
(records, uploads, docking) and of ``/api/av/`` (continuity). Their names are the OpenAPI's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from liuhen.core.inputs import Count, Id, Seconds

# --------------------------------------------------------------------------- /api/media/


class ProbeOut(Schema):
    readable: bool
    kind: str
    container: str
    video_codec: str
    audio_codec: str
    duration: float | None = Field(None, description="时长（秒）")
    width: int | None
    height: int | None
    frame_rate: float | None
    media_created_at: dt.datetime | None = Field(None, description="媒体内记录的创建时间")
    media_device_serial: str
    flags: list[str]
    error: str
    probed_at: dt.datetime


class MediaRecordOut(Schema):
    id: int
    sha256: str
    sm3: str
    size: int
    filename: str = Field(description="安全处理后的文件名（原样的文件名字节见 filename_raw_b64）")
    filename_raw_b64: str
    content_type: str
    kind: str
    source: str
    station: str
    device_serial: str
    case_id: int | None
    stage_id: str
    uploaded_at: dt.datetime
    uploaded_by_id: int
    recorded_start: dt.datetime | None
    recorded_end: dt.datetime | None
    flags: list[str] = Field(description="入库标记与检测标记：empty、truncated、unreadable、duplicate 等")
    duplicate_of_id: int | None
    upload_id: str
    probe: ProbeOut | None


class UploadStatusOut(Schema):
    upload_id: str
    status: str = Field(description="active 上传中 / finished 已完成 / terminated 已取消 / expired 已过期")
    offset: int
    length: int
    record: MediaRecordOut | None


class DockingIn(Schema):
    device_serial: str
    device_time: dt.datetime = Field(description="设备时钟读数（带时区）")
    station_time: dt.datetime = Field(description="读数时采集站的时钟（带时区）")
    station: str = ""
    time_source: str = Field("", description="设备时间来源：sidecar / media / manual")


class DockingOut(Schema):
    id: int
    device_serial: str
    device_time: dt.datetime
    station_time: dt.datetime
    drift_seconds: float = Field(description="设备时间减采集站时间（秒），正数表示设备时钟偏快")
    station: str


# --------------------------------------------------------------------------- /api/av/


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


class InterruptionIn(Schema):
    before_id: Id
    after_id: Id | None = Field(None, description="恢复录制后的片段；无法继续录制时省略")
    cause: str = Field(description="weather / device_fault / damage / obstruction / other")
    detail: str = ""
    resume_offset: Seconds | None = Field(None, description="恢复录制后语音说明中断原因的位置（秒）")
    statement_id: Id | None = Field(None, description="书面说明（本案已定稿的文书）")
    supersedes_id: Id | None = None


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


class LateOut(UploadDeadlineOut):
    record_id: int
    filename: str
    case_id: int | None
    uploaded_by_id: int


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


class UnrecordedActOut(Schema):
    label: str
    officer_name: str
    serial: str
    start: dt.datetime
    end: dt.datetime
    text: str


class UntaggedOut(Schema):
    record_id: int
    filename: str
    uploaded_at: dt.datetime
    missing: list[str]


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
