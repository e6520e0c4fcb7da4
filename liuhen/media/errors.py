"""Errors of the media app: stable codes for programs, Chinese messages for people."""

from __future__ import annotations

from liuhen.core.errors import Conflict, DomainError, NotFound, ValidationFailed


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
