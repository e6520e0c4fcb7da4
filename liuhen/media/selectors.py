"""Reads of the media app, filtered by who may see what (clauses access-* by construction); the pages
(``liuhen.media.player``) and the API ask the same rule."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from liuhen.cases.selectors import SEE_ALL_ROLES, cases_visible
from liuhen.media.errors import MediaRecordNotFound, UploadNotFound
from liuhen.media.models import DockingReport, MediaProbe, MediaRecord, Upload
from liuhen.org import rules as org_rules
from liuhen.org.access import require_business

AV_READ = (org_rules.P_CASES_WORK, org_rules.P_SUPERVISE)  # who may see AV records at all


def require_reader(user: Any) -> None:
    """403 for a role that never sees AV records (the three administrators, 三员分立)."""
    require_business(user, *AV_READ, what="音像记录")


def media_records_visible(*, user: Any) -> QuerySet[MediaRecord]:
    """The records ``user`` may see, for pages and API alike: a record tied to a case is seen by whoever
    sees the case; one with no case by its uploader and by the agency's roles that see every case."""
    agency_id = getattr(user, "agency_id", None)
    if not agency_id or not org_rules.has_any_permission(user, *AV_READ):
        return MediaRecord.objects.none()
    qs = MediaRecord.objects.filter(agency_id=agency_id).select_related("probe", "case")
    if user.role_codes & SEE_ALL_ROLES:
        return qs
    return qs.filter(Q(case__in=cases_visible(user)) | Q(case__isnull=True, uploaded_by=user))


def media_record_list(*, user: Any) -> QuerySet[MediaRecord]:
    """The records the user sees; refused (403) to a role that never sees AV records."""
    require_reader(user)
    return media_records_visible(user=user)


def media_record_get(*, user: Any, record_id: int) -> MediaRecord:
    rec = media_records_visible(user=user).filter(pk=record_id).first()
    if rec is None:
        if MediaRecord.objects.filter(pk=record_id, agency_id=getattr(user, "agency_id", None)).exists():
            require_reader(user)
        raise MediaRecordNotFound()
    return rec


def media_record_by_upload(*, user: Any, upload_id: str) -> tuple[Upload, MediaRecord | None]:
    """An upload is its uploader's alone (another user's is not found); refused to a role that never uploads."""
    upload = Upload.objects.filter(pk=upload_id, agency_id=getattr(user, "agency_id", None)).first()
    if upload is None:
        raise UploadNotFound()
    require_reader(user)
    if upload.user_id != getattr(user, "pk", None):
        raise UploadNotFound()
    return upload, (MediaRecord.objects.filter(pk=upload.record_id).first() if upload.record_id else None)


def media_record_flags(rec: MediaRecord) -> list[str]:
    """The record's ingest flags plus the prober's, once it has run."""
    probe = MediaProbe.objects.filter(record=rec).first()
    return sorted(set(rec.flags) | set(probe.flags if probe else []))


def docking_reports_for(*, user: Any, device_serial: str | None = None) -> QuerySet[DockingReport]:
    qs = DockingReport.objects.filter(agency_id=getattr(user, "agency_id", None))
    return qs.filter(device_serial=device_serial) if device_serial else qs
