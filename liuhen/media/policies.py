"""Who may see and do what in the media app: one permission policy per protected kind (clauses access-*,
三员分立), built on ``liuhen.core.permissions``. Services, selectors, pages, the API, the tus endpoints
and templates ask these objects; nothing else in the app decides.

- :data:`av_record_policy` (音像记录): a record tied to a case is seen by whoever sees the case; one with no
  case by its uploader and by the agency's roles that see every case. ``capture`` (enter or correct its
  capture metadata, link it to a case, put it in a session, name it as fixed-camera coverage) is for
  case workers who see it.
- :data:`upload_policy` (上传任务): an upload in flight is its uploader's alone; another user's is not found.
  ``create`` and ``resume`` (tus HEAD, PATCH, DELETE) are for case workers; ``view`` (which record an
  upload became) for those who see AV records.
- :data:`av_session_policy` (录制场次): seen by those who see AV records in the agency; ``edit`` (add segments,
  note interruptions) for case workers.
- :data:`away_period_policy` (异地或连续工作申报): one's own; a department head's department, an agency head's
  agency. ``declare``: officers, for themselves.
- :data:`av_exemption_policy` (未音像记录书面说明): ``approve`` is for a department or agency head.

For every kind: an object of another agency, or one the user may not see, is ``404``; a role that
never sees AV records (the three administrators) gets ``403 admin_business_forbidden``; a known object
the user may not act on, ``403`` with the kind's code.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from liuhen.cases.selectors import SEE_ALL_ROLES, cases_visible
from liuhen.core.errors import DomainError
from liuhen.core.permissions import PermissionPolicy
from liuhen.media.errors import (
    AvForbidden,
    AwayPeriodNotFound,
    MediaRecordNotFound,
    SessionNotFound,
    UploadForbidden,
    UploadNotFound,
)
from liuhen.media.models import AvExemption, AwayPeriod, CaptureMetadata, MediaRecord, RecordingSession, Upload
from liuhen.org import rules
from liuhen.org.access import business_refusal
from liuhen.org.rules import Role

AV_READ = (rules.P_CASES_WORK, rules.P_SUPERVISE)  # who may see AV records at all
HEAD_ROLES = (Role.AGENCY_HEAD, Role.DEPARTMENT_HEAD)


def _reader_refusal(user: Any) -> DomainError | None:
    return business_refusal(user, *AV_READ, what="音像记录")


def _worker(user: Any) -> bool:
    return bool(getattr(user, "agency_id", None)) and rules.has_permission(user, rules.P_CASES_WORK)


def agency_wide_head(user: Any) -> bool:
    """An agency head, or a department head outside any department (as with cases): the agency's, not a
    department's, are theirs to see and follow up."""
    roles = getattr(user, "role_codes", frozenset())
    return Role.AGENCY_HEAD in roles or (Role.DEPARTMENT_HEAD in roles and not user.department_id)


class AvRecordPolicy(PermissionPolicy[MediaRecord]):
    kind = "av_record"
    label = "音像记录"
    model = MediaRecord
    actions = {"view": "查看", "capture": "填写采集信息或关联案件"}
    not_found = MediaRecordNotFound
    not_found_code = MediaRecordNotFound.code

    def rule(self, user: Any, action: str, obj: MediaRecord | None) -> DomainError | None:
        if (refused := _reader_refusal(user)) is not None:
            return refused
        if action == "capture" and not _worker(user):
            return AvForbidden("只有执法人员可以填写音像记录信息")
        if obj is not None and not self.visible(user).filter(pk=obj.pk).exists():
            return self.missing(id=obj.pk)
        return None

    def visible(self, user: Any) -> QuerySet[MediaRecord]:
        if not self.user_can(user, "view"):
            return MediaRecord.objects.none()
        qs = self.in_agency(user).select_related("probe", "case")
        if user.role_codes & SEE_ALL_ROLES:
            return qs
        # A record not linked to a case: its uploader's, the officer whose camera made it, and the
        # department head's of the uploader's department (an agency-wide head sees all, as above).
        own = Q(uploaded_by=user) | Q(pk__in=CaptureMetadata.objects.filter(camera_officer=user).values("record_id"))
        if Role.DEPARTMENT_HEAD in user.role_codes:
            own |= Q(uploaded_by__department_id=user.department_id) if user.department_id else Q(pk__isnull=False)
        return qs.filter(Q(case__in=cases_visible(user)) | (Q(case__isnull=True) & own))


class UploadPolicy(PermissionPolicy[Upload]):
    kind = "upload"
    label = "上传任务"
    model = Upload
    actions = {"create": "上传音像记录", "view": "查看上传任务", "resume": "续传或取消上传"}
    not_found = UploadNotFound
    not_found_code = UploadNotFound.code

    def rule(self, user: Any, action: str, obj: Upload | None) -> DomainError | None:
        if (refused := _reader_refusal(user)) is not None:
            return refused
        if action != "view" and not _worker(user):
            return UploadForbidden()
        if obj is not None and obj.user_id != user.pk:
            return self.missing(id=obj.pk)
        return None

    def visible(self, user: Any) -> QuerySet[Upload]:
        if not self.user_can(user, "view"):
            return Upload.objects.none()
        return self.in_agency(user).filter(user=user)


class AvSessionPolicy(PermissionPolicy[RecordingSession]):
    kind = "av_session"
    label = "录制场次"
    model = RecordingSession
    actions = {"view": "查看", "edit": "整理"}
    not_found = SessionNotFound
    not_found_code = SessionNotFound.code

    def rule(self, user: Any, action: str, obj: RecordingSession | None) -> DomainError | None:
        if (refused := _reader_refusal(user)) is not None:
            return refused
        if action == "edit" and not _worker(user):
            return AvForbidden("只有执法人员可以整理录制场次")
        if obj is not None and obj.agency_id != user.agency_id:
            return self.missing(id=obj.pk)
        return None

    def visible(self, user: Any) -> QuerySet[RecordingSession]:
        return self.in_agency(user) if self.user_can(user, "view") else RecordingSession.objects.none()


class AwayPeriodPolicy(PermissionPolicy[AwayPeriod]):
    kind = "av_away"
    label = "异地或连续工作申报"
    model = AwayPeriod
    actions = {"view": "查看", "declare": "申报"}
    not_found = AwayPeriodNotFound
    not_found_code = AwayPeriodNotFound.code

    def rule(self, user: Any, action: str, obj: AwayPeriod | None) -> DomainError | None:
        if (refused := _reader_refusal(user)) is not None:
            return refused
        if action == "declare" and not (user.officer_id or Role.OFFICER in user.role_codes):
            return AvForbidden("只有执法人员可以申报异地或连续工作", code="av_away_not_officer")
        if obj is not None and not self.visible(user).filter(pk=obj.pk).exists():
            return self.missing(id=obj.pk)
        return None

    def visible(self, user: Any) -> QuerySet[AwayPeriod]:
        if not self.user_can(user, "view"):
            return AwayPeriod.objects.none()
        qs = self.in_agency(user).select_related("officer")
        if agency_wide_head(user):
            return qs
        if Role.DEPARTMENT_HEAD in user.role_codes:
            return qs.filter(Q(officer=user) | Q(officer__department_id=user.department_id))
        return qs.filter(officer=user)


class AvExemptionPolicy(PermissionPolicy[AvExemption]):
    kind = "av_exemption"
    label = "未音像记录书面说明"
    model = AvExemption
    actions = {"view": "查看", "approve": "批准"}
    agency_field = "case__agency_id"

    def rule(self, user: Any, action: str, obj: AvExemption | None) -> DomainError | None:
        if (refused := _reader_refusal(user)) is not None:
            return refused
        if action == "approve" and self.approver_role(user) is None:
            return AvForbidden("只有科室负责人或机关负责人可以批准未音像记录的书面说明", code="av_exemption_not_head")
        if obj is not None and not self.visible(user).filter(pk=obj.pk).exists():
            return self.missing(id=obj.pk)
        return None

    def visible(self, user: Any) -> QuerySet[AvExemption]:
        if not self.user_can(user, "view"):
            return AvExemption.objects.none()
        return AvExemption.objects.filter(case__in=cases_visible(user))

    @staticmethod
    def approver_role(user: Any) -> str | None:
        """The head role the user approves in (recorded with the approval), None for anyone else."""
        roles = getattr(user, "role_codes", frozenset())
        return next((r for r in HEAD_ROLES if r in roles), None)


av_record_policy = AvRecordPolicy()
upload_policy = UploadPolicy()
av_session_policy = AvSessionPolicy()
away_period_policy = AwayPeriodPolicy()
av_exemption_policy = AvExemptionPolicy()
