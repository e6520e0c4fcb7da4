"""Audit trail pages (audit administrator only)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from liuhen.ledger.models import Event
from liuhen.org import rules


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    if not rules.has_permission(request.user, rules.P_AUDIT_READ):
        raise PermissionDenied("只有安全审计员可以查看审计日志")
    events = Event.objects.filter(agency_id=request.user.agency_id).order_by("-seq")[:200]
    return render(request, "ledger/audit.html", {"events": events})
