"""Wiring of capture metadata, sessions, interruptions, deadlines and the AV guard into the project:
ledger actions, write-once rows for ``verify``, and the "media" provider of the case guards.
Called from ``MediaConfig.ready``."""

from __future__ import annotations

AV_ACTIONS: dict[str, str] = {
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


def ready() -> None:
    from liuhen.cases.requirements import register_provider
    from liuhen.ledger.actions import ACTIONS
    from liuhen.ledger.records import ImmutableRecord, register
    from liuhen.media.capture import CAPTURE_FIELDS
    from liuhen.media.guards import media_requirements, summary_av_requirements

    for code, text in AV_ACTIONS.items():
        ACTIONS.setdefault(code, text)
    register_provider("media", media_requirements)
    register_provider("summary_av", summary_av_requirements)
    # Once a record is probed its recording time is known: check its upload deadline then (queued on
    # commit, so ingest and the prober stay unaware of deadlines).
    from django.db.models.signals import post_save

    from liuhen.media.models import MediaProbe

    post_save.connect(_probe_saved, sender=MediaProbe, dispatch_uid="media.av_upload_late_after_probe")
    for spec in (
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
    ):
        register(spec)


def _probe_saved(sender, instance, created: bool, **kwargs) -> None:
    if not created:
        return
    from django.db import transaction

    def enqueue() -> None:
        from liuhen.media.av_tasks import av_upload_late_flag_task

        av_upload_late_flag_task.enqueue(record_id=instance.record_id)

    transaction.on_commit(enqueue, robust=True)
