"""Background work of AV continuity: flag late uploads on their cases (time-av-upload-2wd)."""

from __future__ import annotations

from django_tasks import task

from liuhen.media import deadlines
from liuhen.media.models import MediaRecord


@task()
def av_upload_late_flag_task(*, record_id: int) -> bool:
    rec = MediaRecord.objects.filter(pk=record_id).first()
    return deadlines.av_upload_late_flag(record=rec) if rec is not None else False


@task()
def late_uploads_flag_task() -> int:
    return deadlines.late_uploads_flag()
