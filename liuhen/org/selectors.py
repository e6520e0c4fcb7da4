"""Reads of the organisation, filtered by what the reader may see (one agency only)."""

from __future__ import annotations

from django.db.models import QuerySet

from liuhen.org import rules
from liuhen.org.models import Agency, Department, Officer, User


def agency_of(user: User) -> Agency | None:
    return user.agency


def users_visible_to(user: User) -> QuerySet[User]:
    if not rules.has_any_permission(user, rules.P_USERS_MANAGE, rules.P_ROLES_ASSIGN, rules.P_ORG_READ):
        return User.objects.none()
    return (
        User.objects.filter(agency_id=user.agency_id)
        .select_related("officer", "department")
        .prefetch_related("role_grants")
        .order_by("username")
    )


def departments_visible_to(user: User) -> QuerySet[Department]:
    if not user.is_authenticated or user.agency_id is None:
        return Department.objects.none()
    return Department.objects.filter(agency_id=user.agency_id)


def officers_visible_to(user: User) -> QuerySet[Officer]:
    if not user.is_authenticated or user.agency_id is None:
        return Officer.objects.none()
    return Officer.objects.filter(agency_id=user.agency_id).select_related("department")
