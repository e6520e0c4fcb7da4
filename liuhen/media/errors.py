"""Errors of the media app, ingest and continuity alike: stable codes for programs, Chinese messages for
people (the API returns ``{code, message, detail}``)."""

from __future__ import annotations

from liuhen.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed


class UploadNotFound(NotFound):
    code = "upload_not_found"
    message = "上传任务不存在或无权访问"


class UploadGone(DomainError):
    code = "upload_gone"
    status = 410
    message = "上传任务已结束（已完成、已取消或已过期），不能再写入"


class UploadOffsetMismatch(Conflict):
    code = "upload_offset_mismatch"
    message = "Upload-Offset 与服务器已接收的字节数不一致，请先用 HEAD 查询续传位置"


class UploadBusy(Conflict):
    code = "upload_busy"
    status = 423
    message = "该上传任务正在被另一个请求写入，请稍后重试"


class UploadTooLarge(DomainError):
    code = "upload_too_large"
    status = 413
    message = "文件超过允许的大小"


class UploadInvalid(ValidationFailed):
    code = "upload_invalid"
    message = "上传请求不符合要求"


class MediaRecordNotFound(NotFound):
    code = "av_record_not_found"
    message = "音像记录不存在或无权查看"


# --------------------------------------------------------------------------- continuity


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


class UploadForbidden(PermissionDenied):
    code = "av_upload_forbidden"
    message = "无权上传音像记录"
