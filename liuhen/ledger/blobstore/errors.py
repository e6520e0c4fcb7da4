"""Blob store errors: stable codes for programs, Chinese messages for people."""

from __future__ import annotations

from liuhen.core.errors import DomainError


class BlobStoreError(DomainError):
    code = "blob_store_error"
    status = 500
    message = "原始文件库操作失败"


class BlobKeyInvalid(BlobStoreError):
    code = "blob_key_invalid"
    status = 400
    message = "文件标识不是有效的 SHA-256 摘要"


class BlobNotFound(BlobStoreError):
    code = "blob_not_found"
    status = 404
    message = "原始文件不存在"


class BlobStoreMisconfigured(BlobStoreError):
    code = "blob_store_misconfigured"
    status = 500
    message = "原始文件库配置有误"
