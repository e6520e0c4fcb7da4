"""Policy page: the user's agency profile in readable Chinese. Views translate and delegate."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from liuhen.core.errors import DomainError, PermissionDenied
from liuhen.policy import selectors


@login_required
def detail(request: HttpRequest) -> HttpResponse:
    try:
        profile = selectors.profile_for_user(request.user)
    except PermissionDenied as exc:
        raise HttpForbidden(exc.message) from exc
    except DomainError as exc:
        return render(request, "policy/detail.html", {"error": exc}, status=exc.status)
    return render(request, "policy/detail.html", selectors.profile_page(profile))
