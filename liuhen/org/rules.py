"""Roles and what each may do: pure rules, no ORM.

Business roles (officer, heads, legal reviewer, records keeper, supervisor) work on enforcement
data. The three administrators are separated (三员分立): the system administrator manages users and
settings but cannot read or alter the audit trail; the security administrator grants roles and
permissions; the audit administrator reads the audit trail only. One person never holds two of the
three, and none of the three holds a business role.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from liuhen.core.roles import (  # the vocabulary, re-exported: org's rules speak it
    ADMIN_ROLES,
    ALL_ROLES,
    BUSINESS_ROLES,
    OFFICER_ROLES,
    P_AUDIT_READ,
    P_CASES_WORK,
    P_DEVICES_MANAGE,
    P_DISPOSAL_PROPOSE,
    P_ORG_READ,
    P_POLICY_READ,
    P_RETENTION_EXTEND,
    P_RETENTION_HOLD,
    P_RETENTION_READ,
    P_ROLES_ASSIGN,
    P_SETTINGS_MANAGE,
    P_SUPERVISE,
    P_USERS_MANAGE,
    ROLE_LABELS,
    ROLE_PERMISSIONS,
    HasRoles,
    Role,
    has_any_permission,
    has_permission,
    permissions_for,
)


def role_conflict(existing: Iterable[str], new_role: str) -> str | None:
    """Why ``new_role`` cannot join ``existing`` (Chinese), or None when it can."""
    if new_role not in ROLE_LABELS:
        return f"未知角色：{new_role}"
    held = set(existing) - {new_role}
    if new_role in ADMIN_ROLES:
        if held & ADMIN_ROLES:
            other = ROLE_LABELS[sorted(held & ADMIN_ROLES)[0]]
            return f"三员分立：已担任{other}的用户不能再担任{ROLE_LABELS[new_role]}"
        if held & BUSINESS_ROLES:
            return f"三员分立：{ROLE_LABELS[new_role]}不能兼任业务角色"
    elif held & ADMIN_ROLES:
        admin = ROLE_LABELS[sorted(held & ADMIN_ROLES)[0]]
        return f"三员分立：{admin}不能兼任业务角色{ROLE_LABELS[new_role]}"
    return None


def token_holder_refusal(roles: Iterable[str]) -> str | None:
    """Why a user holding ``roles`` may not get an API token (Chinese), or None.

    Tokens are for machine clients (collection stations) acting as a business user; an administrator's
    powers must never be usable without a person logging in.
    """
    admin = set(roles) & ADMIN_ROLES
    if admin:
        return f"不能为{ROLE_LABELS[sorted(admin)[0]]}签发接口令牌；接口令牌只用于采集站等业务账号"
    return None


# How long before expiry a certificate is flagged as expiring. A display aid, not a legal deadline.
CERTIFICATE_WARNING_DAYS = 30


def certificate_status(valid_from: date, valid_until: date, today: date) -> str:
    """``not_yet_valid`` / ``expired`` / ``expiring`` (within CERTIFICATE_WARNING_DAYS) / ``valid``."""
    if today < valid_from:
        return "not_yet_valid"
    if today > valid_until:
        return "expired"
    if (valid_until - today).days <= CERTIFICATE_WARNING_DAYS:
        return "expiring"
    return "valid"


CERTIFICATE_STATUS_LABELS: dict[str, str] = {
    "not_yet_valid": "尚未生效",
    "expired": "已过期",
    "expiring": "即将过期",
    "valid": "有效",
}

__all__ = [
    "ADMIN_ROLES",
    "ALL_ROLES",
    "BUSINESS_ROLES",
    "CERTIFICATE_STATUS_LABELS",
    "CERTIFICATE_WARNING_DAYS",
    "OFFICER_ROLES",
    "P_AUDIT_READ",
    "P_CASES_WORK",
    "P_DEVICES_MANAGE",
    "P_DISPOSAL_PROPOSE",
    "P_ORG_READ",
    "P_POLICY_READ",
    "P_RETENTION_EXTEND",
    "P_RETENTION_HOLD",
    "P_RETENTION_READ",
    "P_ROLES_ASSIGN",
    "P_SETTINGS_MANAGE",
    "P_SUPERVISE",
    "P_USERS_MANAGE",
    "ROLE_LABELS",
    "ROLE_PERMISSIONS",
    "HasRoles",
    "Role",
    "certificate_status",
    "has_any_permission",
    "has_permission",
    "permissions_for",
    "role_conflict",
    "token_holder_refusal",
]
