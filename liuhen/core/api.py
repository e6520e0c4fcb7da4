"""The API's error body, one schema for every router (``{code, message, detail}``, see liuhen/api.py).

Domain errors (``liuhen.core.errors``) answer with this body and their status; ``ERRORS`` is the
usual set of error responses an operation documents, which a router extends where it answers more
(``{**ERRORS, 413: ErrorOut}``).
"""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema


class ErrorOut(Schema):
    code: str = Field(description="稳定的错误代码，供程序判断，例如 case_not_found、validation_failed")
    message: str = Field(description="中文说明，写明原因和办法")
    detail: dict[str, Any] | None = Field(
        None, description="补充信息，例如环节不能结束时 missing 列出缺少的事项、校验失败时 errors 列出各字段的问题"
    )


ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
