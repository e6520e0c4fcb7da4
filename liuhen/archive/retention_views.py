"""Retention pages: a record's term, history and holds; disposal batches with approval and progress.

Clause integ-no-destroy-within-retention. Thin: the same services as the API; a refused disposal is
shown with its message (status 409) and logged in the ledger by the service.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from liuhen.archive import disposal, holds, retention
from liuhen.archive.retention_api import batch_view, record_view
from liuhen.core.errors import DomainError, NotFound, PermissionDenied
from liuhen.core.inputs import parse_id
from liuhen.org import rules as org_rules
from liuhen.policy.schema import RETENTION_EVENTS


def _ref(request: HttpRequest, object_type: str, object_id: str) -> tuple[object, retention.RecordRef]:
    if not org_rules.has_permission(request.user, org_rules.P_RETENTION_READ):
        raise PermissionDenied("无权查看保管期限", code="retention_read_forbidden")
    obj = retention.resolve(object_type, object_id)
    ref = retention.ref_of(obj)
    if ref.agency_id != request.user.agency_id:
        raise NotFound("记录不存在或无权查看", code="retention_object_not_found")
    return obj, ref


@login_required
@require_http_methods(["GET", "POST"])
def record_page(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    try:
        obj, ref = _ref(request, object_type, object_id)
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
                retention.retention_extend(
                    actor=request.user, obj=obj, event=request.POST.get("event", ""), reason=reason
                )
            elif action == "hold":
                holds.hold_set(actor=request.user, obj=obj, reason=reason)
            elif action == "release":
                hold = holds.hold_get(actor=request.user, hold_id=parse_id(request.POST.get("hold")))
                holds.hold_release(actor=request.user, hold=hold, reason=reason)
            return redirect(request.path)
        except DomainError as exc:
            error, status = exc, exc.status
    context = {"r": record_view(ref), "error": error, "events": RETENTION_EVENTS, "class_label": retention.class_label}
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
    batches = [batch_view(b) for b in disposal.batches_for(request.user)[:200]]
    eligible = len(disposal.eligible(request.user.agency_id)) if request.user.agency_id else 0
    return render(
        request,
        "archive/retention_batches.html",
        {"batches": batches, "eligible": eligible, "error": error},
        status=status,
    )


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
        batch = disposal.batch_get(actor=request.user, batch_id=batch_id)
    except NotFound:
        return render(request, "404.html", status=404)
    return render(request, "archive/retention_batch.html", {"b": batch_view(batch), "error": error}, status=status)
