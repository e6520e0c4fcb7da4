"""The REST API (django-ninja): mounted at /api/, spec at /api/openapi.json, browsable at /api/docs.

Pages and API call the same services. Domain errors become ``{"code", "message", "detail"}`` with
the error's HTTP status; machine clients authenticate with ``Authorization: Bearer lh_<id>_<secret>``,
people with their session.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import Http404, HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from liuhen.archive.casefiles.api import router as archive_router
from liuhen.archive.discs.api import router as discs_router
from liuhen.archive.retention.api import router as retention_router
from liuhen.cases.api import router as cases_router
from liuhen.core.errors import DomainError
from liuhen.devices.api import router as devices_router
from liuhen.documents.api import router as documents_router
from liuhen.documents.delivery.api import router as deliveries_router
from liuhen.ledger.api import router as ledger_router
from liuhen.media.api import av_router
from liuhen.media.api import router as media_router
from liuhen.org.api import router as org_router
from liuhen.org.services import api_token_authenticate
from liuhen.policy.api import router as policy_router
from liuhen.policy.calendar.api import router as calendar_router


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)  # raises TokenMalformed / TokenInvalid
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """Django session; unsafe methods also need the CSRF token (X-CSRFToken header)."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


api = NinjaAPI(
    title="留痕 Liuhen API",
    version="1",
    description="行政执法全过程记录系统接口。错误统一返回 {code, message, detail}：code 供程序判断，message 为中文说明。",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"code": "not_authenticated", "message": "未登录或令牌缺失"}, status=401)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request,
        {"code": "validation_failed", "message": "请求数据不符合接口要求", "detail": {"errors": exc.errors}},
        status=422,
    )


logger = logging.getLogger("liuhen.api")

# ninja's own refusals (HttpError) by status: a stable code and a Chinese message.
HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式错误"),
    401: ("not_authenticated", "未登录或令牌缺失"),
    403: ("permission_denied", "请求被拒绝"),
    404: ("not_found", "接口或对象不存在"),
    405: ("method_not_allowed", "接口不支持此请求方法"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 403 and "csrf" in str(exc).lower():
        code, message = (
            "csrf_failed",
            "CSRF 校验失败：用登录会话调用接口时，须在 X-CSRFToken 请求头中携带 csrftoken Cookie 的值",
        )
    else:
        code, message = HTTP_ERRORS.get(exc.status_code, (f"http_{exc.status_code}", "请求无法处理"))
    return api.create_response(request, {"code": code, "message": message}, status=exc.status_code)


@api.exception_handler(DjangoPermissionDenied)
def _django_permission_denied(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    """Django's own refusal (raised by code the pages share): 403 with its Chinese reason, not a 500."""
    message = str(exc) or "无权执行此操作"
    return api.create_response(request, {"code": "permission_denied", "message": message}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"code": "not_found", "message": "对象不存在或无权查看"}, status=404)


@api.exception_handler(SuspiciousOperation)
def _bad_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    """A request Django will not read: too large a body (DATA_UPLOAD_MAX_MEMORY_SIZE), too many fields."""
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent):
        body = {
            "code": "request_too_large",
            "message": "请求内容过大（超过服务器允许的大小或字段数），未处理；请减少内容后重试，大文件请用断点续传（/api/uploads/）",
        }
    else:
        body = {"code": "bad_request", "message": "请求格式错误，未处理"}
    return api.create_response(request, body, status=400)


@api.exception_handler(MultiPartParserError)
@api.exception_handler(UnreadablePostError)
def _unreadable_body(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body that does not parse as its Content-Type says (multipart without a boundary, a cut-off upload)."""
    body = {"code": "bad_request", "message": "请求内容无法按其 Content-Type 解析，未处理；请检查请求格式"}
    return api.create_response(request, body, status=400)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Anything unexpected: logged with its traceback, answered without it (a fuzz test keeps this from happening)."""
    logger.error("接口内部错误 API server error: %s %s", request.method, request.path, exc_info=exc)
    return api.create_response(
        request,
        {"code": "server_error", "message": "服务器内部错误，操作未完成；已记录日志，请稍后重试或联系系统管理员"},
        status=500,
    )


def _register_routers() -> None:
    api.add_router("/org/", org_router)
    api.add_router("/ledger/", ledger_router)
    api.add_router("/policy/", policy_router)
    api.add_router("/calendar/", calendar_router)
    api.add_router("/cases/", cases_router)
    api.add_router("/documents/", documents_router)
    api.add_router("/deliveries/", deliveries_router)
    api.add_router("/devices/", devices_router)
    api.add_router("/media/", media_router)
    api.add_router("/av/", av_router)  # continuity: capture metadata, sessions, deadlines, the AV guard
    api.add_router("/discs/", discs_router)  # evidence discs (刻制光盘)
    api.add_router("/retention/", retention_router)  # 保管期限、冻结与销毁
    api.add_router("/archive/", archive_router)  # 立卷归档


_register_routers()
