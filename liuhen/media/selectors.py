"""Reads of the media app, filtered by the reader's agency (clause access-* by construction)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from liuhen.media.errors import MediaRecordNotFound, UploadNotFound
from liuhen.media.models import DockingReport, MediaProbe, MediaRecord, Upload


def media_records_visible(*, user: Any) -> QuerySet[MediaRecord]:
    agency_id = getattr(user, "agency_id", None)
    if not agency_id:
        return MediaRecord.objects.none()
    return MediaRecord.objects.filter(agency_id=agency_id).select_related("probe", "case")


def media_record_get(*, user: Any, record_id: int) -> MediaRecord:
    rec = media_records_visible(user=user).filter(pk=record_id).first()
    if rec is None:
        raise MediaRecordNotFound()
    return rec


def media_record_by_upload(*, user: Any, upload_id: str) -> tuple[Upload, MediaRecord | None]:
    upload = Upload.objects.filter(pk=upload_id, agency_id=getattr(user, "agency_id", None), user=user).first()
    if upload is None:
        raise UploadNotFound()
    return upload, (MediaRecord.objects.filter(pk=upload.record_id).first() if upload.record_id else None)


def media_record_flags(rec: MediaRecord) -> list[str]:
    """The record's ingest flags plus the prober's, once it has run."""
    probe = MediaProbe.objects.filter(record=rec).first()
    return sorted(set(rec.flags) | set(probe.flags if probe else []))


def docking_reports_for(*, user: Any, device_serial: str | None = None) -> QuerySet[DockingReport]:
    qs = DockingReport.objects.filter(agency_id=getattr(user, "agency_id", None))
    return qs.filter(device_serial=device_serial) if device_serial else qs
