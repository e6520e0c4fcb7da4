"""AV record pages: a case's records with resumable upload, one record's player, the case's timeline,
and the files behind them (preview, thumbnail, original) streamed with byte ranges.

Views translate and delegate: who may see a record and who may upload is asked of the media policies
(``liuhen.media.policies``: another agency's record is simply not found), reads go through
``continuity.player``, uploads go to the tus endpoint (``/api/uploads/``) from the browser, and every
read of an original leaves a trace in the ledger.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from liuhen.cases import selectors as case_selectors
from liuhen.cases.models import Case, CaseStatus
from liuhen.cases.services import profile_of
from liuhen.core.errors import DomainError, NotFound
from liuhen.media.continuity import findings, player, recording
from liuhen.media.ingest import serving
from liuhen.media.models import DerivativeKind, MediaRecord
from liuhen.media.policies import av_record_policy, upload_policy

AV_LEVELS = {"mandatory": "必须音像记录", "recommended": "建议音像记录", "optional": "可选"}


def _page_error(exc: DomainError) -> Exception:
    """A refusal as the page it becomes: not found → 404, any other → the 403 page with its reason."""
    return Http404(exc.message) if isinstance(exc, NotFound) else PermissionDenied(exc.message)


def _case(request: HttpRequest, pk: int) -> Case:
    try:
        return case_selectors.case_get(request.user, pk)
    except DomainError as exc:
        raise _page_error(exc) from exc


def _record(request: HttpRequest, pk: int) -> MediaRecord:
    user = request.user
    try:
        return av_record_policy.get(
            user, pk, queryset=av_record_policy.in_agency(user).select_related("blob", "case", "uploaded_by")
        )
    except DomainError as exc:
        raise _page_error(exc) from exc


def _stage_name(case: Case | None, stage_id: str) -> str:
    if case is None or not stage_id:
        return stage_id
    stage = profile_of(case).stage(case.enforcement_type, stage_id)
    return stage.name if stage else stage_id


def _rows(case: Case) -> list[dict[str, Any]]:
    rows = []
    for rec in player.case_records(case):
        start, _, source = player.segment_times(rec)
        probe = player.probe_of(rec)
        rows.append(
            {
                "rec": rec,
                "stage": _stage_name(case, rec.stage_id),
                "flags": player.flags_of(rec),
                "thumb": player.derivative_of(rec, DerivativeKind.THUMBNAIL) is not None,
                "preview": player.preview_state(rec),
                "start": start,
                "time_source": source,
                "duration": probe.duration if probe else None,
                "device": player.device_of(rec),
            }
        )
    return rows


def _stage_choices(case: Case) -> list[dict[str, Any]]:
    profile = profile_of(case)
    et = profile.enforcement_types.get(case.enforcement_type)
    if et is None:
        return []
    out = []
    for special, stages in ((False, et.stages), (True, et.special_stages)):
        for s in stages:
            out.append(
                {
                    "id": s.id,
                    "name": s.name + ("（特别程序）" if special else ""),
                    "av": AV_LEVELS.get(profile.av_level(case.enforcement_type, s.id) or "optional", ""),
                    "current": s.id == case.stage,
                }
            )
    return out


def _offers_upload(user: Any, case: Case) -> bool:
    """Offer the upload form: the uploads policy allows it, and the case is still open (a recording of a
    closed or referred case is still kept when it arrives through the API or the station)."""
    return upload_policy.user_can(user, "create") and case.status not in (CaseStatus.CLOSED, CaseStatus.REFERRED)


# ---------------------------------------------------------------- a case's records


@login_required
def case_media(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case's AV records and the upload form (resumable; survives a page reload)."""
    case = _case(request, case_id)
    context = {
        "case": case,
        "rows": _rows(case),
        "stages": _stage_choices(case),
        "may_upload": _offers_upload(request.user, case),
        "chunk_size": int(getattr(settings, "LIUHEN_UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024)),
    }
    return render(request, "media/case_media.html", context)


@login_required
@require_GET
def case_records(request: HttpRequest, case_id: int) -> HttpResponse:
    """The records table alone (htmx: refreshed when an upload completes)."""
    case = _case(request, case_id)
    return render(request, "media/_records_table.html", {"case": case, "rows": _rows(case)})


@login_required
@require_GET
def case_section(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case page's 音像记录 section (loaded by htmx, so the case page needs no media code)."""
    case = _case(request, case_id)
    rows = _rows(case)
    context = {
        "case": case,
        "rows": rows[:6],
        "count": len(rows),
        "may_upload": _offers_upload(request.user, case),
        "findings": findings.case_findings(case),
        "unrecorded": findings.unrecorded_onsite_acts(case),
    }
    return render(request, "media/_case_section.html", context)


@login_required
@require_GET
def untagged(request: HttpRequest) -> HttpResponse:
    """未关联案件的音像记录: the user's (a head's: the agency's) records without case number, party or
    handler, to be linked (store-av-tagging). They are kept; they only cannot count as a stage's AV."""
    refused = av_record_policy.refusal(request.user, "view")
    if refused is not None:
        raise _page_error(refused)
    rows = [{"rec": r, "missing": recording.tagging_missing(r)} for r in recording.records_untagged(request.user)]
    return render(request, "media/untagged.html", {"rows": rows})


@login_required
def case_timeline(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case's recordings on a time axis: segments per device, gaps, interruptions, overlaps."""
    case = _case(request, case_id)
    blocks = player.case_timeline(case)
    return render(
        request,
        "media/timeline.html",
        {"case": case, "blocks": blocks, "tolerance": player.gap_tolerance(case)},
    )


# ---------------------------------------------------------------- one record


@login_required
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rec = _record(request, pk)
    player.av_record_view_record(actor=request.user, rec=rec)
    start, end, source = player.segment_times(rec)
    context = {
        "rec": rec,
        "case": rec.case,
        "stage": _stage_name(rec.case, rec.stage_id),
        "probe": player.probe_of(rec),
        "flags": player.flags_of(rec),
        "preview": player.derivative_of(rec, DerivativeKind.PREVIEW),
        "thumb": player.derivative_of(rec, DerivativeKind.THUMBNAIL),
        "preview_state": player.preview_state(rec),
        "start": start,
        "end": end,
        "time_source": source,
        "device": player.device_of(rec),
        "derivatives": list(rec.derivatives.all()),
        "findings": findings.record_findings(rec),
        "attestations": recording.attestations(rec),
    }
    return render(request, "media/record_detail.html", context)


def _derived(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    rec = _record(request, pk)
    d = player.derivative_of(rec, kind)
    if d is None:
        raise Http404("预览尚未生成")
    return serving.blob_response(request, sha256=d.blob_id, size=d.size, content_type=d.content_type)


@login_required
@require_http_methods(["GET", "HEAD"])
def record_preview(request: HttpRequest, pk: int) -> HttpResponse:
    return _derived(request, pk, DerivativeKind.PREVIEW)


@login_required
@require_http_methods(["GET", "HEAD"])
def record_thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    return _derived(request, pk, DerivativeKind.THUMBNAIL)


@login_required
@require_http_methods(["GET", "HEAD"])
def record_original(request: HttpRequest, pk: int) -> HttpResponse:
    """The original as stored, inline or (``?download=1``) as an attachment; each read is in the ledger.

    A player asks for many byte ranges while it plays; the read is recorded when a request starts at
    the first byte (a new playback or a download), not for every later range.
    """
    rec = _record(request, pk)
    download = request.GET.get("download") == "1"
    byte_range = request.headers.get("Range", "")
    starts_at_zero = not byte_range or byte_range.replace(" ", "").startswith(("bytes=0-", "bytes=-"))
    response = serving.blob_response(
        request,
        sha256=rec.blob_id,
        size=rec.size,
        content_type=rec.content_type or "application/octet-stream",
        filename=rec.filename,
        attachment=download,
    )
    if request.method == "GET" and starts_at_zero and response.status_code in (200, 206):
        player.av_record_original_read(
            actor=request.user, rec=rec, purpose="download" if download else "play", byte_range=byte_range
        )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def upload_record(request: HttpRequest, upload_id: str) -> JsonResponse:
    """After a tus upload finishes: which record it became (for the page to link to)."""
    try:
        upload = upload_policy.get(request.user, upload_id)
    except DomainError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)
    rec = upload.record if upload.record_id else None
    if rec is None:
        return JsonResponse({"status": upload.status, "offset": upload.offset, "length": upload.length}, status=202)
    return JsonResponse(
        {
            "status": upload.status,
            "record_id": rec.pk,
            "url": reverse("media:record", args=[rec.pk]),
            "filename": rec.filename,
            "sha256": rec.blob_id,
            "flags": [label for _, label in player.flags_of(rec)],
        }
    )
