"""Error pages (handler400/403/404/500): Chinese, with a way back; under ``/api/`` the same as JSON.

The 400 and 500 pages stand alone (``errors/standalone.html``): rendered without the request, so no
context processor, session, user or database query runs for them; the 500 page falls back to a fixed
text if even the template fails. A form too large for the server (``DATA_UPLOAD_MAX_MEMORY_SIZE``,
``DATA_UPLOAD_MAX_NUMBER_FIELDS``) gets a 400 that says so and leads back to the form; the page script
(``liuhen/forms.js``) saved what was typed when the form was sent and puts it back there. Before
sending, the same script refuses a form over those limits on the page itself, so the text never leaves.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

from liuhen.core.errors import DomainError

logger = logging.getLogger("liuhen.errors")

FALLBACK_500 = (
    '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>系统出错 · 留痕</title></head>'
    "<body><h1>系统出错（500）</h1><p>操作没有完成，已记录日志。请稍后重试；仍不成功时请联系系统管理员。</p>"
    '<p><a href="/">返回首页</a></p></body></html>'
)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status, json_dumps_params={"ensure_ascii": False})


def _back(request: HttpRequest) -> str:
    """Where "返回" leads without the script: the page the form was on (same site only), else this path."""
    referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    try:
        same_site = bool(referer.path) and referer.netloc in ("", request.get_host())
    except Exception:  # DisallowedHost: this very request is what was refused
        same_site = False
    return (referer.path + (f"?{referer.query}" if referer.query else "")) if same_site else request.path


def _standalone(template: str, context: dict, status: int) -> HttpResponse:
    return HttpResponse(loader.get_template(template).render(context), status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    too_large = isinstance(exception, RequestDataTooBig)
    too_many = isinstance(exception, TooManyFieldsSent)
    if _is_api(request):
        if too_large or too_many:
            return _json(400, "request_too_large", "请求内容过大（超过服务器允许的大小或字段数），未处理")
        return _json(400, "bad_request", "请求格式错误，未处理")
    if too_large:
        title, text = "提交的内容过大", "提交的内容超过了服务器一次能接收的大小，没有保存。"
    elif too_many:
        title, text = "提交的栏目过多", "提交的栏目过多，超过了服务器一次能接收的数量，没有保存。"
    else:
        title, text = "请求无法处理", "浏览器发来的请求格式不正确，没有处理。"
    context = {"status": 400, "title": title, "text": text, "back": _back(request), "keeps_draft": True}
    return _standalone("errors/standalone.html", context, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json(403, "permission_denied", "无权执行此操作")
    return defaults.permission_denied(request, exception)  # 403.html: says why, and the way to get the right


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json(404, "not_found", "接口或对象不存在（请核对地址，接口说明见 /api/docs）")
    return defaults.page_not_found(request, exception)  # 404.html


def refused(request: HttpRequest, exception: DomainError) -> HttpResponse:
    """A refusal of another status (409, 422…) that no view caught: its message, and the way back."""
    context = {
        "status": exception.status,
        "title": "操作未完成",
        "text": exception.message,
        "back": _back(request),
        "keeps_draft": True,
    }
    return _standalone("errors/standalone.html", context, exception.status)


def server_error(request: HttpRequest) -> HttpResponse:
    """No database, no session, no user: whatever failed may be one of them."""
    if _is_api(request):
        return _json(500, "server_error", "服务器内部错误，操作未完成；已记录日志，请稍后重试或联系系统管理员")
    context = {
        "status": 500,
        "title": "系统出错",
        "text": "操作没有完成，已记录日志。请稍后重试；仍不成功时请联系系统管理员。",
        "back": "/",
        "keeps_draft": True,
    }
    try:
        return _standalone("errors/standalone.html", context, 500)
    except Exception:
        logger.exception("500 页面无法生成，改用固定文本")
        return HttpResponse(FALLBACK_500, status=500)
