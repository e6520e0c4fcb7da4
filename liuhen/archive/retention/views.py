"""Retention pages: a record's term, history and holds; disposal batches with approval and progress.

Clause integ-no-destroy-within-retention. Thin: the same services as the API; a refused disposal is
shown with its message (status 409) and logged in the ledger by the service. Each form and button is
shown to who may use it (``selectors.record_offers``, ``selectors.batch_offers``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from liuhen.archive.policies import disposal_batch_policy
from liuhen.archive.retention import disposal, holds, terms
from liuhen.archive.retention.records import retention_record_get
from liuhen.archive.retention.selectors import (
    batch_get,
    batch_offers,
    batch_view,
    batches_for,
    record_offers,
    record_view,
)
from liuhen.core.errors import DomainError, NotFound, PermissionDenied
from liuhen.core.inputs import parse_id
from liuhen.policy.schema import RETENTION_EVENTS


@login_required
@require_http_methods(["GET", "POST"])
def record_page(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    try:
        obj, ref = retention_record_get(request.user, object_type, object_id)
    except NotFound:
        return render(request, "404.html", status=404)
    except PermissionDenied:
        return render(request, "403.html", status=403)
    error, status = None, 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        reason = request.POST.get("reason", "")
        try:
            if action == "dispose":
                batch = disposal.disposal_propose(
                    actor=request.user, reason=reason or "保存期满", records=[(object_type, object_id)], via="page"
                )
                return redirect("retention:batch", batch.pk)
            if action == "extend":
                terms.retention_extend(actor=request.user, obj=obj, event=request.POST.get("event", ""), reason=reason)
            elif action == "hold":
                holds.hold_set(actor=request.user, obj=obj, reason=reason)
            elif action == "release":
                hold = holds.hold_get(actor=request.user, hold_id=parse_id(request.POST.get("hold")))
                holds.hold_release(actor=request.user, hold=hold, reason=reason)
            return redirect(request.path)
        except DomainError as exc:
            error, status = exc, exc.status
    context = {
        "r": record_view(ref),
        "may": record_offers(request.user, ref),
        "error": error,
        "events": RETENTION_EVENTS,
        "class_label": terms.class_label,
    }
    return render(request, "archive/retention_record.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def batch_list(request: HttpRequest) -> HttpResponse:
    error, status = None, 200
    if request.method == "POST":
        try:
            batch = disposal.disposal_propose(actor=request.user, reason=request.POST.get("reason", ""), via="page")
            return redirect("retention:batch", batch.pk)
        except DomainError as exc:
            error, status = exc, exc.status
    batches = [batch_view(b) for b in batches_for(request.user)[:200]]
    may_propose = disposal_batch_policy.user_can(request.user, "propose")
    eligible = len(disposal.eligible(request.user.agency_id)) if may_propose else 0
    context = {"batches": batches, "eligible": eligible, "may_propose": may_propose, "error": error}
    return render(request, "archive/retention_batches.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def batch_page(request: HttpRequest, batch_id: int) -> HttpResponse:
    error, status = None, 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        opinion = request.POST.get("opinion", "")
        try:
            if action == "approve":
                disposal.disposal_approve(actor=request.user, batch_id=batch_id, opinion=opinion)
            elif action == "decline":
                disposal.disposal_decline(actor=request.user, batch_id=batch_id, opinion=opinion)
            elif action == "run":
                disposal.disposal_start(actor=request.user, batch_id=batch_id)
            return redirect(request.path)
        except DomainError as exc:
            error, status = exc, exc.status
    try:
        batch = batch_get(actor=request.user, batch_id=batch_id)
    except NotFound:
        return render(request, "404.html", status=404)
    except PermissionDenied:
        return render(request, "403.html", status=403)
    context = {"b": batch_view(batch), "may": batch_offers(request.user, batch), "error": error}
    return render(request, "archive/retention_batch.html", context, status=status)
