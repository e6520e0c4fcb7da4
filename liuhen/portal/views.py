"""Home page, log-in page and health check. Views translate and delegate; rules live in services and selectors."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from liuhen.archive.casefiles.reminders import archive_due_for
from liuhen.cases import selectors as case_selectors
from liuhen.cases.policies import case_policy
from liuhen.core.notifications import notifications_for
from liuhen.media.continuity.deadlines import late_upload_count
from liuhen.org import rules
from liuhen.policy.policies import profile_policy


class LoginView(auth_views.LoginView):
    """Django's log-in view; says "登录已过期" when a session cookie came back but its session is gone."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        request = self.request
        context["session_expired"] = (
            settings.SESSION_COOKIE_NAME in request.COOKIES
            and not request.user.is_authenticated
            and bool(context.get("next"))
        )
        return context


def _admin_links(user: Any) -> list[tuple[str, str, str]]:
    """What this administrator may manage: (label, href, what it is for)."""
    links = []
    if rules.has_permission(user, rules.P_USERS_MANAGE):
        links.append(("组织与用户", reverse("org:overview"), "新建科室、登记执法人员、新建和停用用户、重设密码"))
        links.append(("新建用户", reverse("org:user_create"), "为本机关人员开设登录账号"))
    if rules.has_permission(user, rules.P_ROLES_ASSIGN):
        links.append(("角色与令牌", reverse("org:overview"), "授予或撤销角色，为采集站签发接口令牌"))
    if rules.has_permission(user, rules.P_AUDIT_READ):
        links.append(("审计日志", reverse("ledger:audit"), "查阅本机关的全部操作记录"))
    return links


def _deadlines(user: Any) -> dict[str, Any]:
    """我的待办期限: what is due within a week or late on the cases the user sees (the selector scopes
    handlers to their cases, department heads to their department's, agency heads to the agency's)."""
    today = timezone.localdate()
    roles = user.role_codes
    if rules.Role.AGENCY_HEAD in roles:
        scope = "本机关"
    elif rules.Role.DEPARTMENT_HEAD in roles:
        scope = "本科室"
    else:
        scope = ""
    return {
        "due_items": case_selectors.due_for_user(user, today=today),
        "late_count": case_selectors.late_count(user, today=today),
        "late_av_uploads": late_upload_count(user=user),  # flagged on the cases the user sees (media)
        "due_scope": scope,
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    certificate = None
    if user.officer_id:
        officer = user.officer
        status = rules.certificate_status(
            officer.certificate_valid_from, officer.certificate_valid_until, timezone.localdate()
        )
        certificate = {"officer": officer, "status": status, "status_label": rules.CERTIFICATE_STATUS_LABELS[status]}
    can_work_cases = case_policy.user_can(user, "open")
    context = {
        "agency": user.agency,
        "role_labels": user.role_labels,
        "certificate": certificate,
        "is_admin": bool(user.role_codes & rules.ADMIN_ROLES),
        "admin_links": _admin_links(user),
        "can_work_cases": can_work_cases,
        "can_read_cases": case_policy.user_can(user, "list"),
        **(_deadlines(user) if can_work_cases else {}),
        "can_read_policy": profile_policy.user_can(user, "view"),
        "notices": list(notifications_for(user, unread_only=True).order_by("-created_at", "-id")[:20]),
        "archive_due": archive_due_for(user),
        "today": timezone.localdate(),
    }
    return render(request, "portal/home.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
