"""Case-file errors: stable codes for programs, Chinese messages for people."""

from __future__ import annotations

from liuhen.archive.errors import ArchiveError
from liuhen.core.errors import PermissionDenied


class CaseFileRefused(ArchiveError):
    code = "case_file_refused"
    status = 409
    message = "案卷不能组卷或归档"


class CaseFileForbidden(PermissionDenied):
    code = "case_file_forbidden"
    message = "无权办理该案卷"
