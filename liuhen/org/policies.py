"""Who administers an agency's accounts: one permission policy (``liuhen.core.permissions``) for users,
departments and officers, asked by the org services, pages and API.

三员分立 (clause sec-three-admins): the system administrator (``org.users.manage``) creates and locks
accounts, departments and officers; the security administrator (``org.roles.assign``) grants and
revokes roles and issues API tokens. Neither does the other's part, and neither handles cases.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from liuhen.core.errors import DomainError
from liuhen.core.permissions import PermissionPolicy
from liuhen.org import rules
from liuhen.org.errors import PermissionDenied
from liuhen.org.models import User

ORG_VIEW_PERMISSIONS = (rules.P_USERS_MANAGE, rules.P_ROLES_ASSIGN, rules.P_ORG_READ)

NEEDS: dict[str, tuple[tuple[str, ...], str]] = {
    # action: (permissions, any of which allows it; the refusal naming who does it)
    "view": (
        ORG_VIEW_PERMISSIONS,
        "您的角色无权访问组织与用户管理（系统管理员、安全保密管理员和有组织查看权限的人员可以查看）",
    ),
    "manage": ((rules.P_USERS_MANAGE,), "只有系统管理员可以管理科室、执法人员和用户账号（需要权限 org.users.manage）"),
    "assign_roles": (
        (rules.P_ROLES_ASSIGN,),
        "只有安全保密管理员可以授予或撤销角色、签发接口令牌（需要权限 org.roles.assign）",
    ),
}


class AccountPolicy(PermissionPolicy[User]):
    kind = "account"
    label = "用户"
    model = User
    actions = {"view": "查看组织与用户", "manage": "管理用户、科室和执法人员", "assign_roles": "分配角色和签发接口令牌"}

    def rule(self, user: Any, action: str, obj: User | None) -> DomainError | None:
        perms, refusal = NEEDS[action]
        if not rules.has_any_permission(user, *perms):
            return PermissionDenied(refusal)
        if obj is not None and obj.agency_id != user.agency_id:
            return self.missing(id=obj.pk)
        return None

    def visible(self, user: Any) -> QuerySet[User]:
        return self.in_agency(user) if self.user_can(user, "view") else User.objects.none()


account_policy = AccountPolicy()
