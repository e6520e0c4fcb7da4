"""Evidence disc errors: stable codes for programs, Chinese messages for people."""

from __future__ import annotations

from liuhen.archive.errors import ArchiveError
from liuhen.core.errors import NotFound, PermissionDenied


class DiscNotAllowed(PermissionDenied):
    code = "disc_not_records_keeper"
    message = "只有本机关的档案管理员可以刻制证据光盘"


class DiscRecordRefused(ArchiveError):
    code = "disc_record_not_in_case"
    status = 422
    message = "所选记录不属于该案件"


class DiscNotFound(NotFound):
    code = "disc_not_found"
    message = "证据光盘不存在或无权查看"


class DiscNotReady(ArchiveError):
    code = "disc_not_verified"
    status = 409
    message = "证据光盘镜像尚未通过回读校验，不能下载"
