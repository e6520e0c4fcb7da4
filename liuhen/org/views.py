"""Organisation pages (三员分立): the system administrator manages departments, officers and users;
the security administrator grants roles and issues API tokens; the audit administrator has no
access here. Views check the permission, translate the form and delegate to services; every lookup
goes through selectors, so another agency's objects are not found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from liuhen.core.errors import DomainError
from liuhen.core.errors import PermissionDenied as DomainPermissionDenied
from liuhen.org import rules, selectors, services
from liuhen.org.forms import (
    DepartmentForm,
    OfficerForm,
    PasswordResetForm,
    RoleGrantForm,
    TokenIssueForm,
    UserCreateForm,
)
from liuhen.org.models import User
from liuhen.org.policies import account_policy


def _lookup(fn: Callable[..., Any], request: HttpRequest, pk: int) -> Any:
    try:
        return fn(request.user, pk)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> Any:
    """Run a service call; show its Chinese refusal as a message. Returns the result or None."""
    try:
        result = action()
    except DomainPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, success)
    return result if result is not None else True


def _officer_rows(officers: Any) -> list[dict[str, Any]]:
    today = timezone.localdate()
    rows = []
    for officer in officers:
        status = rules.certificate_status(officer.certificate_valid_from, officer.certificate_valid_until, today)
        rows.append({"officer": officer, "status": status, "status_label": rules.CERTIFICATE_STATUS_LABELS[status]})
    return rows


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    account_policy.require(request.user, "view")
    user = request.user
    context = {
        "agency": user.agency,
        "departments": selectors.departments_visible_to(user),
        "officer_rows": _officer_rows(selectors.officers_visible_to(user).select_related("user")),
        "users": selectors.users_visible_to(user),
        "tokens": selectors.api_tokens_visible_to(user).filter(revoked_at__isnull=True),
        "can_manage_users": account_policy.user_can(user, "manage"),
        "can_assign_roles": account_policy.user_can(user, "assign_roles"),
        "warning_days": rules.CERTIFICATE_WARNING_DAYS,
    }
    return render(request, "org/overview.html", context)


def _form_page(request: HttpRequest, form: Any, title: str, **extra: Any) -> HttpResponse:
    return render(request, "org/form.html", {"form": form, "title": title, **extra})


@login_required
def department_create(request: HttpRequest) -> HttpResponse:
    account_policy.require(request.user, "manage")
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _run(
            request,
            lambda: services.department_create(actor=request.user, agency=request.user.agency, **form.cleaned_data),
            f"已创建科室“{form.cleaned_data['name']}”",
        )
        if done:
            return redirect("org:overview")
    return _form_page(request, form, "新建科室")


@login_required
def officer_create(request: HttpRequest) -> HttpResponse:
    account_policy.require(request.user, "manage")
    form = OfficerForm(request.POST or None, viewer=request.user)
    if request.method == "POST" and form.is_valid():
        done = _run(
            request,
            lambda: services.officer_create(actor=request.user, agency=request.user.agency, **form.cleaned_data),
            f"已登记执法人员“{form.cleaned_data['name']}”",
        )
        if done:
            return redirect("org:overview")
    return _form_page(request, form, "登记执法人员")


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    account_policy.require(request.user, "manage")
    form = UserCreateForm(request.POST or None, viewer=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new_user = _run(
            request,
            lambda: services.user_create(
                actor=request.user,
                agency=request.user.agency,
                username=data["username"],
                display_name=data["display_name"],
                password=data["password1"],
                department=data["department"],
                officer=data["officer"],
            ),
            f"已创建用户“{data['username']}”。角色须由安全保密管理员授予。",
        )
        if isinstance(new_user, User):
            return redirect("org:user_detail", user_id=new_user.pk)
    return _form_page(request, form, "新建用户", note="新用户没有任何角色，须由安全保密管理员授予后才能使用业务功能。")


@login_required
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    account_policy.require(request.user, "view")
    subject: User = _lookup(selectors.user_get, request, user_id)
    can_assign = account_policy.user_can(request.user, "assign_roles")
    officer_row = _officer_rows([subject.officer])[0] if subject.officer else None
    context = {
        "subject": subject,
        "officer_row": officer_row,
        "grants": subject.role_grants.select_related("granted_by").order_by("granted_at"),
        "can_manage_users": account_policy.user_can(request.user, "manage"),
        "can_assign_roles": can_assign,
        "role_form": RoleGrantForm() if can_assign else None,
        "token_form": TokenIssueForm() if can_assign else None,
        "tokens": selectors.api_tokens_visible_to(request.user).filter(user=subject),
        "is_self": subject.pk == request.user.pk,
    }
    return render(request, "org/user_detail.html", context)


@login_required
@require_POST
def user_set_active(request: HttpRequest, user_id: int) -> HttpResponse:
    account_policy.require(request.user, "manage")
    subject: User = _lookup(selectors.user_get, request, user_id)
    active = request.POST.get("active") == "1"
    _run(
        request,
        lambda: services.user_set_active(actor=request.user, user=subject, active=active),
        f"已{'启用' if active else '停用'}用户“{subject.username}”",
    )
    return redirect("org:user_detail", user_id=subject.pk)


@login_required
def user_password(request: HttpRequest, user_id: int) -> HttpResponse:
    account_policy.require(request.user, "manage")
    subject: User = _lookup(selectors.user_get, request, user_id)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _run(
            request,
            lambda: services.user_password_set(
                actor=request.user, user=subject, password=form.cleaned_data["password1"]
            ),
            f"已重设用户“{subject.username}”的密码，请当面或以安全方式告知本人",
        )
        if done:
            return redirect("org:user_detail", user_id=subject.pk)
    return _form_page(request, form, f"重设密码：{subject}（{subject.username}）")


@login_required
@require_POST
def role_grant(request: HttpRequest, user_id: int) -> HttpResponse:
    account_policy.require(request.user, "assign_roles")
    subject: User = _lookup(selectors.user_get, request, user_id)
    form = RoleGrantForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择要授予的角色")
    else:
        role = form.cleaned_data["role"]
        _run(
            request,
            lambda: services.role_grant(actor=request.user, user=subject, role=role),
            f"已授予“{subject}”角色：{rules.ROLE_LABELS[role]}",
        )
    return redirect("org:user_detail", user_id=subject.pk)


@login_required
@require_POST
def role_revoke(request: HttpRequest, user_id: int) -> HttpResponse:
    account_policy.require(request.user, "assign_roles")
    subject: User = _lookup(selectors.user_get, request, user_id)
    role = request.POST.get("role", "")
    if role not in rules.ROLE_LABELS:
        messages.error(request, "未知角色")
    else:
        _run(
            request,
            lambda: services.role_revoke(actor=request.user, user=subject, role=role),
            f"已撤销“{subject}”的角色：{rules.ROLE_LABELS[role]}",
        )
    return redirect("org:user_detail", user_id=subject.pk)


@login_required
@require_POST
def token_issue(request: HttpRequest, user_id: int) -> HttpResponse:
    account_policy.require(request.user, "assign_roles")
    subject: User = _lookup(selectors.user_get, request, user_id)
    form = TokenIssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写令牌名称")
        return redirect("org:user_detail", user_id=subject.pk)
    issued = _run(
        request,
        lambda: services.api_token_issue(actor=request.user, user=subject, name=form.cleaned_data["name"]),
        "已签发接口令牌",
    )
    if not issued:
        return redirect("org:user_detail", user_id=subject.pk)
    token, raw = issued
    # Shown once, never stored in clear: rendered directly, not redirected, and not cached.
    response = render(request, "org/token_issued.html", {"subject": subject, "token": token, "raw": raw})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    account_policy.require(request.user, "assign_roles")
    token = _lookup(selectors.api_token_get, request, token_id)
    _run(
        request,
        lambda: services.api_token_revoke(actor=request.user, token=token),
        f"已吊销接口令牌“{token.name}”",
    )
    return redirect("org:user_detail", user_id=token.user_id)
