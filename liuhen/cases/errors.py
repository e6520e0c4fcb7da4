"""Refusals of the cases app: stable codes for programs, Chinese messages for people."""

from __future__ import annotations

from liuhen.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed


class CaseNotFound(NotFound):
    code = "case_not_found"
    message = "案件不存在或无权查看"


class SourceNotFound(NotFound):
    code = "case_source_not_found"
    message = "案源不存在或无权查看"


class CaseForbidden(PermissionDenied):
    code = "case_forbidden"
    message = "无权对本案执行此操作"


class CaseInvalid(ValidationFailed):
    code = "case_invalid"
    message = "输入不符合要求"


class TransitionRefused(Conflict):
    """A step not allowed now; ``detail['missing']`` lists what is missing, each with a code."""

    code = "transition_refused"
    message = "当前不能执行此操作"


class StageChanged(Conflict):
    code = "case_stage_changed"
    message = "案件已被他人推进到其他环节，请刷新后重试"


class ApprovalRefused(Conflict):
    code = "approval_refused"
    message = "不能作出此审批"


__all__ = [
    "ApprovalRefused",
    "CaseForbidden",
    "CaseInvalid",
    "CaseNotFound",
    "DomainError",
    "SourceNotFound",
    "StageChanged",
    "TransitionRefused",
]
