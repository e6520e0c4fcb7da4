"""Home page and health check. Views translate and delegate; rules live in services and selectors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from liuhen.org import rules


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "agency": user.agency,
        "is_admin": bool(user.role_codes & rules.ADMIN_ROLES),
        "can_work_cases": rules.has_permission(user, rules.P_CASES_WORK),
    }
    return render(request, "core/home.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
