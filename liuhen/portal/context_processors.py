"""Navigation shown in the page header, filtered by what the user may do."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from liuhen.archive.policies import case_file_policy, disposal_batch_policy, legal_hold_policy
from liuhen.cases.policies import case_policy
from liuhen.devices.policies import device_policy
from liuhen.org import rules
from liuhen.policy.policies import profile_policy


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [("首页", reverse("home"))]
    if case_policy.user_can(user, "list"):
        items.append(("案件", reverse("cases:list")))
    if device_policy.user_can(user, "view"):
        items.append(("执法记录设备", reverse("devices:list")))
    if case_file_policy.user_can(user, "queue"):
        items.append(("立卷归档", reverse("archive:queue")))
    if disposal_batch_policy.user_can(user, "propose") or legal_hold_policy.user_can(user, "set"):
        items.append(("保管与销毁", reverse("retention:batches")))
    if profile_policy.user_can(user, "view"):
        items.append(("执法规则", reverse("policy:detail")))
    if rules.has_any_permission(user, rules.P_USERS_MANAGE, rules.P_ROLES_ASSIGN, rules.P_ORG_READ):
        items.append(("组织与用户", reverse("org:overview")))
    if rules.has_permission(user, rules.P_AUDIT_READ):
        items.append(("审计日志", reverse("ledger:audit")))
    return {"nav_items": items}
