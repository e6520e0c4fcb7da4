"""Who may use a kind of enforcement data at all, as a refusal with a stable code (clauses access-*,
三员分立).

Selectors ask :func:`require_business` before listing a protected kind, and when an object of the
user's own agency is not visible to them: a role that may not use the kind gets ``403`` with a code
(``admin_business_forbidden`` for the three administrators, who never read or handle enforcement data;
``role_not_permitted`` for a business role without the permission), while an object of another
agency, or one that does not exist, stays ``404``. Pure role logic lives in ``liuhen.org.rules``.
"""

from __future__ import annotations

from typing import Any

from liuhen.org import rules
from liuhen.org.errors import BusinessDataForbidden, RoleNotPermitted


def business_refusal(user: Any, *perms: str, what: str) -> BusinessDataForbidden | RoleNotPermitted | None:
    """Why ``user`` may not use ``what`` (a kind of enforcement data) at all, or None when a role of
    theirs carries one of ``perms``."""
    if rules.has_any_permission(user, *perms):
        return None
    roles = getattr(user, "role_codes", frozenset()) if getattr(user, "is_authenticated", False) else frozenset()
    admin = sorted(roles & rules.ADMIN_ROLES)
    if admin:
        return BusinessDataForbidden(
            f"三员分立：{rules.ROLE_LABELS[admin[0]]}不查看、不办理执法业务数据（{what}）；请由本机关的业务人员办理",
            what=what,
        )
    held = "、".join(rules.ROLE_LABELS[r] for r in sorted(roles, key=rules.ALL_ROLES.index)) or "没有角色的用户"
    return RoleNotPermitted(f"{held}无权查看或办理{what}；如确需办理，请安全保密管理员授予相应角色", what=what)


def require_business(user: Any, *perms: str, what: str) -> None:
    """Raise the refusal of :func:`business_refusal`, if any."""
    if (refusal := business_refusal(user, *perms, what=what)) is not None:
        raise refusal
