"""立卷归档 pages: the archiving queue, a case file (items by volume, the DA/T 70 report, 组卷 and 归档),
the 组卷中 card polled by htmx, and the download of one item from the package.

Thin: the same services as the API (``assembly``, ``archiving``, ``queue``); what the page offers is
``queue.case_file_offers``; refusals are shown with their Chinese message. Clauses time-archive-30d,
arch-case-file-complete.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from liuhen.archive.bagit.checks import PROPERTY_LABELS, Property
from liuhen.archive.casefiles import queue
from liuhen.archive.casefiles.archiving import case_file_archive as archive_service
from liuhen.archive.casefiles.assembly import (
    case_file_assembly_request,
    current_items,
    last_assembly_refusal,
)
from liuhen.archive.display import size_label
from liuhen.archive.models import CaseFile
from liuhen.archive.policies import case_file_policy
from liuhen.core.errors import DomainError
from liuhen.core.people import display_name

POLL_SECONDS = 2


def _case_file(request: HttpRequest, pk: int) -> CaseFile:
    try:
        return case_file_policy.get(request.user, pk)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def report_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The four properties in the order of DA/T 70, each with pass/fail and its findings."""
    props = (report or {}).get("properties") or {}
    rows = []
    for p in Property:
        data = props.get(str(p))
        rows.append(
            {
                "code": str(p),
                "label": PROPERTY_LABELS[p],
                "checked": data is not None,
                "ok": bool(data and data.get("ok")),
                "findings": (data or {}).get("findings", []),
            }
        )
    return rows


def _volumes(cf: CaseFile) -> list[dict[str, Any]]:
    titles = {v.get("code"): v.get("title") for v in cf.volumes or []}
    groups: dict[str, dict[str, Any]] = {}
    for item in current_items(cf):
        group = groups.setdefault(item.volume, {"code": item.volume, "title": titles.get(item.volume, item.volume)})
        group.setdefault("items", []).append({"i": item, "size": size_label(item.size)})
    return list(groups.values())


def _status_context(request: HttpRequest, cf: CaseFile) -> dict[str, Any]:
    may = queue.case_file_offers(request.user, cf)
    return {
        "cf": cf,
        "case": cf.case,
        "pending": may["pending"],
        "refusal": None if may["pending"] else last_assembly_refusal(cf),
        "may_assemble": may["assemble"],
        "may_archive": may["archive"],
        "is_keeper": may["keeper"],
        "package_size": size_label(cf.package_bytes),
        "poll": POLL_SECONDS,
    }


@login_required
@require_GET
def queue_page(request: HttpRequest) -> HttpResponse:
    rows = queue.archive_queue(request.user)
    return render(request, "archive/queue.html", {"rows": rows})


@login_required
@require_GET
def case_file_of_case(request: HttpRequest, case_id: int) -> HttpResponse:
    try:
        cf = queue.case_file_for_case(user=request.user, case_id=case_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    return redirect("archive:case_file", cf.pk)


@login_required
@require_GET
def case_file_page(request: HttpRequest, pk: int) -> HttpResponse:
    cf = _case_file(request, pk)
    queue.case_file_view_record(actor=request.user, case_file=cf)
    context = {
        **_status_context(request, cf),
        "volumes": _volumes(cf),
        "report": report_rows(cf.check_report),
        "report_checked_at": cf.checked_at,
        "handlers": "、".join(display_name(u) for u in cf.case.handlers.all()),
    }
    return render(request, "archive/case_file.html", context)


@login_required
@require_GET
def case_file_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The 组卷中 card while the worker builds; once done, htmx reloads the whole page."""
    cf = _case_file(request, pk)
    context = _status_context(request, cf)
    if not context["pending"] and request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "archive/_case_file_status.html", context)


@login_required
@require_POST
def case_file_assemble(request: HttpRequest, pk: int) -> HttpResponse:
    cf = _case_file(request, pk)
    try:
        case_file_assembly_request(actor=request.user, case=cf.case)
    except DomainError as exc:
        messages.error(request, f"不能组卷：{exc.message}")
    else:
        messages.info(request, "已提交组卷，正在生成归档包并进行四性检测。")
    return redirect("archive:case_file", cf.pk)


@login_required
@require_POST
def case_file_archive(request: HttpRequest, pk: int) -> HttpResponse:
    cf = _case_file(request, pk)
    try:
        cf = archive_service(actor=request.user, case_file=cf)
    except DomainError as exc:
        messages.error(request, f"不能归档：{exc.message}")
    else:
        messages.success(request, f"已归档，档案号 {cf.archive_number}。")
    return redirect("archive:case_file", cf.pk)


@login_required
@require_GET
def case_file_item(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    cf = _case_file(request, pk)
    try:
        item, path = queue.case_file_item_open(actor=request.user, case_file=cf, item_id=item_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = FileResponse(open(path, "rb"), as_attachment=True, filename=path.name, content_type=content_type)  # noqa: SIM115 (closed by the response)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-SHA256"] = item.sha256
    return response
