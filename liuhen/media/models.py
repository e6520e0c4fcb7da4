"""Audio-video records (音像记录): originals as received, their probe results, uploads in flight and
device-clock readings taken at docking.

Clauses integ-no-tamper-original, integ-audit-trail-traceability. A ``MediaRecord`` names one stored
original (a blob) and the facts known when it arrived: who, when, how, from which device, for which
case and stage. It is write-once; everything learnt later (the prober's findings, capture metadata,
sessions, segments, interruptions, previews) goes in rows of its own that point at it, each created
with its own ledger event. A damaged original is stored and flagged, never rejected or repaired.

``Upload`` is the tus resource of an upload in flight: a working row that changes with every PATCH
and ends finished (naming its record), terminated or expired. It is not evidence, the record is.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from liuhen.core.writeonce import WriteOnce


class Source(models.TextChoices):
    TUS = "tus", "断点续传上传"
    MULTIPART = "multipart", "表单上传"
    STATION = "station", "采集站导入"
    SURVEILLANCE = "surveillance", "视频监控导入"


class Kind(models.TextChoices):
    VIDEO = "video", "录像"
    AUDIO = "audio", "录音"
    PHOTO = "photo", "照相"
    OTHER = "other", "其他文件"
    UNKNOWN = "unknown", "未识别"


class Flag(models.TextChoices):
    """Why a record needs a person's attention. Ingest sets some; the prober and later rules add others."""

    EMPTY = "empty", "空文件（0 字节）"
    TRUNCATED = "truncated", "文件不完整（可能录制中断电）"
    UNREADABLE = "unreadable", "无法识别的音像文件"
    DUPLICATE = "duplicate", "重复上传（内容与已有记录相同）"
    UNREGISTERED_DEVICE = "unregistered_device", "设备编号未登记"
    UNSAFE_FILENAME = "unsafe_filename", "文件名含路径或非法字符，已作安全处理"
    INVALID_FILENAME_ENCODING = "invalid_filename_encoding", "文件名不是有效的 UTF-8 编码"
    TIMES_INVERTED = "times_inverted", "录制结束时间早于开始时间"
    EDITED = "edited", "文件含多段编辑列表（可能经过剪辑或拼接）"


class MediaRecord(WriteOnce):
    """One original as received (音像记录原件). Never changes; later facts point at it."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="media_records")
    blob = models.ForeignKey(
        "blobstore.Blob", verbose_name="原始文件", on_delete=models.PROTECT, related_name="media_records"
    )  # blob_id is the SHA-256
    sm3 = models.CharField("SM3", max_length=64)
    size = models.BigIntegerField("大小（字节）")
    content_type = models.CharField("类型（上传方声明）", max_length=120, blank=True)
    kind = models.CharField("种类（按声明类型）", max_length=12, choices=Kind.choices, default=Kind.UNKNOWN)
    # The name as shown: no path, no control characters; never used to build a path anywhere.
    filename = models.CharField("文件名", max_length=255)
    # The name exactly as sent (bytes, base64), so nothing the client said is lost, whatever it was.
    filename_raw_b64 = models.TextField("原始文件名（Base64）", blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间")
    source = models.CharField("来源", max_length=16, choices=Source.choices)
    station = models.CharField("采集站", max_length=120, blank=True)
    device_serial = models.CharField("设备编号（上传方提供）", max_length=120, blank=True)
    case = models.ForeignKey(
        "cases.Case", verbose_name="案件", on_delete=models.PROTECT, null=True, blank=True, related_name="media_records"
    )
    stage_id = models.CharField("环节", max_length=64, blank=True)
    recorded_start = models.DateTimeField("录制开始（上传方提供）", null=True, blank=True)
    recorded_end = models.DateTimeField("录制结束（上传方提供）", null=True, blank=True)
    flags = models.JSONField("入库标记", default=list, blank=True)  # Flag values known at ingest
    duplicate_of = models.ForeignKey(
        "self", verbose_name="与之重复的记录", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    upload_id = models.CharField("上传编号", max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = "音像记录"
        verbose_name_plural = "音像记录"
        ordering = ["uploaded_at", "id"]
        indexes = [
            models.Index(fields=["agency", "blob"]),
            models.Index(fields=["agency", "device_serial"]),
            models.Index(fields=["case", "stage_id"]),
        ]

    def __str__(self) -> str:
        return f"音像记录 #{self.pk} {self.filename}"

    @property
    def sha256(self) -> str:
        return self.blob_id


class MediaProbe(WriteOnce):
    """What PyAV found in the original (written once, by the probe task); ``flags`` adds to the record's."""

    record = models.OneToOneField(MediaRecord, on_delete=models.PROTECT, related_name="probe")
    probed_at = models.DateTimeField("检测时间")
    readable = models.BooleanField("可识别", default=False)
    kind = models.CharField("种类", max_length=12, choices=Kind.choices, default=Kind.UNKNOWN)
    container = models.CharField("封装格式", max_length=120, blank=True)
    video_codec = models.CharField("视频编码", max_length=64, blank=True)
    audio_codec = models.CharField("音频编码", max_length=64, blank=True)
    duration = models.FloatField("时长（秒）", null=True, blank=True)
    width = models.PositiveIntegerField("宽", null=True, blank=True)
    height = models.PositiveIntegerField("高", null=True, blank=True)
    frame_rate = models.FloatField("帧率", null=True, blank=True)
    media_created_at = models.DateTimeField("媒体内记录的创建时间", null=True, blank=True)
    media_device_serial = models.CharField("媒体内记录的设备编号", max_length=120, blank=True)
    tags = models.JSONField("元数据标签", default=dict, blank=True)
    flags = models.JSONField("检测标记", default=list, blank=True)
    error = models.TextField("检测错误", blank=True)
    prober = models.CharField("检测程序", max_length=64, blank=True)

    class Meta:
        verbose_name = "音像文件检测结果"
        verbose_name_plural = "音像文件检测结果"

    @property
    def recorded_start(self) -> dt.datetime | None:
        return self.media_created_at

    @property
    def recorded_end(self) -> dt.datetime | None:
        if self.media_created_at is None or self.duration is None:
            return None
        return self.media_created_at + dt.timedelta(seconds=self.duration)


class DockingReport(WriteOnce):
    """A device's clock read at docking (采集站对时): device time against the station's clock.

    ``drift_seconds`` = device time − station time (positive: the camera runs fast). The profile's
    tolerance is applied elsewhere; this row is only the reading.
    """

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    station = models.CharField("采集站", max_length=120, blank=True)
    device_serial = models.CharField("设备编号", max_length=120)
    device_time = models.DateTimeField("设备时间")
    station_time = models.DateTimeField("采集站时间")
    drift_seconds = models.FloatField("时钟偏差（秒）")
    time_source = models.CharField("设备时间来源", max_length=32, blank=True)  # sidecar / media / manual
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField("报告时间")

    class Meta:
        verbose_name = "设备对时记录"
        verbose_name_plural = "设备对时记录"
        ordering = ["reported_at", "id"]
        indexes = [models.Index(fields=["agency", "device_serial"])]


class UploadStatus(models.TextChoices):
    ACTIVE = "active", "上传中"
    FINISHED = "finished", "已完成"
    TERMINATED = "terminated", "已取消"
    EXPIRED = "expired", "已过期清理"


class Upload(models.Model):
    """A tus upload resource: bytes arrive in a temporary file until ``offset == length``."""

    id = models.CharField(primary_key=True, max_length=64)  # random token, also the URL
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    length = models.BigIntegerField("总长度")
    offset = models.BigIntegerField("已接收", default=0)
    metadata = models.JSONField("上传元数据", default=dict, blank=True)  # decoded, safe strings
    metadata_raw = models.TextField("Upload-Metadata 原文", blank=True)  # base64 as sent (ASCII)
    temp_name = models.CharField("临时文件名", max_length=80)  # under DATA_DIR/uploads; never from the client
    source = models.CharField("来源", max_length=16, choices=Source.choices, default=Source.TUS)
    status = models.CharField("状态", max_length=12, choices=UploadStatus.choices, default=UploadStatus.ACTIVE)
    created_at = models.DateTimeField("创建时间")
    updated_at = models.DateTimeField("最后写入时间")
    expires_at = models.DateTimeField("过期时间")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    record = models.ForeignKey(MediaRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = "上传任务"
        verbose_name_plural = "上传任务"
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"upload {self.id} {self.offset}/{self.length}"


# =========================================================================== continuity: capture metadata,
# sessions, interruptions, deadlines and the AV guard. Each row is write-once and created with its own
# ledger event (registered for ``verify`` in ``liuhen.media.actions``); a correction is a new row that
# ``supersedes`` the old one.


class CameraMount(models.TextChoices):
    """How the camera was worn or held (dev-wearing-position)."""

    SHOULDER = "shoulder", "佩戴于肩部"
    CHEST = "chest", "佩戴于胸部"
    HANDHELD = "handheld", "手持"
    FIXED = "fixed", "固定于特定位置"
    OTHER = "other", "其他"


class CaptureMetadata(WriteOnce):
    """What the officers say about one recording: its case and stage, time, place, people, and the
    attestations the seeds require (开始语音说明, 告知当事人). The record's link to a case lives here
    once a row exists; ``MediaRecord.case``/``stage_id`` is only the link declared at upload."""

    record = models.ForeignKey(MediaRecord, on_delete=models.PROTECT, related_name="captures")
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    stage_id = models.CharField("环节", max_length=64, blank=True)
    recorded_start = models.DateTimeField("录制开始", null=True, blank=True)
    recorded_end = models.DateTimeField("录制结束", null=True, blank=True)
    place_address = models.CharField("地点（地址）", max_length=300, blank=True)
    place_landmark = models.CharField("标志性建筑或门牌号", max_length=300, blank=True)
    officers = models.JSONField("在场执法人员", default=list, blank=True)  # [{"name", "certificate_no"}]
    camera_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="摄录人员",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    party = models.CharField("当事人", max_length=200, blank=True)
    subject = models.CharField("执法对象", max_length=300, blank=True)
    camera_mount = models.CharField("佩戴或持握方式", max_length=12, choices=CameraMount.choices, blank=True)
    opening_statement = models.JSONField("开始语音说明", default=dict, blank=True)  # {"offset", "items": [...]}
    notice = models.JSONField("告知当事人", default=dict, blank=True)  # {"offset", "text", "verbatim"}
    # 重点摄录内容 the recording shows (the stage's av_content and its checklist items' content):
    # {"<item as the profile words it>": offset seconds or null}
    content = models.JSONField("重点摄录内容", default=dict, blank=True)
    # 当事人或现场人员拍照录像 and the officers' notice to them (av-bystander-recording):
    # {"filming": true, "notice_offset": seconds or null}
    bystander = models.JSONField("现场人员拍摄及告知", default=dict, blank=True)
    reason = models.TextField("更正理由", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("填写时间")

    class Meta:
        verbose_name = "音像记录采集信息"
        verbose_name_plural = "音像记录采集信息"
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["case", "stage_id"])]


class RecordingSession(WriteOnce):
    """One on-site action (一次现场执法活动) recorded by one or several devices. ``follows`` names the
    session of the same matter at an earlier place or time (不同地点、时间进行同一执法事项)."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    stage_id = models.CharField("环节", max_length=64, blank=True)
    title = models.CharField("名称", max_length=200)
    place = models.CharField("地点", max_length=300, blank=True)
    follows = models.ForeignKey(
        "self", verbose_name="同一事项的前一次记录", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间")

    class Meta:
        verbose_name = "录制场次"
        verbose_name_plural = "录制场次"
        ordering = ["created_at", "id"]


class SessionSegment(WriteOnce):
    """A recording placed in a session (one record belongs to at most one session)."""

    session = models.ForeignKey(RecordingSession, on_delete=models.PROTECT, related_name="segments")
    record = models.OneToOneField(MediaRecord, on_delete=models.PROTECT, related_name="segment")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField("加入时间")

    class Meta:
        verbose_name = "录制片段"
        verbose_name_plural = "录制片段"
        ordering = ["added_at", "id"]


class InterruptionCause(models.TextChoices):
    WEATHER = "weather", "天气原因"
    DEVICE_FAULT = "device_fault", "设备故障"
    DAMAGE = "damage", "设备损坏"
    OBSTRUCTION = "obstruction", "现场人员阻碍"
    OTHER = "other", "其他原因"


class InterruptionNote(WriteOnce):
    """中断原因说明 for the gap after ``before`` (and before ``after`` when recording resumed): spoken on
    resuming (``resume_offset`` seconds into ``after``) or a written statement (a document)."""

    session = models.ForeignKey(RecordingSession, on_delete=models.PROTECT, related_name="interruptions")
    before = models.ForeignKey(MediaRecord, on_delete=models.PROTECT, related_name="+")
    after = models.ForeignKey(MediaRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cause = models.CharField("中断原因", max_length=16, choices=InterruptionCause.choices)
    detail = models.TextField("情况说明", blank=True)
    resume_offset = models.FloatField("恢复录制时语音说明位置（秒）", null=True, blank=True)
    statement = models.ForeignKey(
        "documents.Document", verbose_name="书面说明", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "中断原因说明"
        verbose_name_plural = "中断原因说明"
        ordering = ["recorded_at", "id"]


class AwayKind(models.TextChoices):
    REMOTE = "remote", "异地执法办案"
    CONTINUOUS = "continuous", "连续工作"
    REMOTE_AREA = "remote_area", "偏远地区执法"


class AwayPeriod(WriteOnce):
    """An officer's declared remote or continuous work (time-av-upload-after-return): recordings made
    in it are due M working days after ``returned_on`` rather than N after recording."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("情形", max_length=16, choices=AwayKind.choices)
    started_on = models.DateField("开始日期")
    returned_on = models.DateField("返回单位日期")
    place = models.CharField("地点", max_length=200, blank=True)
    note = models.TextField("说明", blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField("申报时间")

    class Meta:
        verbose_name = "异地或连续工作申报"
        verbose_name_plural = "异地或连续工作申报"
        ordering = ["started_on", "id"]
        indexes = [models.Index(fields=["agency", "officer"])]


class AvExemption(WriteOnce):
    """A written explanation why a stage that needs AV has none, approved by a head (row = approval)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    stage_id = models.CharField("环节", max_length=64)
    reason = models.TextField("书面说明")
    explained_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approver_role = models.CharField("审批人身份", max_length=32)
    opinion = models.TextField("审批意见", blank=True)
    approved_at = models.DateTimeField("批准时间")

    class Meta:
        verbose_name = "音像记录免除说明"
        verbose_name_plural = "音像记录免除说明"
        ordering = ["approved_at", "id"]
        indexes = [models.Index(fields=["case", "stage_id"])]


class ExternalSource(models.TextChoices):
    """Who keeps surveillance clips the agency does not run itself."""

    SERVICE_CENTER = "service_center", "政务服务中心"
    OTHER = "other", "其他单位"


class CoverageClaim(WriteOnce):
    """A fixed camera's clips named as covering an act (a licensing acceptance, a hearing, an
    interview) from ``act_start`` to ``act_end``; what they leave uncovered is a coverage gap."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    stage_id = models.CharField("环节", max_length=64, blank=True)
    document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    act_start = models.DateTimeField("活动开始")
    act_end = models.DateTimeField("活动结束")
    record_ids = models.JSONField("监控录像片段", default=list)
    # Clips kept by another body (the 政务服务中心 runs the window cameras: dev-service-center-cctv):
    # who keeps them and the number of the request under which they were retrieved.
    external_source = models.CharField("外部来源", max_length=32, blank=True)
    retrieval_request_id = models.CharField("调取申请编号", max_length=120, blank=True)
    named_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    named_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "视频监控覆盖说明"
        verbose_name_plural = "视频监控覆盖说明"
        ordering = ["named_at", "id"]


# =========================================================================== previews and thumbnails:
# derived blobs made by ``liuhen.media.ingest.processing``; the original is only ever read.


class DerivativeKind(models.TextChoices):
    PREVIEW = "preview", "预览"
    THUMBNAIL = "thumbnail", "缩略图"


class MediaDerivative(WriteOnce):
    """A browser-playable copy (H.264/AAC MP4, AAC M4A, JPEG) or a thumbnail of one original, stored as
    a blob of its own with the program that made it. Write-once; made with event ``av_record.derived``."""

    record = models.ForeignKey(MediaRecord, on_delete=models.PROTECT, related_name="derivatives")
    kind = models.CharField("种类", max_length=12, choices=DerivativeKind.choices)
    blob = models.ForeignKey("blobstore.Blob", verbose_name="派生文件", on_delete=models.PROTECT, related_name="+")
    content_type = models.CharField("类型", max_length=64)
    size = models.BigIntegerField("大小（字节）")
    width = models.PositiveIntegerField("宽", null=True, blank=True)
    height = models.PositiveIntegerField("高", null=True, blank=True)
    duration = models.FloatField("时长（秒）", null=True, blank=True)
    made_at = models.DateTimeField("生成时间")
    program = models.CharField("生成程序", max_length=120)

    class Meta:
        verbose_name = "音像记录预览"
        verbose_name_plural = "音像记录预览"
        ordering = ["made_at", "id"]
        constraints = [models.UniqueConstraint(fields=["record", "kind"], name="media_derivative_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of 音像记录 #{self.record_id}"
