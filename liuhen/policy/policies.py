"""Who may read the regulation profiles and who maintains the working-day calendar: one permission
policy per kind (``liuhen.core.permissions``), asked by the selectors, services, pages and API.

- ``profile_policy`` (执法规则配置): read by every role that carries ``policy.read``. Profiles are the
  deployment's, not one agency's: an unknown id is "not found" for everyone before the role is asked.
- ``calendar_policy`` (工作日历): read by every signed-in user; holidays and make-up working days are
  entered, and years confirmed, by the system administrator (``org.settings.manage``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from liuhen.core.errors import DomainError, PermissionDenied
from liuhen.core.permissions import PermissionPolicy
from liuhen.core.roles import P_POLICY_READ, P_SETTINGS_MANAGE, has_permission
from liuhen.policy.models import CalendarDay, ProfileSnapshot


class ProfilePolicy(PermissionPolicy[ProfileSnapshot]):
    kind = "profile"
    label = "执法规则配置"
    model = ProfileSnapshot
    agency_field = None
    actions = {"view": "查看"}

    def visible(self, user: Any) -> QuerySet[ProfileSnapshot]:
        if not has_permission(user, P_POLICY_READ):
            return ProfileSnapshot.objects.none()
        return ProfileSnapshot.objects.all()

    def rule(self, user: Any, action: str, obj: ProfileSnapshot | None) -> DomainError | None:
        if has_permission(user, P_POLICY_READ):
            return None
        return PermissionDenied("无权查看执法规则（需要权限 policy.read）")


class CalendarPolicy(PermissionPolicy[CalendarDay]):
    kind = "calendar"
    label = "工作日历"
    model = CalendarDay
    agency_field = None
    actions = {"view": "查看", "manage": "维护"}

    def visible(self, user: Any) -> QuerySet[CalendarDay]:
        return CalendarDay.objects.all() if getattr(user, "is_authenticated", False) else CalendarDay.objects.none()

    def rule(self, user: Any, action: str, obj: CalendarDay | None) -> DomainError | None:
        if action == "view" or has_permission(user, P_SETTINGS_MANAGE):
            return None
        return PermissionDenied("只有系统管理员可以维护工作日历（需要权限 org.settings.manage）")


profile_policy = ProfilePolicy()
calendar_policy = CalendarPolicy()
