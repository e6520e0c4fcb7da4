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

from liuhen.cases.models import WriteOnce


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


# =========================================================================== previews and thumbnails
# (issue 6: metadata and previews). Derived blobs made by ``liuhen.media.derivatives``; the original
# is only ever read.


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
