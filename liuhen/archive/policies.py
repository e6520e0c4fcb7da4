"""Who may see and do what in the archive: one permission policy per protected kind.

Every service, selector, page, endpoint, template and navigation item of the archive asks these
(``liuhen.core.permissions``): another agency's object is not found (404), a known object the user may
not act on is refused (403) with a stable code, and the three administrators never read or handle the
archive's business data (三员分立, ``admin_business_forbidden``).

- ``case_file_policy`` (案卷): seen by whoever sees its case — ``cases.policies.case_policy``, not a
  second rule; assembled (组卷) by who handles the case (its handlers, their department head, the
  agency head) and the records keeper; archived (归档) by the records keeper.
- ``evidence_disc_policy`` (证据光盘): seen by whoever sees its case; requested and its image
  downloaded by the records keeper of the case's agency; the statement read by whoever sees the disc.
- ``retention_record_policy`` (a stored record's 保管期限): read with ``retention.read``, lengthened
  with ``retention.extend``.
- ``legal_hold_policy`` (冻结): set and lifted with ``retention.hold``.
- ``disposal_batch_policy`` (销毁批次): read with ``retention.read``, proposed with
  ``retention.disposal.propose``, approved or declined by the roles the agency's profile names (never
  the proposer), run by a proposer's role or the approver.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from liuhen.archive.casefiles.errors import CaseFileForbidden
from liuhen.archive.discs.errors import DiscNotAllowed, DiscNotFound
from liuhen.archive.models import CaseFile, DisposalBatch, EvidenceDisc, LegalHold, RetentionAssignment
from liuhen.archive.retention.errors import DisposalSelfApproval
from liuhen.cases.policies import CASE_READ, case_policy
from liuhen.core.errors import DomainError, PermissionDenied
from liuhen.core.permissions import PermissionPolicy
from liuhen.org import rules as org_rules
from liuhen.org.access import business_refusal
from liuhen.org.errors import BusinessDataForbidden
from liuhen.org.rules import Role

#: Whose work list the archiving queue is (the navigation offers it to them; a handler reaches his case
#: files from the case page).
QUEUE_ROLES = frozenset({Role.RECORDS_KEEPER, Role.DEPARTMENT_HEAD, Role.AGENCY_HEAD})
#: Who approves disposal when a batch names no role (profiles name one: ``retention.disposal.approvers``).
DEFAULT_DISPOSAL_APPROVERS = (Role.AGENCY_HEAD,)


def _roles(user: Any) -> frozenset[str]:
    return frozenset(getattr(user, "role_codes", frozenset()))


def _lacking(user: Any, *perms: str, what: str, denied: DomainError) -> DomainError | None:
    """None when a role of the user carries one of ``perms``; otherwise the administrators' refusal
    (三员分立) for them and ``denied`` for every other role."""
    refusal = business_refusal(user, *perms, what=what)
    if refusal is None:
        return None
    return refusal if isinstance(refusal, BusinessDataForbidden) else denied


# ---------------------------------------------------------------- case files (案卷)


class CaseFilePolicy(PermissionPolicy[CaseFile]):
    kind = "case_file"
    label = "案卷"
    model = CaseFile
    actions = {"view": "查看", "assemble": "组卷", "archive": "归档", "queue": "办理立卷归档队列"}
    not_found_code = "case_file_not_found"

    def visible(self, user: Any) -> QuerySet[CaseFile]:
        """The case files of the cases the user sees (``case_policy``: one rule for both)."""
        return CaseFile.objects.filter(case__in=case_policy.visible(user)).select_related("case", "agency")

    def in_agency(self, user: Any) -> QuerySet[CaseFile]:
        return super().in_agency(user).select_related("case", "agency")

    def rule(self, user: Any, action: str, obj: CaseFile | None) -> DomainError | None:
        refused = business_refusal(user, *CASE_READ, what="案卷")
        if refused is not None:
            return refused
        roles = _roles(user)
        if action == "queue":
            if roles & QUEUE_ROLES:
                return None
            return PermissionDenied(
                "立卷归档队列供档案管理员和负责人使用；承办人从案件页进入本案案卷", code="case_file_queue_not_offered"
            )
        if action == "archive" and Role.RECORDS_KEEPER not in roles and obj is None:
            return CaseFileForbidden("只有档案管理员可以检查归档", code="case_file_not_records_keeper")
        if obj is None:
            return None
        if obj.agency_id != getattr(user, "agency_id", None):
            if action == "view":
                return self.missing(id=str(obj.pk))
            what = "归档本机关的案卷" if action == "archive" else "为本机关的案件立卷"
            return CaseFileForbidden(f"其他机关的人员不能{what}", code="case_file_other_agency")
        if not case_policy.sees(user, obj.case):
            return self.missing(id=str(obj.pk))
        if action == "assemble" and not (Role.RECORDS_KEEPER in roles or case_policy.handles(user, obj.case)):
            return CaseFileForbidden("只有本案承办人、其负责人和档案管理员可以组卷", code="case_file_not_assembler")
        if action == "archive" and Role.RECORDS_KEEPER not in roles:
            return CaseFileForbidden("只有档案管理员可以检查归档", code="case_file_not_records_keeper")
        return None


case_file_policy = CaseFilePolicy()


# ---------------------------------------------------------------- evidence discs (证据光盘)


class EvidenceDiscPolicy(PermissionPolicy[EvidenceDisc]):
    kind = "evidence_disc"
    label = "证据光盘"
    model = EvidenceDisc
    actions = {"view": "查看", "request": "刻制", "download_image": "下载光盘镜像"}
    not_found = DiscNotFound
    not_found_code = DiscNotFound.code

    def visible(self, user: Any) -> QuerySet[EvidenceDisc]:
        """The discs of the cases the user sees."""
        return EvidenceDisc.objects.filter(case__in=case_policy.visible(user)).select_related("case", "requested_by")

    def in_agency(self, user: Any) -> QuerySet[EvidenceDisc]:
        return super().in_agency(user).select_related("case", "requested_by")

    def rule(self, user: Any, action: str, obj: EvidenceDisc | None) -> DomainError | None:
        refused = business_refusal(user, *CASE_READ, what="证据光盘")
        if refused is not None:
            return refused
        if obj is not None and obj.agency_id != getattr(user, "agency_id", None):
            if action == "request":
                return DiscNotAllowed("只有本案所属机关的档案管理员可以刻制证据光盘", code="disc_other_agency")
            return self.missing(id=str(obj.pk))
        if obj is not None and not case_policy.sees(user, obj.case):
            return self.missing(id=str(obj.pk))
        if action != "view" and Role.RECORDS_KEEPER not in _roles(user):
            if action == "download_image":
                return DiscNotAllowed("只有本机关的档案管理员可以下载证据光盘镜像", code="disc_download_refused")
            return DiscNotAllowed()
        return None

    def for_case(self, case: Any) -> EvidenceDisc:
        """A disc of ``case`` not yet requested (unsaved): what ``request`` is asked about."""
        return EvidenceDisc(case=case, agency_id=case.agency_id)


evidence_disc_policy = EvidenceDiscPolicy()


# ---------------------------------------------------------------- retention (保管期限), holds, disposal


def _retention_reader_refusal(user: Any) -> DomainError | None:
    return _lacking(
        user,
        org_rules.P_RETENTION_READ,
        what="保管期限与销毁",
        denied=PermissionDenied("无权查看保管期限与销毁", code="retention_read_forbidden"),
    )


def _retention_visible(model: Any, user: Any) -> QuerySet[Any]:
    if not org_rules.has_permission(user, org_rules.P_RETENTION_READ):
        return model.objects.none()
    return model.objects.filter(agency_id=user.agency_id)


class RetentionRecordPolicy(PermissionPolicy[RetentionAssignment]):
    """A stored record's retention. The object asked about is the record as retention sees it (a
    ``retention.records.RecordRef``) or one of its ``RetentionAssignment`` rows: both name the agency."""

    kind = "retention_record"
    label = "记录"
    model = RetentionAssignment
    actions = {"view": "查看保管期限", "extend": "延长保管期限"}
    not_found_code = "retention_object_not_found"

    def visible(self, user: Any) -> QuerySet[RetentionAssignment]:
        return _retention_visible(RetentionAssignment, user)

    def rule(self, user: Any, action: str, obj: Any) -> DomainError | None:
        refused = _retention_reader_refusal(user)
        if refused is not None:
            return refused
        if obj is not None and obj.agency_id != getattr(user, "agency_id", None):
            return self.missing()
        if action == "extend" and not org_rules.has_permission(user, org_rules.P_RETENTION_EXTEND):
            return PermissionDenied("无权延长保管期限", code="retention_extend_forbidden")
        return None


retention_record_policy = RetentionRecordPolicy()


class LegalHoldPolicy(PermissionPolicy[LegalHold]):
    """Holds (冻结). ``set`` is asked about the hold to be set (unsaved, naming its agency)."""

    kind = "legal_hold"
    label = "冻结"
    model = LegalHold
    actions = {"view": "查看", "set": "设置冻结", "release": "解除冻结"}
    not_found_code = "hold_not_found"

    def visible(self, user: Any) -> QuerySet[LegalHold]:
        return _retention_visible(LegalHold, user)

    def rule(self, user: Any, action: str, obj: LegalHold | None) -> DomainError | None:
        refused = _retention_reader_refusal(user)
        if refused is not None:
            return refused
        if obj is not None and obj.agency_id != getattr(user, "agency_id", None):
            return retention_record_policy.missing() if action == "set" else self.missing()
        if action != "view" and not org_rules.has_permission(user, org_rules.P_RETENTION_HOLD):
            return PermissionDenied(
                "无权设置或解除冻结（机关负责人、法制审核人员或监督人员可以）", code="hold_forbidden"
            )
        return None


legal_hold_policy = LegalHoldPolicy()


class DisposalBatchPolicy(PermissionPolicy[DisposalBatch]):
    kind = "disposal_batch"
    label = "销毁批次"
    model = DisposalBatch
    actions = {"view": "查看", "propose": "提出销毁", "approve": "批准销毁", "decline": "不批准销毁", "run": "执行销毁"}
    not_found_code = "disposal_batch_not_found"

    def visible(self, user: Any) -> QuerySet[DisposalBatch]:
        return _retention_visible(DisposalBatch, user).select_related("proposed_by", "approved_by")

    @staticmethod
    def approvers(batch: DisposalBatch) -> list[str]:
        """The roles that may approve ``batch``: those its agency's profile named when it was proposed."""
        return sorted(set(batch.approval_role.split(",")) if batch.approval_role else DEFAULT_DISPOSAL_APPROVERS)

    def rule(self, user: Any, action: str, obj: DisposalBatch | None) -> DomainError | None:
        refused = _retention_reader_refusal(user)
        if refused is not None:
            return refused
        if obj is not None and obj.agency_id != getattr(user, "agency_id", None):
            return self.missing()
        if action == "propose":
            if org_rules.has_permission(user, org_rules.P_DISPOSAL_PROPOSE):
                return None
            return PermissionDenied("只有档案管理员可以提出销毁", code="disposal_propose_forbidden")
        if action in ("approve", "decline") and obj is not None:
            roles = self.approvers(obj)
            if not set(roles) & _roles(user):
                return PermissionDenied(
                    "只有执法规则配置规定的审批人可以批准销毁", code="disposal_approve_forbidden", roles=roles
                )
            if user.pk == obj.proposed_by_id:
                return DisposalSelfApproval()
        if action == "run" and obj is not None:
            may_run = org_rules.has_permission(user, org_rules.P_DISPOSAL_PROPOSE) or user.pk == obj.approved_by_id
            if not may_run:
                return PermissionDenied("无权执行销毁", code="disposal_run_forbidden")
        return None


disposal_batch_policy = DisposalBatchPolicy()
