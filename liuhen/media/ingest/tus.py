"""The tus 1.0.0 server at ``/api/uploads/`` (core, creation, termination, expiration).

Plain Django views, because tus is raw bytes and headers, not JSON. Machine clients authenticate
with ``Authorization: Bearer lh_<id>_<secret>``; the browser with its session, and then every unsafe
request carries the CSRF token (``X-CSRFToken``, sent by tus-js-client's ``headers`` option). The
request body is never read whole: ``uploads.upload_append`` streams it to disk in 1 MiB pieces, so
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (which only guards ``request.body``/``POST``) never applies.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from liuhen.core.errors import DomainError, PermissionDenied
from liuhen.core.inputs import ascii_int
from liuhen.media.errors import UploadInvalid
from liuhen.media.ingest.storage import upload_max_bytes
from liuhen.media.ingest.uploads import upload_append, upload_create, upload_status, upload_terminate
from liuhen.media.models import Upload, UploadStatus
from liuhen.org.services import api_token_authenticate

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    message = "未登录或令牌缺失"


def _authenticate(request: HttpRequest) -> Any:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() == "bearer ":
        user = api_token_authenticate(header[7:])
        request.user = user
        return user
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        raise NotAuthenticated()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        refusal = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {})
        if refusal is not None:
            raise PermissionDenied("CSRF 校验失败：页面上传须携带 X-CSRFToken", code="csrf_failed")
    return user


def _response(status: int = 204, body: dict | None = None, **headers: str) -> HttpResponse:
    response = JsonResponse(body, status=status) if body is not None else HttpResponse(status=status)
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _error(exc: DomainError) -> HttpResponse:
    extra: dict[str, str] = {}
    if "offset" in exc.detail:
        extra["Upload_Offset"] = str(exc.detail["offset"])
    if exc.status == 401:
        extra["WWW_Authenticate"] = "Bearer"
    return _response(exc.status, exc.as_dict(), **extra)


def _options() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Tus-Resumable"] = TUS_VERSION
    response["Tus-Version"] = TUS_VERSION
    response["Tus-Extension"] = EXTENSIONS
    response["Tus-Max-Size"] = str(upload_max_bytes())
    return response


def _method(request: HttpRequest) -> str:
    """The tus method: ``X-HTTP-Method-Override`` is for clients that can only send POST, and only a POST
    may carry it. The CSRF check reads ``request.method``: a GET or HEAD turned into a DELETE by the
    header would pass it as a safe request and then delete."""
    override = request.META.get("HTTP_X_HTTP_METHOD_OVERRIDE")
    if override is None:
        return (request.method or "").upper()
    if request.method != "POST":
        raise UploadInvalid(
            "只有 POST 请求可以用 X-HTTP-Method-Override 改写请求方法；请直接发送 PATCH、DELETE 或 HEAD",
            code="method_override_not_post",
        )
    return override.strip().upper()


def _precondition(request: HttpRequest) -> HttpResponse | None:
    if request.META.get("HTTP_TUS_RESUMABLE") != TUS_VERSION:
        response = _response(
            412, {"code": "tus_version_unsupported", "message": "仅支持 tus 1.0.0（缺少或错误的 Tus-Resumable）"}
        )
        response["Tus-Version"] = TUS_VERSION
        return response
    return None


def _int_header(request: HttpRequest, name: str) -> int:
    value = ascii_int(request.META.get(name, ""))
    if value is None:
        raise UploadInvalid(
            f"{name.removeprefix('HTTP_').replace('_', '-').title()} 必须是由 ASCII 数字 0–9 组成的非负整数"
        )
    return value


def _upload_headers(upload: Upload) -> dict[str, str]:
    headers = {"Upload_Offset": str(upload.offset), "Upload_Length": str(upload.length)}
    if upload.status == UploadStatus.ACTIVE:
        headers["Upload_Expires"] = http_date(upload.expires_at.timestamp())
    if upload.metadata_raw:
        headers["Upload_Metadata"] = upload.metadata_raw
    return headers


@csrf_exempt
def uploads(request: HttpRequest) -> HttpResponse:
    """OPTIONS (capabilities) and POST (creation)."""
    try:
        method = _method(request)
    except DomainError as exc:
        return _error(exc)
    if method == "OPTIONS":
        return _options()
    if (refusal := _precondition(request)) is not None:
        return refusal
    if method != "POST":
        return _response(405, {"code": "method_not_allowed", "message": "不支持的请求方法"}, Allow="OPTIONS, POST")
    try:
        user = _authenticate(request)
        if "HTTP_UPLOAD_DEFER_LENGTH" in request.META:
            raise UploadInvalid("不支持延后声明长度（Upload-Defer-Length）", code="upload_defer_unsupported")
        upload = upload_create(
            actor=user,
            length=_int_header(request, "HTTP_UPLOAD_LENGTH"),
            metadata_header=request.META.get("HTTP_UPLOAD_METADATA", ""),
        )
    except DomainError as exc:
        return _error(exc)
    location = request.build_absolute_uri(reverse("tus:upload", args=[upload.pk]))
    return _response(201, None, Location=location, **_upload_headers(upload))


@csrf_exempt
def upload(request: HttpRequest, upload_id: str) -> HttpResponse:
    """HEAD (where to resume), PATCH (append), DELETE (terminate) on one upload."""
    try:
        method = _method(request)
    except DomainError as exc:
        return _error(exc)
    if method == "OPTIONS":
        return _options()
    if (refusal := _precondition(request)) is not None:
        return refusal
    try:
        user = _authenticate(request)
        if method == "HEAD":
            return _response(200, None, **_upload_headers(upload_status(actor=user, upload_id=upload_id)))
        if method == "PATCH":
            content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
            if content_type != OFFSET_CONTENT_TYPE:
                return _response(
                    415,
                    {"code": "upload_content_type", "message": f"PATCH 的 Content-Type 必须是 {OFFSET_CONTENT_TYPE}"},
                )
            offset = _int_header(request, "HTTP_UPLOAD_OFFSET")
            content_length = _int_header(request, "CONTENT_LENGTH") if request.META.get("CONTENT_LENGTH") else None
            result = upload_append(
                actor=user, upload_id=upload_id, offset=offset, body=request, content_length=content_length
            )
            return _response(204, None, **_upload_headers(result))
        if method == "DELETE":
            upload_terminate(actor=user, upload_id=upload_id)
            return _response(204)
    except DomainError as exc:
        return _error(exc)
    return _response(
        405, {"code": "method_not_allowed", "message": "不支持的请求方法"}, Allow="OPTIONS, HEAD, PATCH, DELETE"
    )
