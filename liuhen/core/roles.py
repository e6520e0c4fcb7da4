"""Roles and permissions: the vocabulary every app checks against (pure data, no ORM).

Business roles (officer, heads, legal reviewer, records keeper, supervisor) work on enforcement
data. The three administrators are separated (三员分立): the system administrator manages users and
settings but cannot read or alter the audit trail; the security administrator grants roles and
permissions; the audit administrator reads the audit trail only. Who holds which role is ``org``'s
business (``liuhen.org.rules`` adds the rules about combining roles); what a role may do is here, in
the kernel, so that the ledger and the policy profiles below ``org`` can ask it too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class Role:
    OFFICER = "officer"
    DEPARTMENT_HEAD = "department_head"
    AGENCY_HEAD = "agency_head"
    LEGAL_REVIEWER = "legal_reviewer"
    RECORDS_KEEPER = "records_keeper"
    SUPERVISOR = "supervisor"
    SYSTEM_ADMIN = "system_admin"
    SECURITY_ADMIN = "security_admin"
    AUDIT_ADMIN = "audit_admin"


ROLE_LABELS: dict[str, str] = {
    Role.OFFICER: "执法人员",
    Role.DEPARTMENT_HEAD: "科室负责人",
    Role.AGENCY_HEAD: "机关负责人",
    Role.LEGAL_REVIEWER: "法制审核人员",
    Role.RECORDS_KEEPER: "档案管理员",
    Role.SUPERVISOR: "监督人员",
    Role.SYSTEM_ADMIN: "系统管理员",
    Role.SECURITY_ADMIN: "安全保密管理员",
    Role.AUDIT_ADMIN: "安全审计员",
}
ALL_ROLES: tuple[str, ...] = tuple(ROLE_LABELS)
ADMIN_ROLES: frozenset[str] = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
BUSINESS_ROLES: frozenset[str] = frozenset(ALL_ROLES) - ADMIN_ROLES
# Roles that act on cases and therefore must be held by an officer with an enforcement certificate.
OFFICER_ROLES: frozenset[str] = frozenset({Role.OFFICER, Role.DEPARTMENT_HEAD, Role.AGENCY_HEAD})

# Permissions
P_POLICY_READ = "policy.read"
P_ORG_READ = "org.read"
P_USERS_MANAGE = "org.users.manage"  # create users, deactivate, reset passwords, edit officers
P_SETTINGS_MANAGE = "org.settings.manage"  # calendar table, agency settings
P_ROLES_ASSIGN = "org.roles.assign"  # grant and revoke roles, issue API tokens
P_AUDIT_READ = "audit.read"  # read the ledger / audit trail
P_CASES_WORK = "cases.work"  # handle enforcement cases (later issues refine this)
P_SUPERVISE = "supervision.read"
P_DEVICES_MANAGE = "devices.manage"  # register, assign, return, repair and retire recording devices
# Retention: see retention periods and holds; lengthen a record's retention; set and lift
# legal holds (冻结); propose disposal batches. Approving a batch is for the roles its profile names.
P_RETENTION_READ = "retention.read"
P_RETENTION_EXTEND = "retention.extend"
P_RETENTION_HOLD = "retention.hold"
P_DISPOSAL_PROPOSE = "retention.disposal.propose"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OFFICER: frozenset({P_POLICY_READ, P_CASES_WORK}),
    Role.DEPARTMENT_HEAD: frozenset({P_POLICY_READ, P_CASES_WORK, P_ORG_READ, P_DEVICES_MANAGE}),
    Role.AGENCY_HEAD: frozenset({P_POLICY_READ, P_CASES_WORK, P_ORG_READ, P_DEVICES_MANAGE}),
    Role.LEGAL_REVIEWER: frozenset({P_POLICY_READ, P_CASES_WORK}),
    Role.RECORDS_KEEPER: frozenset({P_POLICY_READ, P_CASES_WORK, P_DEVICES_MANAGE}),
    Role.SUPERVISOR: frozenset({P_POLICY_READ, P_SUPERVISE, P_ORG_READ}),
    Role.SYSTEM_ADMIN: frozenset({P_USERS_MANAGE, P_SETTINGS_MANAGE, P_ORG_READ, P_POLICY_READ}),
    Role.SECURITY_ADMIN: frozenset({P_ROLES_ASSIGN, P_ORG_READ}),
    Role.AUDIT_ADMIN: frozenset({P_AUDIT_READ}),
}


class HasRoles(Protocol):
    is_authenticated: bool
    is_active: bool

    @property
    def role_codes(self) -> frozenset[str]: ...


def permissions_for(roles: Iterable[str]) -> frozenset[str]:
    perms: set[str] = set()
    for role in roles:
        perms |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(perms)


def has_permission(user: HasRoles, perm: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return perm in permissions_for(user.role_codes)


def has_any_permission(user: HasRoles, *perms: str) -> bool:
    return any(has_permission(user, p) for p in perms)


# Retention grants, kept apart so the table above stays readable.
_RETENTION_GRANTS: dict[str, frozenset[str]] = {
    Role.OFFICER: frozenset({P_RETENTION_READ, P_RETENTION_EXTEND}),
    Role.DEPARTMENT_HEAD: frozenset({P_RETENTION_READ, P_RETENTION_EXTEND}),
    Role.AGENCY_HEAD: frozenset({P_RETENTION_READ, P_RETENTION_EXTEND, P_RETENTION_HOLD}),
    Role.LEGAL_REVIEWER: frozenset({P_RETENTION_READ, P_RETENTION_EXTEND, P_RETENTION_HOLD}),
    Role.RECORDS_KEEPER: frozenset({P_RETENTION_READ, P_RETENTION_EXTEND, P_DISPOSAL_PROPOSE}),
    Role.SUPERVISOR: frozenset({P_RETENTION_READ, P_RETENTION_HOLD}),
}
for _role, _perms in _RETENTION_GRANTS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _perms
