"""Who may read the audit trail, see checkpoints, export proofs and start verification (one rule each).

Clauses integ-audit-trail-traceability and 三员分立: the audit administrator reads the trail of their
own agency; checkpoints and the public key — sizes and hashes, which witnesses fetch without logging in
— are shown to the audit administrator, supervisors and the system and security administrators;
proofs are exported and verification runs started by the audit administrator and supervisors. Pages,
the API and the services ask this policy, so they cannot disagree.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from liuhen.core import roles
from liuhen.core.errors import DomainError, PermissionDenied
from liuhen.core.permissions import PermissionPolicy
from liuhen.ledger.models import Event

READERS: dict[str, tuple[tuple[str, ...], str]] = {
    # action: (permissions, any of which allows it; the refusal)
    "view": ((roles.P_AUDIT_READ,), "只有安全审计员可以查看审计日志"),
    "see_checkpoints": (
        (roles.P_AUDIT_READ, roles.P_SUPERVISE, roles.P_USERS_MANAGE, roles.P_ROLES_ASSIGN),
        "无权查看账本检查点和公钥（安全审计员、监督人员和系统、安全保密管理员可以查看）",
    ),
    "export_proof": ((roles.P_AUDIT_READ, roles.P_SUPERVISE), "只有安全审计员和监督人员可以导出账本证明"),
    "verify": ((roles.P_AUDIT_READ, roles.P_SUPERVISE), "只有安全审计员和监督人员可以发起或查看完整性核验"),
    "sign_checkpoint": ((roles.P_AUDIT_READ,), "只有安全审计员可以签署检查点"),
}


class LedgerPolicy(PermissionPolicy[Event]):
    kind = "ledger"
    label = "账本事件"
    model = Event
    actions = {
        "view": "查看审计日志",
        "see_checkpoints": "查看检查点和公钥",
        "export_proof": "导出存在性证明",
        "verify": "发起或查看完整性核验",
        "sign_checkpoint": "签署检查点",
    }
    not_found_code = "ledger_event_not_found"

    def rule(self, user: Any, action: str, obj: Event | None) -> DomainError | None:
        perms, refusal = READERS[action]
        if roles.has_any_permission(user, *perms):
            return None
        return PermissionDenied(refusal, code="permission_denied")

    def visible(self, user: Any) -> QuerySet[Event]:
        """The events of the user's agency, to whoever may read the trail."""
        if not self.user_can(user, "view"):
            return Event.objects.none()
        return Event.objects.filter(agency_id=user.agency_id)

    def in_agency(self, user: Any) -> QuerySet[Event]:
        # Events of the system itself (no agency) are part of every agency's trail of proofs.
        return Event.objects.filter(Q(agency_id=getattr(user, "agency_id", None)) | Q(agency_id__isnull=True))


ledger_policy = LedgerPolicy()
