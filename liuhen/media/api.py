"""音像记录接口 (media API), mounted at /api/media/: multipart upload of small files, records, the
record an upload became (for the collection station's digest check), and docking reports.

Large files go through tus at ``/api/uploads/`` (see ``liuhen.media.tus``); both end in the same
service, ``av_record_ingest``. Records are visible as on the pages (whoever sees the record's case;
one with no case its uploader and the roles that see every case); another agency's is ``404``, and a
role that never sees AV records (the three administrators) gets ``403``.
Damaged files are accepted and flagged, never refused: ``flags`` lists what is wrong.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from liuhen.core.api import ERRORS, ErrorOut
from liuhen.core.inputs import Id
from liuhen.media import rules, selectors, services
from liuhen.media.errors import UploadInvalid, UploadTooLarge
from liuhen.media.models import MediaRecord, Source

router = Router(tags=["音像记录"])
ERRORS_UPLOAD: dict[int, Any] = {**ERRORS, 413: ErrorOut}


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


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


def _out(rec: MediaRecord) -> dict[str, Any]:
    probe = getattr(rec, "probe", None) if hasattr(rec, "probe") else None
    return {
        **{f: getattr(rec, f) for f in MediaRecordOut.model_fields if f not in ("sha256", "flags", "probe")},
        "sha256": rec.blob_id,
        "flags": selectors.media_record_flags(rec),
        "probe": probe,
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
    if file.size is not None and file.size > services.multipart_max_bytes():
        raise UploadTooLarge(
            f"表单上传限 {services.multipart_max_bytes()} 字节，大文件请用断点续传（/api/uploads/）",
            max=services.multipart_max_bytes(),
        )
    try:
        start, end = rules.datetime_parse(recorded_start), rules.datetime_parse(recorded_end)
    except ValueError as exc:
        raise UploadInvalid(f"录制时间格式错误：{exc}", code="av_time_invalid") from exc
    target = services.target_resolve(actor=actor, case_ref=case, stage_id=stage)
    rec = services.av_record_ingest(
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
    qs = selectors.media_record_list(user=_user(request)).order_by("-uploaded_at", "-id")
    if sha256:
        qs = qs.filter(blob_id=sha256.lower())
    if device_serial:
        qs = qs.filter(device_serial=device_serial)
    return [_out(r) for r in qs[:200]]


@router.get(
    "/by-upload/{upload_id}", response={200: UploadStatusOut, **ERRORS}, summary="断点续传任务及其生成的音像记录"
)
def media_by_upload(request: HttpRequest, upload_id: str) -> Any:
    upload, rec = selectors.media_record_by_upload(user=_user(request), upload_id=upload_id)
    return {
        "upload_id": upload.pk,
        "status": upload.status,
        "offset": upload.offset,
        "length": upload.length,
        "record": _out(rec) if rec else None,
    }


@router.post("/docking-reports", response={201: DockingOut, **ERRORS}, summary="记录设备对时（采集站接入时）")
def docking_report(request: HttpRequest, body: DockingIn) -> Any:
    report = services.docking_report_create(actor=_user(request), **body.dict())
    return Status(201, report)


@router.get("/{record_id}", response={200: MediaRecordOut, **ERRORS}, summary="一条音像记录（含检测结果）")
def media_get(request: HttpRequest, record_id: Id) -> Any:
    return _out(selectors.media_record_get(user=_user(request), record_id=record_id))
