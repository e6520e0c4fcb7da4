"""Reads of the organisation, filtered by what the reader may see (one agency only).

Every lookup by id goes through here, so an object of another agency is simply not found; one of the
reader's own agency that their role may not see is refused (403) with a code.
"""

from __future__ import annotations

from django.db.models import QuerySet

from liuhen.org import rules
from liuhen.org.errors import NotFound, PermissionDenied
from liuhen.org.models import Agency, ApiToken, Department, Officer, User
from liuhen.org.policies import account_policy


def agency_of(user: User) -> Agency | None:
    return user.agency


def _has_agency(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.agency_id is not None


def users_visible_to(user: User) -> QuerySet[User]:
    if not _has_agency(user):
        return User.objects.none()
    return (
        account_policy.visible(user)
        .select_related("officer", "department")
        .prefetch_related("role_grants")
        .order_by("username")
    )


def user_get(viewer: User, user_id: int) -> User:
    """A user of the viewer's agency: another agency's (or none) is not found; refused (403) to a role
    that may not see the agency's users."""
    user = account_policy.get(viewer, user_id)
    return users_visible_to(viewer).get(pk=user.pk)


def departments_visible_to(user: User) -> QuerySet[Department]:
    if not _has_agency(user):
        return Department.objects.none()
    return Department.objects.filter(agency_id=user.agency_id)


def department_get(viewer: User, department_id: int) -> Department:
    dept = departments_visible_to(viewer).filter(pk=department_id).first()
    if dept is None:
        raise NotFound("科室不存在或无权查看")
    return dept


def officers_visible_to(user: User) -> QuerySet[Officer]:
    if not _has_agency(user):
        return Officer.objects.none()
    return Officer.objects.filter(agency_id=user.agency_id).select_related("department")


def officer_get(viewer: User, officer_id: int) -> Officer:
    officer = officers_visible_to(viewer).filter(pk=officer_id).first()
    if officer is None:
        raise NotFound("执法人员不存在或无权查看")
    return officer


def officers_without_account(user: User) -> QuerySet[Officer]:
    """Officers of the reader's agency not yet linked to a log-in account."""
    return officers_visible_to(user).filter(user__isnull=True)


def api_tokens_visible_to(user: User) -> QuerySet[ApiToken]:
    """Tokens of the reader's agency; only the security administrator manages them."""
    if not _has_agency(user) or not rules.has_permission(user, rules.P_ROLES_ASSIGN):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(agency_id=user.agency_id).select_related("user").order_by("-created_at")


def api_token_get(viewer: User, token_id: int) -> ApiToken:
    """A token of the viewer's agency (another agency's is not found); only the security administrator
    may see one (403 otherwise)."""
    exists = _has_agency(viewer) and ApiToken.objects.filter(pk=token_id, agency_id=viewer.agency_id).exists()
    if not exists:
        raise NotFound("接口令牌不存在或无权查看")
    if not rules.has_permission(viewer, rules.P_ROLES_ASSIGN):
        raise PermissionDenied("只有安全保密管理员可以管理接口令牌")
    return api_tokens_visible_to(viewer).get(pk=token_id)
