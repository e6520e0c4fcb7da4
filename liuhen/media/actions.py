"""What the media app writes to the ledger: its actions (merged into ``liuhen.ledger.actions.ACTIONS``)
and its write-once rows (registered for ``manage.py verify``), both when the app loads (``apps.py``).

Each write-once row is created with its event, whose payload carries the columns listed here; ``verify``
compares them with the row.
"""

from __future__ import annotations

from liuhen.ledger.records import ImmutableRecord

MEDIA_ACTIONS: dict[str, str] = {
    # ingest
    "av_record.ingested": "存入音像记录",
    "av_record.probed": "检测音像文件",
    "av_record.derived": "生成音像记录预览",
    "av_record.docking_reported": "记录设备对时",
    "upload.started": "开始断点续传上传",
    "upload.terminated": "取消上传",
    "upload.expired": "清理过期上传",
    # reading
    "av_record.viewed": "查看音像记录",
    "av_record.original_read": "读取音像记录原件",
    # continuity
    "av_record.captured": "填写或更正音像记录采集信息",
    "av_record.linked": "音像记录关联案件环节",
    "av_record.unlinked": "音像记录改为关联其他案件",
    "av_record.upload_late": "音像记录逾期上传",
    "av_session.created": "建立录制场次",
    "av_session.segment_added": "音像记录加入录制场次",
    "av_session.interruption_noted": "说明录像中断原因",
    "av_away.declared": "申报异地或连续工作",
    "av_exemption.approved": "批准未音像记录的书面说明",
    "av_coverage.named": "指明覆盖执法活动的视频监控录像",
}

# The columns of a capture row ``verify`` compares with its creating event.
CAPTURE_FIELDS = ("record_id", "supersedes_id", "case_id", "stage_id", "recorded_start", "recorded_end")

RECORDS: tuple[ImmutableRecord, ...] = (
    ImmutableRecord(
        model="media.MediaRecord",
        action="av_record.ingested",
        object_type="av_record",
        fields=("agency_id", "blob_id", "size", "uploaded_by_id", "uploaded_at", "source", "duplicate_of_id"),
        label="音像记录",
    ),
    ImmutableRecord(
        model="media.MediaProbe",
        action="av_record.probed",
        object_type="av_probe",
        fields=("record_id", "readable", "container", "duration", "flags"),
        label="音像文件检测结果",
    ),
    ImmutableRecord(
        model="media.MediaDerivative",
        action="av_record.derived",
        object_type="av_derivative",
        fields=("record_id", "kind", "blob_id", "content_type", "size", "program"),
        label="音像记录预览",
    ),
    ImmutableRecord(
        model="media.DockingReport",
        action="av_record.docking_reported",
        object_type="docking_report",
        fields=("agency_id", "device_serial", "device_time", "station_time", "drift_seconds"),
        label="设备对时记录",
    ),
    ImmutableRecord(
        model="media.CaptureMetadata",
        action=("av_record.captured", "av_record.linked"),
        object_type="av_capture",
        fields=CAPTURE_FIELDS,
        label="音像记录采集信息",
    ),
    ImmutableRecord(
        model="media.RecordingSession",
        action="av_session.created",
        object_type="av_session",
        fields=("agency_id", "case_id", "stage_id", "title", "follows_id"),
        label="录制场次",
    ),
    ImmutableRecord(
        model="media.SessionSegment",
        action="av_session.segment_added",
        object_type="av_segment",
        fields=("session_id", "record_id"),
        label="录制片段",
    ),
    ImmutableRecord(
        model="media.InterruptionNote",
        action="av_session.interruption_noted",
        object_type="av_interruption",
        fields=("session_id", "before_id", "after_id", "cause", "resume_offset", "statement_id", "supersedes_id"),
        label="中断原因说明",
    ),
    ImmutableRecord(
        model="media.AwayPeriod",
        action="av_away.declared",
        object_type="av_away",
        fields=("agency_id", "officer_id", "kind", "started_on", "returned_on"),
        label="异地或连续工作申报",
    ),
    ImmutableRecord(
        model="media.AvExemption",
        action="av_exemption.approved",
        object_type="av_exemption",
        fields=("case_id", "stage_id", "reason", "explained_by_id", "approved_by_id", "approver_role"),
        label="未音像记录书面说明",
    ),
    ImmutableRecord(
        model="media.CoverageClaim",
        action="av_coverage.named",
        object_type="av_coverage",
        fields=("case_id", "stage_id", "document_id", "act_start", "act_end", "record_ids"),
        label="视频监控覆盖说明",
    ),
)
