"""Audit pages: the trail (audit administrator), the latest checkpoints with their witnesses'
cosignatures, the public key, the last verification report. Thin: reads come from selectors, the one
write from services."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from liuhen.core.errors import DomainError
from liuhen.ledger import cosigning, integrity, selectors, services
from liuhen.ledger.actions import ACTIONS
from liuhen.ledger.policies import ledger_policy

PAGE_SIZE = 50


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    ledger_policy.require(request.user, "view")
    filters = {k: request.GET.get(k, "").strip() for k in ("action", "object_type", "object_id")}
    events = selectors.audit_events(user=request.user, **filters)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page:
        event.action_label = ACTIONS.get(event.action, event.action)
    query = urlencode({k: v for k, v in filters.items() if v})
    report = selectors.latest_report()
    checkpoints = selectors.recent_checkpoints()
    try:
        witnessing = cosigning.witnessing_of(checkpoints)
        witness_config, witness_error = cosigning.configured(), ""
    except cosigning.WitnessConfigInvalid as exc:
        witnessing, witness_config, witness_error = {}, None, f"见证方配置有误：{exc.message}"
    return render(
        request,
        "ledger/audit.html",
        {
            "page": page,
            "filters": filters,
            "query": query,
            "actions": sorted(ACTIONS.items()),
            "object_types": selectors.object_types(user=request.user),
            "checkpoint": checkpoints[0] if checkpoints else None,
            "checkpoints": [(cp, witnessing.get(cp.pk)) for cp in checkpoints],
            "latest_witnessing": witnessing.get(checkpoints[0].pk) if checkpoints else None,
            "witness_config": witness_config,
            "witness_error": witness_error,
            "key": selectors.public_key(),
            "report": report,
            "report_findings": (report.findings[:20] if report else []),
        },
    )


_KEY_FORMATS = {
    "vkey": ("text/plain; charset=utf-8", "liuhen-ledger.vkey"),
    "pem": ("application/x-pem-file", "liuhen-ledger-public.pem"),
    "raw": ("application/octet-stream", "liuhen-ledger-ed25519.pub"),
}


@login_required
def public_key(request: HttpRequest) -> HttpResponse:
    ledger_policy.require(request.user, "see_checkpoints")
    fmt = request.GET.get("format", "vkey")
    if fmt not in _KEY_FORMATS:
        fmt = "vkey"
    key = selectors.public_key()
    body = {"vkey": (key.vkey + "\n").encode(), "pem": key.pem.encode(), "raw": key.raw}[fmt]
    content_type, filename = _KEY_FORMATS[fmt]
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def checkpoint_latest(request: HttpRequest) -> HttpResponse:
    ledger_policy.require(request.user, "see_checkpoints")
    cp = selectors.latest_checkpoint()
    if cp is None:
        return HttpResponse("尚未签署检查点\n", status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(cp.note, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="checkpoint-{cp.size}.txt"'
    return response


@login_required
@require_POST
def checkpoint_sign(request: HttpRequest) -> HttpResponse:
    ledger_policy.require(request.user, "sign_checkpoint")
    try:
        cp = services.checkpoint_sign(actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已签署检查点：树大小 {cp.size}" if cp else "账本为空，未签署检查点")
    return redirect("ledger:audit")


DAILY_SAMPLE = 0.05


@login_required
@require_POST
def verify_start(request: HttpRequest) -> HttpResponse:
    ledger_policy.require(request.user, "verify")
    sample = None if request.POST.get("scope") == "full" else DAILY_SAMPLE
    try:
        integrity.integrity_verify_enqueue(actor=request.user, sample=sample)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        scope = "全部" if sample is None else "抽样"
        messages.success(request, f"{scope}核验已排队，由后台任务执行；完成后刷新本页查看结果")
    return redirect("ledger:audit")
