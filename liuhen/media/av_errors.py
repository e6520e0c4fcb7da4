"""Errors of capture metadata, sessions, interruptions, exemptions and coverage: stable codes for
programs, Chinese messages for people (the API returns ``{code, message, detail}``)."""

from __future__ import annotations

from liuhen.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class AvInvalid(ValidationFailed):
    code = "av_invalid"
    message = "音像记录信息不符合要求"


class AvTimesInverted(AvInvalid):
    code = "av_times_inverted"
    message = "录制结束时间早于开始时间"


class AvOffsetBeyondDuration(AvInvalid):
    code = "av_offset_beyond_duration"
    message = "标注的位置超出了录像时长"


class AvForbidden(PermissionDenied):
    code = "av_forbidden"
    message = "无权对该音像记录执行此操作"


class AvConflict(Conflict):
    code = "av_conflict"
    message = "音像记录已被他人更新，请刷新后重试"


class SessionNotFound(NotFound):
    code = "av_session_not_found"
    message = "录制场次不存在或无权查看"


class AwayPeriodNotFound(NotFound):
    code = "av_away_not_found"
    message = "异地或连续工作申报不存在或无权查看"
