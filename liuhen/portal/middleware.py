"""A refusal that reaches a page uncaught is shown as the page for its status, never as a 500.

Services and permission policies refuse with a :class:`~liuhen.core.errors.DomainError` (a stable code,
a Chinese message naming the way out). Views that want to keep a form filled catch it themselves; any
refusal they let through lands here: 403 and 404 get the Chinese 403/404 pages with the refusal's
message, other statuses (409, 422…) the stand-alone error page with a way back. Under ``/api/`` nothing
changes: the API maps domain errors to ``{code, message}`` itself.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from liuhen.core.errors import DomainError
from liuhen.portal import error_pages


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        if exception.status == 403:
            return error_pages.permission_denied(request, DjangoPermissionDenied(exception.message))
        if exception.status == 404:
            return error_pages.page_not_found(request, Http404(exception.message))
        return error_pages.refused(request, exception)
