"""Retention, hold and disposal errors: stable codes for programs, Chinese messages for people."""

from __future__ import annotations

from liuhen.core.errors import DomainError


class RetentionError(DomainError):
    code = "retention_error"
    status = 400
    message = "保管期限操作失败"


class RetentionWouldShorten(RetentionError):
    """Retention only grows: a request that would end it sooner (or make a permanent record dated) is refused."""

    code = "retention_would_shorten"
    status = 409
    message = "保管期限只能延长，不能缩短"


class RetentionEventUnknown(RetentionError):
    code = "retention_event_unknown"
    status = 422
    message = "本机关的执法规则配置没有规定此延长保管的情形；如需暂停销毁请设置冻结"


class RetentionNotAssigned(RetentionError):
    code = "retention_not_assigned"
    status = 404
    message = "该记录没有保管期限"


class RecordNotExpired(RetentionError):
    """Clause integ-no-destroy-within-retention: nothing is disposed before its keep-until date."""

    code = "retention_not_expired"
    status = 409
    message = "保管期限未满，不得销毁"


class RecordHeld(RetentionError):
    code = "record_held"
    status = 409
    message = "记录已被冻结（暂停销毁），不得销毁"


class DisposalStateInvalid(RetentionError):
    code = "disposal_state_invalid"
    status = 409
    message = "销毁批次当前状态不允许此操作"


class DisposalSelfApproval(RetentionError):
    code = "disposal_self_approval"
    status = 403
    message = "提出销毁的人不得批准自己的销毁批次"


class DisposalEmpty(RetentionError):
    code = "disposal_empty"
    status = 422
    message = "没有可销毁的记录"


class ReasonRequired(RetentionError):
    code = "reason_required"
    status = 422
    message = "请填写理由"


class HoldAlreadyReleased(RetentionError):
    code = "hold_already_released"
    status = 409
    message = "该冻结已解除"
