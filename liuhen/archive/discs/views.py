"""Evidence disc pages (刻制证据光盘): a case's discs, the builder with a live size check, the progress
page polled by htmx until the image is verified, and the downloads (image with byte ranges, statement).

Views translate and delegate to the services (``requests``, ``selection``, ``selectors``); who may build
and download is ``evidence_disc_policy``'s to say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liuhen.archive.bagit import disc_image as disc_lib
from liuhen.archive.discs.requests import disc_request
from liuhen.archive.discs.selection import disc_candidates, disc_plan_for
from liuhen.archive.discs.selectors import disc_get, disc_image_open, disc_statement_open, discs_of_case
from liuhen.archive.display import size_label
from liuhen.archive.models import DiscMedium, DiscStatus, EvidenceDisc
from liuhen.archive.policies import evidence_disc_policy
from liuhen.cases import selectors as case_selectors
from liuhen.cases.models import Case
from liuhen.core.errors import DomainError
from liuhen.ledger.blobstore.selectors import blob_get
from liuhen.media.ingest.serving import CHUNK, Unsatisfiable, blob_response, range_parse

POLL_SECONDS = 1


def _case(request: HttpRequest, pk: int) -> Case:
    try:
        return case_selectors.case_get(request.user, pk)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _disc(request: HttpRequest, pk: int) -> EvidenceDisc:
    try:
        return disc_get(user=request.user, disc_id=pk)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _duration(seconds: float | None) -> str:
    return disc_lib.duration_text(seconds) if seconds is not None else ""


def _candidates(case: Case) -> list[dict[str, Any]]:
    return [{"c": c, "size": size_label(c.size), "duration": _duration(c.duration)} for c in disc_candidates(case)]


def _plan_context(case: Case, refs: list[str], medium: str) -> dict[str, Any]:
    if medium not in disc_lib.MEDIA:
        medium = DiscMedium.DVD
    known = {c.ref: c for c in disc_candidates(case)}
    chosen = [known[r] for r in refs if r in known]
    plan = disc_plan_for(chosen, medium)
    return {
        "plan": plan,
        "selected": size_label(plan.selected_bytes),
        "needed": size_label(plan.needed),
        "capacity": size_label(plan.capacity),
        "percent": min(100, plan.needed * 100 // max(plan.capacity, 1)),
        "percent_text": f"{plan.needed * 100 / max(plan.capacity, 1):.1f}%",
    }


def _extracted_at(raw: str) -> dt.datetime | None:
    value = parse_datetime((raw or "").strip())
    if value is None:
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


@login_required
@require_GET
def case_discs(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case's evidence discs and, for its records keeper, the way to build one."""
    case = _case(request, case_id)
    rows = [{"d": d, "size": size_label(d.image_size)} for d in discs_of_case(user=request.user, case=case)]
    context = {
        "case": case,
        "rows": rows,
        "may_build": evidence_disc_policy.user_can(request.user, "request", evidence_disc_policy.for_case(case)),
    }
    return render(request, "archive/disc_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def disc_new(request: HttpRequest, case_id: int) -> HttpResponse:
    """The builder: pick records, name maker, extractor and extraction time, pick the medium."""
    case = _case(request, case_id)
    may_build = evidence_disc_policy.user_can(request.user, "request", evidence_disc_policy.for_case(case))
    error = None
    values = {
        "refs": request.POST.getlist("records"),
        "maker": request.POST.get("maker", getattr(request.user, "display_name", "") if may_build else ""),
        "extractor": request.POST.get("extractor", ""),
        "extracted_at": request.POST.get("extracted_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M")),
        "medium": request.POST.get("medium", DiscMedium.DVD),
    }
    if request.method == "POST":
        try:
            extracted_at = _extracted_at(values["extracted_at"])
            disc = disc_request(
                actor=request.user,
                case=case,
                record_refs=values["refs"],
                maker=values["maker"],
                extractor=values["extractor"],
                extracted_at=extracted_at,  # type: ignore[arg-type]  # None is refused with a message
                medium=values["medium"],
            )
        except DomainError as exc:
            error = exc
        else:
            return redirect("discs:detail", disc.pk)
    context = {
        "case": case,
        "may_build": may_build,
        "candidates": _candidates(case),
        "values": values,
        "media": DiscMedium.choices,
        "error": error,
        **_plan_context(case, values["refs"], values["medium"]),
    }
    return render(request, "archive/disc_new.html", context, status=422 if error else 200)


@login_required
@require_POST
def disc_plan(request: HttpRequest, case_id: int) -> HttpResponse:
    """The builder's live total against the medium's capacity (htmx, on every change of the form)."""
    case = _case(request, case_id)
    context = _plan_context(case, request.POST.getlist("records"), request.POST.get("medium", DiscMedium.DVD))
    return render(request, "archive/disc_plan.html", context)


def _detail_context(request: HttpRequest, disc: EvidenceDisc) -> dict[str, Any]:
    pct_files = f"{disc.files_done}/{disc.files_total}"
    return {
        "disc": disc,
        "case": disc.case,
        "running": disc.status in (DiscStatus.QUEUED, DiscStatus.BUILDING),
        "files": pct_files,
        "bytes_done": size_label(disc.bytes_done),
        "bytes_total": size_label(disc.bytes_total),
        "image_size": size_label(disc.image_size),
        "may_download": evidence_disc_policy.user_can(request.user, "download_image", disc),
        "poll": POLL_SECONDS,
    }


@login_required
@require_GET
def disc_detail(request: HttpRequest, pk: int) -> HttpResponse:
    disc = _disc(request, pk)
    return render(request, "archive/disc_detail.html", _detail_context(request, disc))


@login_required
@require_GET
def disc_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress card alone; it stops polling itself once the disc is verified or failed."""
    disc = _disc(request, pk)
    return render(request, "archive/disc_progress.html", _detail_context(request, disc))


def _file_chunks(path: Path, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        fh.seek(start)
        left = length
        while left > 0:
            data = fh.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data


def file_response(request: HttpRequest, *, path: Path, size: int, sha256: str, filename: str) -> HttpResponse:
    """200 / 206 / 416 for a stored image, one byte range per request (a download can resume)."""
    etag = f'"{sha256}"'
    headers = {"Accept-Ranges": "bytes", "ETag": etag, "Cache-Control": "private, no-store"}
    try:
        wanted = range_parse(request.headers.get("Range", ""), size)
    except Unsatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if wanted is not None and request.headers.get("If-Range") not in (None, etag):
        wanted = None
    start, length = (wanted.start, wanted.length) if wanted else (0, size)
    status = 206 if wanted else 200
    if request.method == "HEAD":
        response: HttpResponse = HttpResponse(status=status, content_type="application/x-iso9660-image")
    else:
        response = StreamingHttpResponse(
            _file_chunks(path, start, length), status=status, content_type="application/x-iso9660-image"
        )
    response["Content-Length"] = str(length)
    if wanted:
        response["Content-Range"] = f"bytes {wanted.start}-{wanted.end}/{size}"
    for name, value in headers.items():
        response[name] = value
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def image_download(request: HttpRequest, disc: EvidenceDisc) -> HttpResponse:
    """Shared by the page and the API: refused unless verified and the user is the agency's records keeper."""
    path = disc_image_open(actor=request.user, disc=disc, byte_range=request.headers.get("Range", ""))
    name = f"证据光盘-{disc.case.number}-{disc.pk}.iso"
    return file_response(request, path=path, size=disc.image_size or 0, sha256=disc.image_sha256, filename=name)


def statement_download(request: HttpRequest, disc: EvidenceDisc) -> HttpResponse:
    sha = disc_statement_open(actor=request.user, disc=disc)
    blob = blob_get(sha256=sha)
    name = f"证据光盘文字说明-{disc.case.number}-{disc.pk}.pdf"
    return blob_response(request, sha256=sha, size=blob.size, content_type="application/pdf", filename=name)


@login_required
@require_http_methods(["GET", "HEAD"])
def disc_image(request: HttpRequest, pk: int) -> HttpResponse:
    disc = _disc(request, pk)
    try:
        return image_download(request, disc)
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")


@login_required
@require_GET
def disc_statement(request: HttpRequest, pk: int) -> HttpResponse:
    disc = _disc(request, pk)
    try:
        return statement_download(request, disc)
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
