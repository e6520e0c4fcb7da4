"""Domain errors: a stable code for programs and a Chinese message for people.

Every app raises subclasses of :class:`DomainError` from its services; the API maps them to an
HTTP problem ``{"code": ..., "message": ..., "detail": ...}`` and pages show the message.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused request. ``code`` is stable (programs branch on it); ``message`` is Chinese."""

    code: str = "error"
    status: int = 400
    message: str = "请求无法处理"

    def __init__(self, message: str | None = None, *, code: str | None = None, **detail: Any) -> None:
        self.message = message or self.message
        if code:
            self.code = code
        self.detail = detail
        super().__init__(f"[{self.code}] {self.message}")

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail:
            body["detail"] = self.detail
        return body


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = "对象不存在或无权查看"


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    message = "无权执行此操作"


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 422
    message = "输入不符合要求"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    message = "操作与当前状态冲突"
