"""Who may see and do what with leads (案源) and cases: one permission policy per kind
(``liuhen.core.permissions``), asked by the services, selectors, pages, API and navigation alike.

Clauses src-case-source-register (the complainant's or informant's identity is protected),
doc-internal-approval (approval within one's authority) and 三员分立.

- **Leads** are seen and worked by the agency's case workers (permission ``cases.work``), and so is the
  protected identity of a complainant or informant (``view_identity``); no other role sees them.
  Deciding not to file a lead is for a department head or the agency head.
- **Cases** are seen by their handlers, the head of their department (a department head with no
  department: every case of the agency) and the roles that see every case of the agency (agency head,
  legal reviewers, records keepers, supervisors). A case is handled — its steps, documents and
  deliveries — by its handlers, their department head and the agency head. An approval act
  (``approve:<kind>``) is for the roles the case's profile names for that kind (``approvals``).

Another agency's lead or case is "not found", and so is a case of the user's own agency that the user
does not see; a role that never sees them (the three administrators) is refused with a code.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from liuhen.cases.errors import CaseForbidden, CaseNotFound, SourceNotFound
from liuhen.cases.models import Case, CaseSource
from liuhen.cases.profiles import profile_of
from liuhen.core.errors import DomainError
from liuhen.core.permissions import PermissionPolicy
from liuhen.core.roles import P_CASES_WORK, P_SUPERVISE, Role, has_any_permission, has_permission
from liuhen.org.access import business_refusal
from liuhen.policy.schema import APPROVAL_KINDS

# Roles that see every case of their agency.
SEE_ALL_ROLES = frozenset({Role.AGENCY_HEAD, Role.LEGAL_REVIEWER, Role.RECORDS_KEEPER, Role.SUPERVISOR})
# Roles that decide on leads and act on every case of their department or agency.
HEAD_ROLES = frozenset({Role.DEPARTMENT_HEAD, Role.AGENCY_HEAD})
CASE_READ = (P_CASES_WORK, P_SUPERVISE)  # who may see cases at all


def _worker_refusal(user: Any, agency_id: int | None) -> DomainError | None:
    if not has_permission(user, P_CASES_WORK):
        return CaseForbidden("只有执法人员和审批人员可以办理案件", code="case_forbidden")
    if agency_id is not None and user.agency_id != agency_id:
        return CaseForbidden("不能办理其他机关的案件", code="case_other_agency")
    return None


class LeadPolicy(PermissionPolicy[CaseSource]):
    kind = "lead"
    label = "案源"
    model = CaseSource
    actions = {
        "view": "查看",
        "view_identity": "查看投诉人、举报人身份",
        "register": "登记",
        "work": "办理",  # open a case from it, refer it, record a notice
        "not_file": "决定不予立案",
    }
    not_found = SourceNotFound
    not_found_code = SourceNotFound.code

    def visible(self, user: Any) -> QuerySet[CaseSource]:
        if not has_permission(user, P_CASES_WORK):
            return CaseSource.objects.none()
        return CaseSource.objects.filter(agency_id=user.agency_id)

    def rule(self, user: Any, action: str, obj: CaseSource | None) -> DomainError | None:
        if action in ("view", "view_identity"):
            refused = business_refusal(user, P_CASES_WORK, what="案源")
            if refused is None and obj is not None and obj.agency_id != user.agency_id:
                return self.missing()
            return refused
        refused = _worker_refusal(user, obj.agency_id if obj is not None else None)
        if refused is None and action == "not_file" and not user.role_codes & HEAD_ROLES:
            return CaseForbidden("不予立案须由科室负责人或机关负责人决定", code="not_filing_needs_head")
        return refused


class CasePolicy(PermissionPolicy[Case]):
    kind = "case"
    label = "案件"
    model = Case
    actions = {
        "list": "查看案件",
        "view": "查看",
        "open": "启动案件",
        "work": "办理",  # as a case worker of its agency: acknowledgements, AV, the acts of others' roles
        "handle": "承办",  # its steps, documents and deliveries
        **{f"approve:{kind}": f"作出{label}" for kind, label in APPROVAL_KINDS.items()},
    }
    not_found = CaseNotFound
    not_found_code = CaseNotFound.code

    def visible(self, user: Any) -> QuerySet[Case]:
        if not has_any_permission(user, *CASE_READ):
            return Case.objects.none()
        qs = Case.objects.filter(agency_id=user.agency_id)
        roles = user.role_codes
        if roles & SEE_ALL_ROLES:
            return qs
        mine = Q(handlers=user)
        if Role.DEPARTMENT_HEAD in roles:
            mine |= Q(department_id=user.department_id) if user.department_id else Q(pk__isnull=False)
        return qs.filter(mine).distinct()

    def sees(self, user: Any, case: Case) -> bool:
        """``visible`` for one case, without listing them."""
        if case.agency_id != user.agency_id or not has_any_permission(user, *CASE_READ):
            return False
        roles = user.role_codes
        if roles & SEE_ALL_ROLES:
            return True
        if Role.DEPARTMENT_HEAD in roles and (not user.department_id or case.department_id == user.department_id):
            return True
        return case.handlers.filter(pk=user.pk).exists()

    def handles(self, user: Any, case: Case) -> bool:
        """Handlers act on the case; their department head and the agency head may too."""
        roles = user.role_codes
        if Role.AGENCY_HEAD in roles:
            return True
        if Role.DEPARTMENT_HEAD in roles and (case.department_id is None or user.department_id == case.department_id):
            return True
        return case.handlers.filter(pk=user.pk).exists()

    def rule(self, user: Any, action: str, obj: Case | None) -> DomainError | None:
        if action in ("list", "view"):
            refused = business_refusal(user, *CASE_READ, what="案件")
            if refused is None and obj is not None and not self.sees(user, obj):
                return self.missing()
            return refused
        refused = _worker_refusal(user, obj.agency_id if obj is not None else None)
        if refused is not None or obj is None or action in ("open", "work"):
            return refused
        if action == "handle":
            if self.handles(user, obj):
                return None
            return CaseForbidden("只有本案承办人及其负责人可以办理此操作", code="case_not_handler")
        kind = action.removeprefix("approve:")
        rule = profile_of(obj).approvals.get(kind)
        if rule is not None and set(rule.roles) & user.role_codes:
            return None
        return CaseForbidden(
            f"您的角色不能作出{APPROVAL_KINDS[kind]}（超出审批权限）", code="approval_outside_authority"
        )


lead_policy = LeadPolicy()
case_policy = CasePolicy()
